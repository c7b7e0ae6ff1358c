#pragma once
// Fréchet distance between two feature sets, each summarised by its mean and
// covariance (the Gaussian approximation behind FID):
//   d² = |μ₁ − μ₂|² + tr Σ₁ + tr Σ₂ − 2 tr (Σ₁^{1/2} Σ₂ Σ₁^{1/2})^{1/2},
// the square roots taken by symmetric eigendecomposition (negative
// eigenvalues from round-off clipped to 0). It measures how far apart a
// labelled and an unlabelled image set sit in a fixed encoder's feature space
// (the dataset-shift predictor of the semi-supervised study). The plug-in
// estimate is biased upwards by about tr Σ₁/N₁ + tr Σ₂/N₂, so the bootstrap
// reports the bias-corrected estimate and the basic (reflected) interval,
// whose first-order bias cancels. Metrics only: no LibTorch.
#include <cstdint>
#include <vector>

namespace penumbra {

// Rows are samples: `values` holds rows × cols doubles, row-major.
struct FeatureMatrix {
  std::int64_t rows = 0, cols = 0;
  std::vector<double> values;
};

struct GaussianMoments {
  std::int64_t dim = 0;
  std::vector<double> mean;        // [dim]
  std::vector<double> covariance;  // [dim × dim], row-major, unbiased (N − 1)
};

// Throws UsageError for fewer than 2 rows or no columns, DataError for non-finite values.
GaussianMoments feature_moments(const FeatureMatrix& x);
// Squared Fréchet distance d² (the FID convention); UsageError when the dimensions differ.
double frechet_distance(const GaussianMoments& a, const GaussianMoments& b);

struct FrechetEstimate {
  double distance = 0;        // plug-in d² on the full sets
  double bias_corrected = 0;  // 2 d² − mean of the bootstrap replicates
  double lower = 0, upper = 0;  // basic bootstrap interval at `level`, lower clipped at 0
  double bootstrap_sd = 0;    // standard deviation of the replicates
  double level = 0.9;
  int replicates = 0;
};

// Rows of each set resampled with replacement, independently, `replicates` times.
FrechetEstimate frechet_distance_bootstrap(const FeatureMatrix& a, const FeatureMatrix& b, int replicates,
                                           double level, std::uint64_t seed);

}  // namespace penumbra
