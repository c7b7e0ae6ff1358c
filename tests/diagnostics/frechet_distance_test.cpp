// Fréchet distance against closed forms for Gaussians, and the coverage of
// its bootstrap interval for sampled Gaussians.
#include "src/diagnostics/frechet_distance.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>

#include "src/core/errors.hpp"

using namespace penumbra;

namespace {

GaussianMoments moments(std::vector<double> mean, std::vector<double> cov) {
  GaussianMoments g;
  g.dim = static_cast<std::int64_t>(mean.size());
  g.mean = std::move(mean);
  g.covariance = std::move(cov);
  return g;
}

// N rows of N(mean, diag(var)).
FeatureMatrix sample_diagonal(std::int64_t n, const std::vector<double>& mean, const std::vector<double>& var,
                              std::mt19937_64& rng) {
  std::normal_distribution<double> z;
  FeatureMatrix x{n, static_cast<std::int64_t>(mean.size()), {}};
  for (std::int64_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < mean.size(); ++j) x.values.push_back(mean[j] + std::sqrt(var[j]) * z(rng));
  return x;
}

double diagonal_closed_form(const std::vector<double>& m1, const std::vector<double>& v1, const std::vector<double>& m2,
                            const std::vector<double>& v2) {
  double d = 0;
  for (std::size_t j = 0; j < m1.size(); ++j)
    d += (m1[j] - m2[j]) * (m1[j] - m2[j]) + std::pow(std::sqrt(v1[j]) - std::sqrt(v2[j]), 2);
  return d;
}

}  // namespace

TEST(FrechetDistance, DiagonalCovariancesMatchTheClosedForm) {
  auto a = moments({0.0, 1.0, -2.0}, {4, 0, 0, 0, 1, 0, 0, 0, 0.25});
  auto b = moments({1.0, 1.0, 0.0}, {1, 0, 0, 0, 9, 0, 0, 0, 0.25});
  EXPECT_NEAR(frechet_distance(a, b), diagonal_closed_form({0, 1, -2}, {4, 1, 0.25}, {1, 1, 0}, {1, 9, 0.25}), 1e-10);
  EXPECT_NEAR(frechet_distance(a, b), 1 + 4 + 1 + 4, 1e-10);
  EXPECT_NEAR(frechet_distance(b, a), frechet_distance(a, b), 1e-10);
  EXPECT_NEAR(frechet_distance(a, a), 0.0, 1e-10);
}

TEST(FrechetDistance, RotatedCovarianceMatchesTheClosedForm) {
  // Σ₁ = diag(λ₁, λ₂), Σ₂ = R Σ₁ Rᵀ: for 2 × 2 PSD M, tr √M = √(tr M + 2 √det M), with
  // tr Σ₁Σ₂ = cos²θ (λ₁² + λ₂²) + 2 sin²θ λ₁λ₂ and det = (λ₁λ₂)².
  const double l1 = 3.0, l2 = 0.5;
  for (double theta : {0.0, 0.3, std::numbers::pi / 4, 1.2, std::numbers::pi / 2}) {
    double c = std::cos(theta), s = std::sin(theta);
    double s2xx = c * c * l1 + s * s * l2, s2yy = s * s * l1 + c * c * l2, s2xy = c * s * (l1 - l2);
    auto a = moments({0, 0}, {l1, 0, 0, l2});
    auto b = moments({0, 0}, {s2xx, s2xy, s2xy, s2yy});
    double tr = c * c * (l1 * l1 + l2 * l2) + 2 * s * s * l1 * l2;
    double expected = 2 * (l1 + l2) - 2 * std::sqrt(tr + 2 * l1 * l2);
    EXPECT_NEAR(frechet_distance(a, b), expected, 1e-10) << theta;
  }
  // A quarter turn swaps the axes: d² = 2 (√λ₁ − √λ₂)².
  auto q = moments({0, 0}, {l2, 0, 0, l1});
  EXPECT_NEAR(frechet_distance(moments({0, 0}, {l1, 0, 0, l2}), q), 2 * std::pow(std::sqrt(l1) - std::sqrt(l2), 2), 1e-10);
}

TEST(FrechetDistance, BadInputIsOneLine) {
  EXPECT_THROW(frechet_distance(moments({0}, {1}), moments({0, 0}, {1, 0, 0, 1})), UsageError);
  EXPECT_THROW(feature_moments(FeatureMatrix{1, 2, {1, 2}}), UsageError);
  EXPECT_THROW(feature_moments(FeatureMatrix{2, 1, {1, std::nan("")}}), DataError);
  FeatureMatrix ok{3, 1, {0, 1, 2}};
  EXPECT_THROW(frechet_distance_bootstrap(ok, ok, 1, 0.9, 1), UsageError);
  EXPECT_THROW(frechet_distance_bootstrap(ok, ok, 10, 1.5, 1), UsageError);
}

TEST(FrechetDistance, BootstrapIntervalCoversTheClosedFormForSampledGaussians) {
  const std::vector<double> m1 = {0, 0, 0}, v1 = {1, 1, 1}, m2 = {0.4, 0, 0.2}, v2 = {2.0, 1, 0.5};
  const double truth = diagonal_closed_form(m1, v1, m2, v2);
  std::mt19937_64 rng(11);
  const int trials = 80;
  int covered = 0, plug_in_above = 0;
  for (int t = 0; t < trials; ++t) {
    auto a = sample_diagonal(300, m1, v1, rng), b = sample_diagonal(300, m2, v2, rng);
    auto e = frechet_distance_bootstrap(a, b, 200, 0.9, 100 + t);
    covered += e.lower <= truth && truth <= e.upper;
    plug_in_above += e.distance > truth;
    EXPECT_LE(e.lower, e.upper);
    EXPECT_GT(e.bootstrap_sd, 0);
  }
  double coverage = static_cast<double>(covered) / trials;
  std::cout << "90% basic bootstrap interval: coverage " << coverage << " over " << trials
            << " trials (d² = " << truth << ", N = 300 per set); plug-in above the truth in " << plug_in_above << "\n";
  EXPECT_GE(coverage, 0.8);
  EXPECT_LE(coverage, 0.99);
}
