#include "src/diagnostics/image_metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "src/core/errors.hpp"

using namespace penumbra;

namespace {
std::vector<double> blob(int n) {
  std::vector<double> a(static_cast<std::size_t>(n) * n);
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) a[y * n + x] = std::exp(-((x - n / 2.0) * (x - n / 2.0) + (y - n / 3.0) * (y - n / 3.0)) / 20.0);
  return a;
}
}  // namespace

TEST(ImageMetrics, RmseAndFluxErrorClosedForm) {
  std::vector<double> t = {1, 2, 3, 4}, a = {2, 2, 3, 2};
  EXPECT_NEAR(image_rmse(a, t), std::sqrt((1.0 + 4.0) / 4.0), 1e-12);
  EXPECT_NEAR(total_flux_error(a, t), (9.0 - 10.0) / 10.0, 1e-12);
  EXPECT_DOUBLE_EQ(image_rmse(t, t), 0.0);
}

TEST(ImageMetrics, SsimIsOneForIdenticalAndFallsWithNoise) {
  const int n = 24;
  auto t = blob(n);
  EXPECT_NEAR(image_ssim(t, t, n, n), 1.0, 1e-12);
  std::mt19937_64 rng(3);
  std::normal_distribution<double> z;
  auto small = t, large = t;
  for (std::size_t i = 0; i < t.size(); ++i) {
    double e = z(rng);
    small[i] += 0.02 * e;
    large[i] += 0.2 * e;
  }
  double s1 = image_ssim(small, t, n, n), s2 = image_ssim(large, t, n, n);
  EXPECT_LT(s1, 1.0);
  EXPECT_GT(s1, s2);
  EXPECT_GT(s2, -1.0);
  // A flux-scaled copy is structurally similar but not identical.
  auto half = t;
  for (auto& p : half) p *= 0.5;
  EXPECT_LT(image_ssim(half, t, n, n), 0.95);
}

TEST(ImageMetrics, BadInputThrows) {
  std::vector<double> a = {1, 2, 3}, b = {1, 2};
  EXPECT_THROW(image_rmse(a, b), UsageError);
  EXPECT_THROW(image_ssim(a, a, 2, 2), UsageError);
  std::vector<double> z = {0, 0};
  EXPECT_THROW(total_flux_error(b, z), UsageError);
}
