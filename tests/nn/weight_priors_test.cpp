// Weight priors (closed forms against Monte Carlo and independent quadrature)
// and the tempered ELBO / VI kernel.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fmt/format.h>

#include <cmath>
#include <numbers>

#include "priors/weight_priors.hpp"
#include "samplers/variational.hpp"
#include "src/core/errors.hpp"
#include "src/nn/bayesian_layers.hpp"

using namespace penumbra;

namespace {
torch::Tensor mc_cross_entropy(const WeightPrior& p, const torch::Tensor& mu, const torch::Tensor& sigma, int n) {
  auto acc = torch::zeros({}, torch::kFloat64);
  for (int i = 0; i < n; ++i) acc += -p.log_prob(mu + sigma * torch::randn_like(mu));
  return acc / n;
}
}  // namespace

TEST(WeightPriors, ClosedFormsMatchMonteCarlo) {
  torch::manual_seed(1);
  auto mu = torch::tensor({0.3, -0.05, 0.0, 1.2}, torch::kFloat64);
  auto sigma = torch::tensor({0.1, 0.02, 0.5, 0.3}, torch::kFloat64);
  for (const char* spec : {"gaussian", "gaussian:sigma=0.7", "laplace", "laplace:b=0.2"}) {
    auto p = make_weight_prior(spec);
    ASSERT_TRUE(p->closed_form()) << spec;
    double cf = p->cross_entropy(mu, sigma).item<double>();
    double mc = mc_cross_entropy(*p, mu, sigma, 20000).item<double>();
    EXPECT_NEAR(cf, mc, 0.02 * std::abs(cf) + 0.02) << spec;
  }
  // KL of q = p is zero for the Gaussian.
  auto g = make_weight_prior("gaussian:sigma=0.5");
  auto m0 = torch::zeros({3}, torch::kFloat64), s0 = torch::full({3}, 0.5, torch::kFloat64);
  EXPECT_NEAR(kl_divergence(*g, m0, s0).item<double>(), 0.0, 1e-12);
}

TEST(WeightPriors, MixturesHaveTheReferenceDefaultsAndDensities) {
  auto gsm = make_weight_prior("gsm");
  EXPECT_EQ(gsm->name(), "gsm:pi=0.75,sigma1=1,sigma2=0.0009");
  EXPECT_FALSE(gsm->closed_form());
  auto w = torch::tensor({0.01}, torch::kFloat64);
  auto n = [](double x, double s) { return std::exp(-0.5 * x * x / (s * s)) / (s * std::sqrt(2 * std::numbers::pi)); };
  EXPECT_NEAR(gsm->log_prob(w).item<double>(), std::log(0.75 * n(0.01, 1) + 0.25 * n(0.01, 9e-4)), 1e-9);
  auto lm = make_weight_prior("laplace-mixture");
  EXPECT_EQ(lm->name(), "laplace-mixture:pi=0.75,b1=1,b2=0.001");
  auto l = [](double x, double b) { return std::exp(-std::abs(x) / b) / (2 * b); };
  EXPECT_NEAR(lm->log_prob(w).item<double>(), std::log(0.75 * l(0.01, 1) + 0.25 * l(0.01, 1e-3)), 1e-9);
  // Monte Carlo CE is unbiased: its average over many draws matches a long MC run.
  torch::manual_seed(3);
  auto mu = torch::tensor({0.02, -0.3}, torch::kFloat64), sg = torch::tensor({0.01, 0.05}, torch::kFloat64);
  double a = gsm->cross_entropy(mu, sg, 4000).item<double>();
  double b = mc_cross_entropy(*gsm, mu, sg, 4000).item<double>();
  EXPECT_NEAR(a, b, 0.05 * std::abs(b) + 0.05);
}

TEST(WeightPriors, HorseshoeQuadratureMatchesIndependentIntegral) {
  auto hs = make_weight_prior("horseshoe:tau=0.5");
  for (double x : {0.003, 0.1, 0.8, 4.0}) {
    // p(w) = (2/π) ∫_0^{π/2} N(w; 0, τ² tan²θ) dθ, fine midpoint rule.
    const int m = 400000;
    double s = 0;
    for (int i = 0; i < m; ++i) {
      double th = (i + 0.5) * (std::numbers::pi / 2) / m, sd = 0.5 * std::tan(th);
      s += std::exp(-0.5 * x * x / (sd * sd)) / (sd * std::sqrt(2 * std::numbers::pi));
    }
    double ref = std::log(s * (std::numbers::pi / 2) / m * 2 / std::numbers::pi);
    EXPECT_NEAR(hs->log_prob(torch::tensor({x}, torch::kFloat64)).item<double>(), ref, 2e-3) << x;
  }
}

