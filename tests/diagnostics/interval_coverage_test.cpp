#include "src/diagnostics/interval_coverage.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "src/core/errors.hpp"
#include "src/diagnostics/posterior_summary.hpp"
#include "src/diagnostics/tarp.hpp"

#include <torch/torch.h>

using namespace penumbra;

TEST(IntervalCoverage, RankCellsAreSplitExactly) {
  // 16 samples: 17 rank cells of width 1/17. A truth below every sample sits in
  // [0, 1/17), of which [0.025, 1/17) lies inside the central 95 %.
  EXPECT_NEAR(rank_interval_coverage(0, 0, 16, 0.95), (1.0 / 17 - 0.025) * 17, 1e-12);
  EXPECT_DOUBLE_EQ(rank_interval_coverage(0, 0, 16, 0.68), 0.0);
  EXPECT_DOUBLE_EQ(rank_interval_coverage(8, 0, 16, 0.68), 1.0);
  // A truth equal to every sample spreads over all cells: coverage = level.
  EXPECT_NEAR(rank_interval_coverage(0, 16, 16, 0.68), 0.68, 1e-12);
  // Averaged over the uniform rank of a calibrated truth, exactly the level, for any K.
  for (std::size_t k : {1u, 4u, 16u, 99u}) {
    double mean = 0;
    for (std::size_t r = 0; r <= k; ++r) mean += rank_interval_coverage(r, 0, k, 0.95);
    EXPECT_NEAR(mean / (k + 1), 0.95, 1e-12) << k;
  }
}

// The point of the estimator: 16 draws of a calibrated posterior. The interval
// between empirical quantiles holds the truth 0.60 / 0.84 of the time; the rank
// estimator gives the nominal 0.68 / 0.95.
TEST(IntervalCoverage, SixteenCalibratedSamplesGiveTheNominalLevel) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> z;
  const std::size_t k = 16, d = 20000;
  std::vector<double> s(k * d), col(k);
  double rank68 = 0, rank95 = 0, quant68 = 0;
  for (std::size_t p = 0; p < d; ++p) {
    for (std::size_t i = 0; i < k; ++i) col[i] = s[i * d + p] = z(rng);
    const double truth = z(rng);
    rank68 += rank_interval_coverage(s.data() + p, k, d, truth, 0.68);
    rank95 += rank_interval_coverage(s.data() + p, k, d, truth, 0.95);
    std::sort(col.begin(), col.end());
    // numpy/torch linear interpolation at positions 0.16·15 and 0.84·15
    auto q = [&](double f) { double h = f * (k - 1); auto j = static_cast<std::size_t>(h); return col[j] + (h - j) * (col[j + 1] - col[j]); };
    quant68 += truth >= q(0.16) && truth <= q(0.84);
  }
  EXPECT_NEAR(rank68 / d, 0.68, 0.01);
  EXPECT_NEAR(rank95 / d, 0.95, 0.005);
  EXPECT_NEAR(quant68 / d, 0.60, 0.015);
}

namespace {
std::vector<CoverageSimulation> sims_of(int nsim, int k, int d, double truth_scale, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> z;
  std::vector<CoverageSimulation> sims(nsim);
  for (auto& s : sims) {
    s.n = k;
    for (int p = 0; p < d; ++p) s.truth.push_back(truth_scale * z(rng));
    for (int i = 0; i < k * d; ++i) s.samples.push_back(z(rng));
  }
  return sims;
}
}  // namespace

TEST(IntervalCoverage, TestAcrossSimulationsAcceptsCalibratedAndRejectsOverconfident) {
  auto good = credible_interval_coverage_test(sims_of(200, 16, 64, 1.0, 1), 0.95);
  EXPECT_NEAR(good.coverage, 0.95, 0.01);
  EXPECT_EQ(good.per_simulation.size(), 200u);
  EXPECT_GT(good.p_value, 0.01);
  auto bad = credible_interval_coverage_test(sims_of(200, 16, 64, 1.3, 2), 0.95);
  EXPECT_LT(bad.coverage, 0.92);
  EXPECT_LT(bad.p_value, 1e-6);
  EXPECT_LT(bad.z, 0);
  EXPECT_THROW(credible_interval_coverage_test(sims_of(2, 4, 3, 1.0, 3), 1.0), UsageError);
}

// `sample --truth` reports coverage over the whole image and over the emission alone:
// an exactly empty background sits at the centre of the samples' spread and is covered
// at every level, so it counts only in the first.
TEST(IntervalCoverage, EmissionCoverageLeavesTheEmptySkyOut) {
  const int k = 16, n = 8;
  auto samples = torch::randn({k, n, n}, torch::kFloat64);
  auto truth = torch::zeros({n, n}, torch::kFloat64);
  truth.index_put_({torch::indexing::Slice(0, 4)}, 5.0);  // far outside the samples: never covered
  auto tc = truth_comparison(samples, summarize_posterior(samples), truth);
  EXPECT_EQ(tc.emission_pixels, 32);
  EXPECT_DOUBLE_EQ(tc.coverage_68_emission, 0.0);
  // Above every sample: the top rank cell [16/17, 1] still has 0.575 of its width inside [0.025, 0.975].
  EXPECT_NEAR(tc.coverage_95_emission, rank_interval_coverage(16, 0, 16, 0.95), 1e-12);
  EXPECT_GT(tc.coverage_68, 0.2);  // the empty half is covered about as often as the level
}
