#pragma once
// The files of a finished coverage study (coverage_study.hpp): coverage.csv
// (alpha, ECP and its bootstrap band, per-coordinate and global normalisation),
// pixel_coverage.csv (level, coverage), coverage.png (ECP vs α with the band and
// the diagonal) and coverage.json (every number, with the calibrated reference).
#include <nlohmann/json.hpp>

#include <filesystem>

#include "src/pipelines/coverage_study.hpp"

namespace penumbra {

// Returns what coverage.json holds.
nlohmann::json write_coverage_report(const std::filesystem::path& dir, const CoverageStudyOptions& s,
                                     const CoverageStudyResult& res);

}  // namespace penumbra
