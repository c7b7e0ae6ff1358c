#pragma once
// Validation of the posterior pipeline on fresh simulated disks: does `sample`, with
// the settings given, fit the data (χ²_red ≈ 1) and cover the truth at the nominal
// rate on skies and observations it has not seen?
//
// Case j draws, from its own streams of (seed, j):
//  * a random protoplanetary disk (random_disk: radius, inclination, position angle,
//    rings, gaps, core, envelope, centre offset; flux log-uniform 0.05–1 Jy) rendered
//    on the image grid — the generator's held-out streams, never a training disk;
//  * an array configuration: the built-in ALMA-like layout with its antenna positions
//    scaled by a factor in [layout_scale_min, 1] (compact to extended), observed over
//    ± an hour-angle half-span in [ha_min, ha_max] at AS 209's declination;
//  * a thermal noise rms per Stokes-I visibility, log-uniform in [noise_min, noise_max];
// observes it (pipelines/observe.hpp), and runs the `sample` pipeline on it
// (pipelines/posterior_run.hpp) with the truth, in DIR/cases/case_NNNNN/ (every file
// `sample` writes, plus case.json with what was drawn). A resumed study skips the cases
// whose summary exists; DIR/study.json holds the options' fingerprint.
//
// Reported over the cases (validation.json, validation.csv): mean, spread and range of
// the mean χ²_red of the samples, of the 68 % / 95 % pixel coverage (rank estimator,
// diagnostics/interval_coverage.hpp) over the image and over the emission alone, and of
// the RMSE relative to the peak, and the
// fraction of cases inside the goals (χ² in [0.95, 1.05]; coverage within ±0.04 / ±0.02).
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "src/pipelines/posterior_settings.hpp"

namespace penumbra {

struct SamplingValidationOptions {
  int n = 20;                          // cases
  int size = 64;                       // image side, pixels
  double cell = 0.01 * 4.84813681109536e-6;  // radians (10 mas)
  std::string prior;                   // checkpoint or pipeline prior spec (required)
  PosteriorSettings posterior;
  std::int64_t nsamples = 16, batch = 16;
  double freq_hz = 240e9;
  double integration = 120;            // seconds per dump
  double layout_scale_min = 0.4;       // antenna positions × U(min, 1)
  double ha_min = 0.25 * 3600, ha_max = 2 * 3600;   // hour-angle half-span, seconds, uniform
  double noise_min = 1e-3, noise_max = 1e-2;        // Jy per Stokes-I visibility, log-uniform
  std::uint64_t seed = 0;
  void validate() const;               // UsageError naming the quantity
  std::string fingerprint() const;     // all but n: case j depends on (seed, j) alone
};

struct ValidationCase {
  int index = 0;
  std::string sky, array;              // one line each
  double noise_rms = 0;                // Jy per Stokes-I visibility
  std::size_t nvis = 0;
  double chi2 = 0, chi2_of_mean = 0;   // mean reduced χ² of the samples; of their mean
  double coverage_68 = 0, coverage_95 = 0, rmse_relative = 0, seconds = 0;
  double coverage_68_emission = 0, coverage_95_emission = 0;  // over the truth's emission (posterior_summary.hpp)
};

struct SpreadOf {
  double mean = 0, sd = 0, min = 0, max = 0;
};

struct SamplingValidationResult {
  std::vector<ValidationCase> cases;
  SpreadOf chi2, coverage_68, coverage_95, rmse_relative, coverage_68_emission, coverage_95_emission;
  double fraction_chi2_ok = 0, fraction_coverage_ok = 0;
  int simulated = 0, resumed = 0;
};

// The goals a case is held to (issue "Calibrated posteriors").
constexpr double kChi2GoalLow = 0.95, kChi2GoalHigh = 1.05, kCoverage68Tolerance = 0.04, kCoverage95Tolerance = 0.02;

// Runs (or resumes: the same options, any n) the study in `dir`; `on_done(done, total)`
// after each case.
SamplingValidationResult run_sampling_validation(const SamplingValidationOptions& o, const std::filesystem::path& dir,
                                                 bool resume, const std::function<void(int, int)>& on_done = {});

// validation.json (options, per-case rows, the spreads and goal fractions) and
// validation.csv (one row per case) in `dir`; returns the JSON.
nlohmann::json write_sampling_validation_report(const std::filesystem::path& dir, const SamplingValidationOptions& o,
                                                const SamplingValidationResult& r);

}  // namespace penumbra