TEST(WeightPriors, BadSpecsAreUsageErrors) {
  EXPECT_THROW(make_weight_prior("cauchy"), UsageError);
  EXPECT_THROW(make_weight_prior("gaussian:s=1"), UsageError);
  EXPECT_THROW(make_weight_prior("gsm:pi=1.5"), UsageError);
  EXPECT_THROW(make_weight_prior("laplace:b=-1"), UsageError);
  EXPECT_THROW(make_weight_prior("laplace:b=x"), UsageError);
}

TEST(Elbo, PartialAndFullTemperingFormulas) {
  ElboTerms t{torch::tensor(8.0), torch::tensor(50.0), torch::tensor(20.0), 4};
  ElboSettings s{100, 1.0, ElboTempering::kPartial};
  EXPECT_NEAR(tempered_loss(t, s).item<double>(), 2.0 + 30.0 / 100, 1e-6);
  s.tempering = ElboTempering::kFull;
  EXPECT_NEAR(tempered_loss(t, s).item<double>(), 2.0 + 30.0 / 100, 1e-6);  // T = 1: both are the ELBO
  s.temperature = 0.1;
  EXPECT_NEAR(tempered_loss(t, s).item<double>(), 2.0 + (50.0 - 2.0) / 100, 1e-6);
  s.tempering = ElboTempering::kPartial;
  EXPECT_NEAR(tempered_loss(t, s).item<double>(), 2.0 + 0.1 * 30.0 / 100, 1e-6);
  EXPECT_THROW(parse_tempering("cold"), UsageError);
  s.temperature = 0;
  EXPECT_THROW(tempered_loss(t, s), UsageError);
}

TEST(Elbo, PartialTemperingOfGaussianPriorIsFullTemperingOfWiderPrior) {
  // Partial with N(0, s²) = full with N(0, s²/T) up to a constant in (μ, σ).
  double s = 0.3, T = 0.05;
  auto p1 = make_weight_prior(fmt::format("gaussian:sigma={}", s));
  auto p2 = make_weight_prior(fmt::format("gaussian:sigma={}", s / std::sqrt(T)));
  auto loss = [&](const WeightPrior& p, ElboTempering mode, double mu, double sg) {
    auto m = torch::full({5}, mu, torch::kFloat64), g = torch::full({5}, sg, torch::kFloat64);
    ElboTerms t{torch::tensor(1.0, torch::kFloat64), p.cross_entropy(m, g), gaussian_entropy(g), 1};
    return tempered_loss(t, {10, T, mode}).item<double>();
  };
  double d1 = loss(*p1, ElboTempering::kPartial, 0.2, 0.05) - loss(*p2, ElboTempering::kFull, 0.2, 0.05);
  double d2 = loss(*p1, ElboTempering::kPartial, -0.7, 0.3) - loss(*p2, ElboTempering::kFull, -0.7, 0.3);
  EXPECT_NEAR(d1, d2, 1e-10);
  EXPECT_GT(std::abs(loss(*p1, ElboTempering::kFull, 0.2, 0.05) - loss(*p1, ElboTempering::kPartial, 0.2, 0.05)), 1e-3);
}

TEST(VariationalInference, LearnsTinyLogisticProblemAndStopsOnNaN) {
  torch::manual_seed(0);
  nn::BayesLinear layer(2, 2, nn::LayerOptions{true, -4.0});
  auto x = torch::randn({64, 2});
  auto y = (x.select(1, 0) + x.select(1, 1) > 0).to(torch::kLong);
  auto prior = make_weight_prior("gaussian:sigma=1");
  auto terms = [&](std::int64_t) {
    ElboTerms t;
    t.nll_sum = torch::nn::functional::cross_entropy(
        layer->forward(x), y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
    t.cross_entropy = prior->cross_entropy(layer->weight->mu, layer->weight->sigma()) +
                      prior->cross_entropy(layer->bias->mu, layer->bias->sigma());
    t.entropy = gaussian_entropy(layer->weight->sigma()) + gaussian_entropy(layer->bias->sigma());
    t.batch_size = 64;
    return t;
  };
  VariationalInference vi(layer->parameters(), 0.05, {64, 1.0, ElboTempering::kPartial}, terms);
  double first = vi.step().nll, last = 0;
  for (int i = 0; i < 80; ++i) last = vi.step().nll;
  EXPECT_LT(last, 0.6 * first);
  EXPECT_EQ(vi.steps_done(), 81);
  auto bad = [&](std::int64_t) {
    auto t = terms(0);
    t.nll_sum = t.nll_sum * std::nan("");
    return t;
  };
  VariationalInference vi_bad(layer->parameters(), 0.05, {64, 1.0, ElboTempering::kFull}, bad);
  EXPECT_THROW(vi_bad.step(), InternalError);
}
