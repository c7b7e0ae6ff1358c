// The per-noise-level table of prior-validate: for an exact score (a dense
// Gaussian prior) the denoiser's flux bias is zero within its standard error at
// every level and the score matches the Gaussian fitted to samples of it; a score
// with a constant error ε in the network's output F = σ s shows the flux bias
// ε·pixels·σ that the −z parameterisation makes grow with σ.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>

#include "priors/analytic_priors.hpp"
#include "src/core/errors.hpp"
#include "src/pipelines/prior_noise_levels.hpp"
#include "tests/support/paths.hpp"

namespace penumbra {
namespace {

struct Truth {
  at::Tensor mean, cov, images;
};

Truth truth(std::int64_t n) {
  torch::manual_seed(7);
  auto a = torch::randn({36, 36}, torch::kFloat64) * 0.05;
  Truth t;
  t.cov = torch::matmul(a, a.t()) + 1e-3 * torch::eye(36, torch::kFloat64);
  t.mean = torch::full({6, 6}, 0.2, torch::kFloat64);
  auto l = torch::linalg::cholesky(t.cov);
  t.images = (torch::matmul(torch::randn({n, 36}, torch::kFloat64), l.t()) + 0.2).reshape({n, 6, 6});
  return t;
}

// The exact score plus a constant error eps in F = σ·s.
class BiasedPrior final : public Prior {
 public:
  BiasedPrior(std::shared_ptr<const Prior> p, double eps) : p_(std::move(p)), eps_(eps) {}
  at::Tensor score(const at::Tensor& x, const at::Tensor& sigma) const override {
    return p_->score(x, sigma) + eps_ / sigma.to(x.scalar_type()).reshape({-1, 1, 1});
  }
  int height() const override { return 6; }
  int width() const override { return 6; }
  double sigma_max() const override { return 10; }
  double sigma_min() const override { return 0.01; }
  std::string name() const override { return "biased"; }

 private:
  std::shared_ptr<const Prior> p_;
  double eps_;
};

TEST(PriorNoiseLevels, AnExactScoreHasNoFluxBiasAndAnOutputErrorGrowsWithSigma) {
  auto t = truth(4000);
  auto exact = std::make_shared<DenseGaussianPrior>(t.mean, t.cov, NoiseRange{0.01, 10});
  auto fitted = GaussianImageModel::fit(t.images.slice(0, 0, 3000));
  auto held_out = t.images.slice(0, 3000, 4000);
  NoiseLevelOptions o;
  o.levels = 5;
  o.seed = 3;
  auto rows = noise_level_table(*exact, fitted, held_out, 0.01, 10, o);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_DOUBLE_EQ(rows.front().sigma, 0.01);
  EXPECT_NEAR(rows.back().sigma, 10, 1e-9);
  for (const auto& r : rows) {
    EXPECT_LT(std::abs(r.flux_bias), 4 * r.flux_bias_se + 1e-9) << r.sigma;
    EXPECT_LT(r.score_departure, 0.2) << r.sigma;
    EXPECT_NEAR(r.flux_reference, 36 * 0.2, 0.2);
    EXPECT_GT(r.best_gaussian_weight, -0.5);
    EXPECT_LE(r.best_blend_dsm_loss, std::min(r.dsm_loss, r.gaussian_dsm_loss) + 1e-12);
  }
  const double eps = 0.02;
  auto biased = noise_level_table(BiasedPrior(exact, eps), fitted, held_out, 0.01, 10, o);
  // Σ(D − x) gains σ²·Σ(ε/σ) = ε·36·σ: 7.2 at σ = 10, over 10 standard errors.
  EXPECT_NEAR(biased.back().flux_bias - rows.back().flux_bias, eps * 36 * 10, 1e-6);
  EXPECT_GT(biased.back().flux_bias, 10 * biased.back().flux_bias_se);
  EXPECT_GT(biased.back().best_gaussian_weight, 0.5);  // the Gaussian's score is the better one there
  auto dir = test::scratch_dir("prior_noise_levels");
  auto j = write_noise_level_table(biased, dir / "levels.csv", dir / "levels.png");
  EXPECT_EQ(j.size(), 5u);
  std::ifstream f(dir / "levels.csv");
  std::string header;
  std::getline(f, header);
  EXPECT_EQ(header.rfind("sigma,dsm_loss,gaussian_dsm_loss,flux_reference,flux_bias,", 0), 0u);
  EXPECT_TRUE(std::filesystem::exists(dir / "levels.png"));
  o.levels = 1;
  EXPECT_THROW(noise_level_table(*exact, fitted, held_out, 0.01, 10, o), UsageError);
}

}  // namespace
}  // namespace penumbra
