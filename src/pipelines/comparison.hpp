#pragma once
// Baseline comparison on a simulated observation with a known truth
// (penumbra compare): the dirty image, CLEAN, MAP and the posterior mean (and
// WSClean's CLEAN when available) scored with image_metrics.hpp and the
// residual χ² of the visibilities.
//
// Every image is compared in Jy/pixel: the dirty image (Jy/beam) is divided by
// the dirty-beam area (PSF pixels above half maximum / ln 2), a restored CLEAN
// image by the clean-beam area π·bmaj·bmin/(4 ln 2)/cell². The χ² column is the
// reduced χ² (posterior_summary.hpp) of the method's MODEL image: the CLEAN
// components for CLEAN (the restored image is not a model of the sky's
// visibilities), the image itself otherwise.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "instruments/clean.hpp"
#include "instruments/weighting.hpp"
#include "src/core/image_grid.hpp"
#include "src/core/observation.hpp"
#include "src/pipelines/map_imaging.hpp"

namespace penumbra {

class PlannedObservation;

struct ComparisonRow {
  std::string method;
  std::vector<double> image;  // [ny][nx] Jy/pixel (what RMSE/SSIM/flux are computed on)
  double rmse = 0, ssim = 0, flux_error = 0, chi2 = 0;
  std::string note;
  std::optional<Beam> beam;  // the restoring beam of a restored (CLEAN) image
};

// Scores `image` (Jy/pixel) against `truth`; χ² from `model` (Jy/pixel; empty: the image).
ComparisonRow score_image(const std::string& method, std::vector<double> image, const std::vector<double>& truth,
                          const PlannedObservation& obs, const std::vector<double>& model = {},
                          const std::string& note = "");

struct BaselineOptions {
  WeightingOptions weighting;  // for the dirty image and CLEAN
  CleanOptions clean;
  MapImagingOptions map;
};
// Rows "dirty", "clean", "map" (in that order). The dirty image, MAP and every χ²
// share `obs`'s plan (options.map.nufft_epsilon is taken to be obs's ε).
std::vector<ComparisonRow> compare_baselines(const PlannedObservation& obs, const std::vector<double>& truth,
                                             const BaselineOptions& options);

// Pixel area of a clean beam (FWHM axes in radians) on `grid`.
double beam_area_pixels(const Beam& beam, const ImageGrid& grid);

// The table as CSV (header: method,rmse_jy_per_pixel,rmse_over_peak,ssim,flux_error,chi2_reduced,note) and
// as a markdown table; `truth_peak` scales the relative RMSE.
std::string comparison_csv(const std::vector<ComparisonRow>& rows, double truth_peak);
std::string comparison_markdown(const std::vector<ComparisonRow>& rows, double truth_peak);

// Writes comparison.csv, comparison.md, comparison.png (truth and every method on
// one colour scale) and compare.json (`header` plus the rows) into `dir`; returns the rows as JSON.
nlohmann::json write_comparison(const std::filesystem::path& dir, const std::vector<ComparisonRow>& rows,
                                const std::vector<double>& truth, const ImageGrid& grid, nlohmann::json header);
// The truth's peak (1 when it has none), which scales relative RMSEs.
double truth_peak(const std::vector<double>& truth);

}  // namespace penumbra
