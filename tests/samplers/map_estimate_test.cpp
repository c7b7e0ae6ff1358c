#include "samplers/map_estimate.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "instruments/torch/exact_likelihood.hpp"
#include "priors/analytic_priors.hpp"
#include "src/core/errors.hpp"

using namespace penumbra;

namespace {
// A random complex 12×16 measurement of a 4×4 image.
struct Problem {
  at::Tensor a, y, w;
};
Problem make_problem() {
  torch::manual_seed(3);
  auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  auto a = torch::complex(torch::randn({12, 16}, opts), torch::randn({12, 16}, opts));
  auto x = torch::rand({16}, opts);
  auto y = torch::matmul(a, x.to(torch::kComplexDouble)) +
           0.1 * torch::complex(torch::randn({12}, opts), torch::randn({12}, opts));
  return {a, y, torch::full({12}, 100.0, opts)};
}
}  // namespace

TEST(MapEstimate, GaussianPriorGivesTheClosedFormPosteriorMean) {
  Problem p = make_problem();
  auto prior = std::make_shared<GaussianPrior>(0.5, 0.3);
  auto lik = std::make_shared<DenseGaussianLikelihood>(p.a, p.y, p.w, 4, 4, DenseGaussianLikelihood::Mode::kExact);
  Posterior post(prior, lik);
  MapOptions o;
  o.tolerance = 1e-14;
  o.max_iterations = 500;
  MapResult r = map_estimate(post, torch::zeros({4, 4}, torch::kFloat64), o);
  // (A_rᵀ W A_r + I/s²) x = A_rᵀ W y_r + m/s², real form A_r = [Re A; Im A].
  auto ar = torch::cat({torch::real(p.a), torch::imag(p.a)}, 0);
  auto yr = torch::cat({torch::real(p.y), torch::imag(p.y)}, 0);
  auto wr = torch::cat({p.w, p.w}, 0);
  auto lhs = torch::matmul(ar.t() * wr, ar) + torch::eye(16, torch::kFloat64) / (0.3 * 0.3);
  auto rhs = torch::matmul(ar.t(), wr * yr) + 0.5 / (0.3 * 0.3);
  auto expected = torch::linalg_solve(lhs, rhs, true);
  EXPECT_LT((r.image.reshape({-1}) - expected).abs().max().item<double>(), 1e-6);
  EXPECT_TRUE(r.converged);
  for (std::size_t i = 1; i < r.energy.size(); ++i) EXPECT_LE(r.energy[i], r.energy[i - 1] + 1e-9);
}

TEST(MapEstimate, TotalVariationWithPositivityDecreasesTheEnergy) {
  Problem p = make_problem();
  auto prior = std::make_shared<TotalVariationPrior>(1.0, 1e-3);
  auto lik = std::make_shared<DenseGaussianLikelihood>(p.a, p.y, p.w, 4, 4, DenseGaussianLikelihood::Mode::kExact);
  Posterior post(prior, lik);
  MapOptions o;
  o.nonnegative = true;
  MapResult r = map_estimate(post, torch::full({4, 4}, 0.5, torch::kFloat64), o);
  EXPECT_GE(r.image.min().item<double>(), 0.0);
  EXPECT_LT(r.energy.back(), r.energy.front());
  for (std::size_t i = 1; i < r.energy.size(); ++i) EXPECT_LE(r.energy[i], r.energy[i - 1] + 1e-9);
}

TEST(MapEstimate, RejectsBadStartImages) {
  auto post = Posterior(std::make_shared<GaussianPrior>(0.0, 1.0));
  EXPECT_THROW(map_estimate(post, torch::zeros({1, 4, 4}, torch::kFloat64)), UsageError);
}
