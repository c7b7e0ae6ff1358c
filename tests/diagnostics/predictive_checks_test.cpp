// Posterior predictive checks against cases with a known answer: the truth's
// model under pure noise fits (χ² ≈ 1 in every uv bin, ≈ 0.27 % of residual pixels
// beyond 3σ); a model missing the large scales misfits the short baselines.
#include "src/diagnostics/predictive_checks.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "src/core/errors.hpp"

using namespace penumbra;

namespace {

struct Noisy {
  std::vector<double> u, v;
  at::Tensor model, y, w;  // model [1, n]: the noiseless truth's
};

// n visibilities of a Gaussian blob's transform (bright at short baselines), noise σ = 0.1.
Noisy noisy_blob(int n, std::uint64_t seed) {
  torch::manual_seed(static_cast<std::int64_t>(seed));
  Noisy d;
  auto q = torch::rand({n, 2}, torch::kFloat64) * 2 - 1;
  for (int k = 0; k < n; ++k) {
    d.u.push_back(1e5 * q[k][0].item<double>());
    d.v.push_back(1e5 * q[k][1].item<double>());
  }
  auto r2 = (torch::tensor(d.u, torch::kFloat64).pow(2) + torch::tensor(d.v, torch::kFloat64).pow(2)) / 1e9;
  auto m = torch::complex(torch::exp(-r2), torch::zeros_like(r2));
  const double sigma = 0.1;
  d.model = m.unsqueeze(0);
  d.y = m + torch::complex(torch::randn({n}, torch::kFloat64), torch::randn({n}, torch::kFloat64)) * sigma;
  d.w = torch::full({n}, 1 / (sigma * sigma), torch::kFloat64);
  return d;
}

}  // namespace

TEST(PredictiveChecks, EqualCountBinsCoverEveryVisibilityInOrder) {
  auto d = noisy_blob(1003, 1);
  auto b = equal_count_uv_bins(d.u, d.v, 8);
  ASSERT_EQ(b.count.size(), 8u);
  std::int64_t total = 0;
  for (auto c : b.count) {
    total += c;
    EXPECT_GE(c, 125);
    EXPECT_LE(c, 126);
  }
  EXPECT_EQ(total, 1003);
  for (std::size_t i = 0; i + 1 < b.edges.size(); ++i) EXPECT_LE(b.edges[i], b.edges[i + 1]);
  for (std::size_t k = 0; k < d.u.size(); ++k) {
    const double q = std::hypot(d.u[k], d.v[k]);
    const auto i = static_cast<std::size_t>(b.bin[k]);
    EXPECT_GE(q, b.edges[i]);
    EXPECT_LE(q, b.edges[i + 1]);
  }
  EXPECT_THROW(equal_count_uv_bins({}, {}, 8), UsageError);
}

TEST(PredictiveChecks, TheTruthFitsEveryBinAndAModelWithoutLargeScalesDoesNot) {
  auto d = noisy_blob(4000, 2);
  auto b = equal_count_uv_bins(d.u, d.v, 8);
  auto chi = binned_reduced_chi2(d.model, d.y, d.w, b)[0];
  // 500 visibilities a bin: χ²_red has sd √(1/500) ≈ 0.045.
  for (std::int64_t i = 0; i < chi.size(0); ++i) EXPECT_NEAR(chi[i].item<double>(), 1.0, 0.2) << "bin " << i;
  // The counts-weighted mean of the bins is the overall χ².
  const double overall = (torch::abs(d.model[0] - d.y).pow(2) * d.w).sum().item<double>() / (2.0 * 4000);
  EXPECT_NEAR(chi.mean().item<double>(), overall, 1e-12);
  // Without the blob the shortest baselines misfit by far, the longest hardly.
  auto empty = torch::zeros_like(d.model);
  auto bad = binned_reduced_chi2(empty, d.y, d.w, b)[0];
  EXPECT_GT(bad[0].item<double>(), 10.0);
  EXPECT_LT(bad[7].item<double>(), bad[0].item<double>() / 10);
}

TEST(PredictiveChecks, NoiseRmsAndTheFractionBeyondThreeSigma) {
  std::vector<double> w = {4.0, 4.0, 8.0};  // Σw = 16
  EXPECT_DOUBLE_EQ(dirty_noise_rms(w), 0.25);
  torch::manual_seed(3);
  auto g = torch::randn({100000}, torch::kFloat64);
  std::vector<double> px(g.data_ptr<double>(), g.data_ptr<double>() + g.numel());
  EXPECT_NEAR(fraction_beyond(px, 1.0), 0.0027, 0.0006);
  EXPECT_DOUBLE_EQ(fraction_beyond(px, 1.0, 100.0), 0.0);
  EXPECT_THROW(dirty_noise_rms(std::vector<double>{0.0}), DataError);
}
