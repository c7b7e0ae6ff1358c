#include "src/diagnostics/tarp.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "src/core/errors.hpp"

using namespace penumbra;

namespace {
// N simulations of a D-dim Gaussian posterior N(μ_j, s²I) with truth drawn from
// it (calibrated), or from a wider distribution (over-confident samples).
std::vector<CoverageSimulation> gaussian_sims(int nsim, int nsamp, int d, double truth_scale, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> z;
  std::vector<CoverageSimulation> sims(nsim);
  for (auto& s : sims) {
    s.n = nsamp;
    std::vector<float> mu(d);
    for (auto& m : mu) m = 3 * z(rng);
    for (int k = 0; k < d; ++k) s.truth.push_back(mu[k] + truth_scale * z(rng));
    for (int i = 0; i < nsamp; ++i)
      for (int k = 0; k < d; ++k) s.samples.push_back(mu[k] + z(rng));
  }
  return sims;
}
}  // namespace

TEST(Tarp, CalibratedPosteriorHasDiagonalCoverage) {
  auto sims = gaussian_sims(400, 200, 4, 1.0, 1);
  TarpResult r = tarp_coverage(sims, 7, 51, 50);
  EXPECT_LT(r.max_abs_ecp_minus_alpha, 0.08);
  EXPECT_DOUBLE_EQ(r.ecp.front(), 0.0);
  EXPECT_DOUBLE_EQ(r.ecp.back(), 1.0);
  for (std::size_t a = 0; a < r.alpha.size(); ++a) EXPECT_LE(r.ecp_low[a], r.ecp_high[a]);
  EXPECT_NEAR(credible_interval_coverage(sims, 0.68), 0.68, 0.03);
  EXPECT_NEAR(credible_interval_coverage(sims, 0.95), 0.95, 0.02);
}

TEST(Tarp, FewSamplesPerPosteriorStillGiveTheDiagonal) {
  // With K = 4 the raw fraction of closer samples takes 5 values, which alone puts
  // ECP(0+) at 1/5; the randomised rank must not.
  auto sims = gaussian_sims(2000, 4, 3, 1.0, 4);
  TarpResult r = tarp_coverage(sims, 11, 101, 0);
  EXPECT_LT(r.max_abs_ecp_minus_alpha, 0.05);
  for (double f : r.f) {
    EXPECT_GE(f, 0.0);
    EXPECT_LT(f, 1.0);
  }
}

TEST(Tarp, OverconfidentPosteriorIsDetected) {
  auto sims = gaussian_sims(400, 200, 4, 3.0, 2);  // truths 3× wider than the samples
  TarpResult r = tarp_coverage(sims, 7, 51, 20);
  EXPECT_GT(r.max_abs_ecp_minus_alpha, 0.2);
  EXPECT_LT(credible_interval_coverage(sims, 0.68), 0.4);
}

// The calibrated reference is the Kolmogorov–Smirnov distribution on the α grid:
// asymptotic mean √(π/2)·ln 2/√N = 0.0869 at N = 100, 0.085 with the finite-N
// correction −1/(6N), and less again on a 101-level grid, which misses the sup
// between levels (measured 0.081); 95 % point ≈ 1.36/√N. A calibrated sampler's
// p-value is not small and an over-confident one's is.
TEST(Tarp, CalibratedReferenceIsTheKolmogorovDistribution) {
  auto c = calibrated_max_abs_deviation(100, 101, 4000, 5);
  EXPECT_GT(c.mean, 0.075);
  EXPECT_LT(c.mean, 0.0869);
  EXPECT_NEAR(c.q95, 1.358 / 10, 0.01);
  ASSERT_EQ(c.replicates.size(), 4000u);
  EXPECT_TRUE(std::is_sorted(c.replicates.begin(), c.replicates.end()));
  // Scales as 1/√N: at N = 400 the mean halves.
  EXPECT_NEAR(calibrated_max_abs_deviation(400, 101, 2000, 6).mean / c.mean, 0.5, 0.05);

  auto good = tarp_coverage(gaussian_sims(100, 50, 4, 1.0, 3), 7, 101, 0);
  EXPECT_NEAR(good.calibrated_mean, c.mean, 0.006);
  EXPECT_GT(good.p_value, 0.01);
  auto bad = tarp_coverage(gaussian_sims(100, 50, 4, 3.0, 3), 7, 101, 0);
  EXPECT_LT(bad.p_value, 0.001);
  EXPECT_GT(bad.max_abs_ecp_minus_alpha, bad.calibrated_q95);
}

TEST(Tarp, SameSeedSameCurveAndBadShapesAreRejected) {
  auto sims = gaussian_sims(50, 20, 3, 1.0, 3);
  EXPECT_EQ(tarp_coverage(sims, 5).ecp_low, tarp_coverage(sims, 5).ecp_low);
  sims[1].truth.pop_back();
  EXPECT_THROW(tarp_coverage(sims, 5), UsageError);
  EXPECT_THROW(credible_interval_coverage({}, 0.5), UsageError);
}

// Images with an empty background: 4 "disk" coordinates with a calibrated posterior,
// and 12 background coordinates where every truth is exactly 0 and the samples
// scatter by 1e-3 (a learned prior's residual). Per-coordinate normalisation blows
// the background up to the unit range, where the truth sits at the centre and every
// sample away from it: the truth is always nearer the reference point. With one range
// for all coordinates, the background weighs by its flux and the study is calibrated.
TEST(Tarp, GlobalNormalisationWeighsPixelsByTheirFlux) {
  auto sims = gaussian_sims(300, 32, 4, 1.0, 5);
  std::mt19937_64 rng(9);
  std::normal_distribution<float> z;
  for (auto& s : sims) {
    std::vector<float> samples;
    for (int i = 0; i < s.n; ++i) {
      samples.insert(samples.end(), s.samples.begin() + i * 4, s.samples.begin() + (i + 1) * 4);
      for (int k = 0; k < 12; ++k) samples.push_back(1e-3f * z(rng));
    }
    s.samples = samples;
    s.truth.resize(16, 0.0f);
  }
  auto per = tarp_coverage(sims, 3, 51, 0);
  auto global = tarp_coverage(sims, 3, 51, 0, TarpNormalisation::kGlobal);
  EXPECT_GT(per.max_abs_ecp_minus_alpha, 0.5);
  EXPECT_LT(global.max_abs_ecp_minus_alpha, 0.1);
  // On a plain calibrated posterior both agree with the diagonal.
  auto plain = gaussian_sims(300, 32, 4, 1.0, 6);
  EXPECT_LT(tarp_coverage(plain, 3, 51, 0, TarpNormalisation::kGlobal).max_abs_ecp_minus_alpha, 0.1);
  EXPECT_GT(tarp_coverage(gaussian_sims(300, 32, 4, 2.0, 6), 3, 51, 0, TarpNormalisation::kGlobal)
                .max_abs_ecp_minus_alpha,
            0.15);  // over-confident samples (truths 2× wider) are still caught
}
