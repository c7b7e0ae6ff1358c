#pragma once
// Posterior predictive checks of a finished posterior run (diagnostics/
// predictive_checks.hpp on the run's PlannedObservation): χ² of every sample and
// of the mean per uv-distance bin, the residual dirty image of every sample, the
// fraction of residual pixels beyond 3σ, and whether the posterior fits its data
// (mean reduced χ² of the samples in [0.8, 1.25]).
#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <vector>

#include "src/diagnostics/predictive_checks.hpp"

namespace penumbra {

class PlannedObservation;

struct PosteriorChecks {
  UvBins bins;
  at::Tensor chi2;                 // [K] reduced χ² of each sample
  double chi2_of_mean = 0;         // of the posterior mean
  std::vector<double> mean_residual;  // [ny][nx] residual dirty image of the mean, Jy/beam
  at::Tensor chi2_bins;            // [K, nbins] reduced χ² of each sample per bin
  at::Tensor chi2_bins_of_mean;    // [nbins] of the posterior mean
  std::vector<double> residuals;   // [K][ny][nx] residual dirty images of the samples, Jy/beam
  double noise_rms = 0;            // per-pixel rms of a residual dirty image of pure noise, Jy/beam
  double beyond_3sigma_of_mean = 0, beyond_3sigma_samples = 0;  // fractions of residual pixels
  double chi2_mean = 0;            // mean over samples of their reduced χ²
  bool fits = false;               // chi2_mean in [kChi2FitLow, kChi2FitHigh]
};

// samples [K, N, N] and mean [N][N], Jy/pixel. Every image's model visibilities are
// computed once and serve its χ², its χ² per bin and its residual image.
PosteriorChecks check_posterior(const PlannedObservation& obs, const at::Tensor& samples,
                                const std::vector<double>& mean);
// chi2_uv.csv and chi2_uv.png in `dir`.
void write_chi2_by_uv(const std::filesystem::path& dir, const PosteriorChecks& c);
// The "posterior_predictive" block of summary.json.
nlohmann::json checks_json(const PosteriorChecks& c);

}  // namespace penumbra
