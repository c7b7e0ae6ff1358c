// The fitted Gaussian's score against the dense formula −(C + σ²I)⁻¹(x − μ) with
// the sample covariance, and a diffusion prior's Gaussian-limit blend: the network
// alone below sigma_from, the Gaussian alone above sigma_to, a smooth mix between.
#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "priors/diffusion_prior.hpp"
#include "priors/gaussian_image_model.hpp"
#include "priors/training.hpp"
#include "src/core/errors.hpp"
#include "tests/support/paths.hpp"

using namespace penumbra;

namespace {

at::Tensor correlated_images(std::int64_t n, int side, std::uint64_t seed) {
  torch::manual_seed(seed);
  auto mix = torch::randn({side * side, side * side}, torch::kFloat64) / side;
  auto x = torch::matmul(torch::randn({n, side * side}, torch::kFloat64), mix) + 0.3;
  return x.reshape({n, side, side});
}

TEST(GaussianImageModel, ScoreIsTheDenseGaussianScoreOfTheSampleCovariance) {
  auto images = correlated_images(40, 4, 1);
  auto g = GaussianImageModel::fit(images);
  EXPECT_EQ(g.components().size(0), 16);  // rank min(N − 1, pixels)
  auto flat = images.reshape({40, 16});
  auto mu = flat.mean(0);
  auto c = torch::matmul((flat - mu).t(), flat - mu) / 39.0;
  EXPECT_NEAR(g.total_flux_variance(), c.sum().item<double>(), 1e-9 * c.sum().abs().item<double>());
  auto x = correlated_images(3, 4, 2);
  for (double sigma : {0.05, 1.0, 20.0}) {
    auto dense = -torch::linalg::solve(c + sigma * sigma * torch::eye(16, torch::kFloat64),
                                       (x.reshape({3, 16}) - mu).t(), true)
                      .t();
    EXPECT_TRUE(torch::allclose(g.score(x, sigma).reshape({3, 16}), dense, 1e-8, 1e-10)) << sigma;
    EXPECT_TRUE(torch::allclose(g.denoise(x, sigma), x + sigma * sigma * g.score(x, sigma)));
  }
  // Fewer images than pixels: zero variance outside their span, the score pulls straight to it.
  auto low = GaussianImageModel::fit(images.slice(0, 0, 5), 2);
  EXPECT_EQ(low.components().size(0), 2);
  EXPECT_THROW(GaussianImageModel::fit(images.slice(0, 0, 1)), UsageError);
  EXPECT_THROW(g.score(torch::zeros({1, 5, 5}), 1.0), UsageError);
  EXPECT_THROW(g.score(x, 0.0), UsageError);
}

TEST(GaussianLimit, BlendsTheNetworkIntoTheGaussianBetweenTheTwoLevels) {
  at::set_num_threads(1);
  auto dir = test::scratch_dir("gaussian_limit");
  TrainConfig c;
  c.batch = 4;
  c.sde.sigma_max = 5;
  c.net.sigma_data = 0.1;
  c.net.width = 8;
  c.net.patch = 1;
  c.net.multipliers = {1, 2};
  DataInfo info;
  info.height = info.width = 8;
  info.source = "test";
  auto data = correlated_images(16, 8, 3).to(torch::kFloat32);
  PriorTrainer tr(c, info, data);
  tr.step();
  tr.save(dir / "p.ckpt");
  auto prior = DiffusionPrior::load(dir / "p.ckpt");
  auto g = std::make_shared<GaussianImageModel>(GaussianImageModel::fit(data));
  auto x = correlated_images(3, 8, 4).to(torch::kFloat32);
  auto sig = torch::tensor({0.5, 2.0, 8.0}, torch::kFloat64);
  auto net = prior->score(x, sig);
  prior->set_gaussian_limit({g, 1.0, 4.0});
  auto blended = prior->score(x, sig);
  EXPECT_TRUE(torch::equal(blended[0], net[0]));  // below sigma_from: bit-identical
  EXPECT_TRUE(torch::allclose(blended[2], g->score(x.slice(0, 2, 3), 8.0)[0], 1e-5, 1e-7));
  const double w = prior->gaussian_limit().weight(2.0);
  EXPECT_DOUBLE_EQ(w, 0.5);  // the middle of [1, 4] in log σ
  EXPECT_TRUE(torch::allclose(blended[1], 0.5 * net[1] + 0.5 * g->score(x.slice(0, 1, 2), 2.0)[0], 1e-5, 1e-7));
  // Physical units: the Gaussian is scaled with the network.
  prior->set_physical_scale(2.0);
  EXPECT_TRUE(torch::allclose(prior->score(2 * x, 2 * sig)[2], g->score(x.slice(0, 2, 3), 8.0)[0] / 2, 1e-5, 1e-7));
  EXPECT_THROW(prior->set_gaussian_limit({g, 2.0, 1.0}), UsageError);
  auto other = std::make_shared<GaussianImageModel>(GaussianImageModel::fit(correlated_images(8, 4, 5)));
  EXPECT_THROW(prior->set_gaussian_limit({other, 1.0, 4.0}), UsageError);
  prior->set_gaussian_limit({});
  prior->set_physical_scale(1.0);
  EXPECT_TRUE(torch::equal(prior->score(x, sig), net));
}

}  // namespace
