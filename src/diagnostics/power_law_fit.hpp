#pragma once
// Saturating power law L(x) = a·x^(−α) + c fitted by weighted least squares,
// the curve of a scaling study (held-out loss against data or model size).
// For fixed α the model is linear in (a, c), so the fit profiles α: a grid
// scan over [alpha_min, alpha_max] then golden-section refinement, each
// evaluation a 2×2 weighted linear solve. This finds the global minimum along
// α, which Levenberg–Marquardt started from a guess can miss when only 3–5
// points are given. Uncertainties come from the Jacobian at the optimum
// (covariance (JᵀWJ)⁻¹, absolute when each point has its standard error,
// scaled by χ²/dof otherwise) and from a bootstrap (points resampled by group,
// e.g. by cell or seed, or a parametric bootstrap from the per-point errors).
// Metrics only: Eigen, no LibTorch.
#include <cstdint>
#include <vector>

namespace penumbra {

struct PowerLawData {
  std::vector<double> x;      // > 0, at least 3 distinct values
  std::vector<double> y;
  std::vector<double> sigma;  // standard error per point (> 0), or empty: equal weights
  std::vector<int> group;     // bootstrap resampling unit per point, or empty: each point its own
};

enum class PowerLawBootstrap { kNone, kGroups, kParametric };

struct PowerLawOptions {
  double alpha_min = 1e-3, alpha_max = 5;  // the search range of the exponent
  PowerLawBootstrap bootstrap = PowerLawBootstrap::kGroups;
  int replicates = 500;
  double level = 0.68;  // central interval of the bootstrap exponents
  std::uint64_t seed = 0;
};

struct PowerLawFit {
  double a = 0, alpha = 0, c = 0;
  // From the Jacobian covariance; NaN when it is undetermined (as many
  // points as parameters and no per-point errors, or a singular Jacobian).
  double sigma_a = 0, sigma_alpha = 0, sigma_c = 0;
  double chi2 = 0;    // Σ w (y − L)², w = 1/σ² (1 without errors)
  int points = 0, dof = 0;
  bool alpha_at_bound = false;  // the optimum sits at alpha_min or alpha_max
  // Bootstrap of α: standard deviation and the central `level` interval over the
  // replicates that could be fitted (resamples with < 3 distinct x are drawn again).
  int replicates = 0;
  double bootstrap_sd_alpha = 0, alpha_lower = 0, alpha_upper = 0;

  double operator()(double x) const;
};

// Throws UsageError for fewer than 3 distinct x, x ≤ 0, non-finite values,
// mismatched lengths, σ ≤ 0, or a bad search range / level.
PowerLawFit fit_power_law(const PowerLawData& data, const PowerLawOptions& options = {});

}  // namespace penumbra
