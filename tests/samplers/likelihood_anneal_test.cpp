// The likelihood-weight anneal (samplers/likelihood_anneal.hpp): its values at the
// ends of the noise range and between, the per-chain weighting inside
// Posterior::score, and that `none` computes the score exactly as before. That an
// annealed sampler still ends on the right posterior is in exactness_test.cpp.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <memory>

#include "priors/analytic_priors.hpp"
#include "samplers/likelihood_anneal.hpp"
#include "samplers/posterior.hpp"
#include "src/core/errors.hpp"
#include "tests/samplers/identity_likelihood.hpp"

namespace penumbra {
namespace {

LikelihoodAnneal linear_anneal(double start) {
  LikelihoodAnneal a;
  a.kind = AnnealKind::kLinear;
  a.start = start;
  return a;
}

TEST(LikelihoodAnneal, LinearRisesFromStartAtSigmaMaxToOneAtSigmaFull) {
  auto a = linear_anneal(0.2).resolved(0.01, 100);
  EXPECT_DOUBLE_EQ(a.sigma_full, 0.01);  // zeros are the prior's range
  EXPECT_DOUBLE_EQ(a.sigma_max, 100);
  EXPECT_DOUBLE_EQ(a.factor(100.0), 0.2);
  EXPECT_DOUBLE_EQ(a.factor(1000.0), 0.2);  // above σ_max it stays at start
  EXPECT_DOUBLE_EQ(a.factor(0.01), 1.0);
  EXPECT_DOUBLE_EQ(a.factor(0.001), 1.0);
  EXPECT_DOUBLE_EQ(a.factor(0.0), 1.0);
  // Linear in log σ: σ = 1 is half way from 0.01 to 100.
  EXPECT_NEAR(a.factor(1.0), 0.6, 1e-12);
  auto sig = torch::tensor({100.0, 1.0, 0.01, 0.0}, torch::kFloat64);
  auto t = a.factor(sig);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(t[i].item<double>(), a.factor(sig[i].item<double>()), 1e-12) << i;
  EXPECT_EQ(a.describe(), "linear(start=0.2, sigma=[0.01, 100])");
  EXPECT_EQ(a.factor(torch::tensor({1.0f})).scalar_type(), torch::kFloat32);
}

TEST(LikelihoodAnneal, SigmaFallsAsOneOverSigmaSquaredAboveSigmaFull) {
  LikelihoodAnneal s;
  s.kind = AnnealKind::kSigma;
  s.sigma_full = 0.1;
  s = s.resolved(0.01, 100);
  EXPECT_DOUBLE_EQ(s.sigma_full, 0.1);
  EXPECT_NEAR(s.factor(100.0), 1e-6, 1e-18);
  EXPECT_NEAR(s.factor(1.0), 0.01, 1e-15);
  EXPECT_DOUBLE_EQ(s.factor(0.1), 1.0);
  EXPECT_DOUBLE_EQ(s.factor(0.01), 1.0);
  auto t = s.factor(torch::tensor({100.0, 1.0, 0.1, 0.0}, torch::kFloat64));
  EXPECT_NEAR(t[0].item<double>(), 1e-6, 1e-18);
  EXPECT_NEAR(t[1].item<double>(), 0.01, 1e-15);
  EXPECT_DOUBLE_EQ(t[2].item<double>(), 1.0);
  EXPECT_DOUBLE_EQ(t[3].item<double>(), 1.0);
  EXPECT_EQ(s.describe(), "sigma(full=0.1)");
}

TEST(LikelihoodAnneal, NoneIsOneAndBadSettingsAreRefused) {
  LikelihoodAnneal none;
  EXPECT_FALSE(none.active());
  EXPECT_DOUBLE_EQ(none.factor(50.0), 1.0);
  EXPECT_EQ(none.resolved(0.01, 100).sigma_full, 0.0);  // none keeps its settings untouched
  EXPECT_EQ(parse_anneal_kind("linear"), AnnealKind::kLinear);
  EXPECT_EQ(parse_anneal_kind("sigma"), AnnealKind::kSigma);
  EXPECT_EQ(anneal_kind_name(parse_anneal_kind("none")), "none");
  EXPECT_THROW(parse_anneal_kind("cosine"), UsageError);
  EXPECT_THROW(linear_anneal(1.5).resolved(0.01, 100), UsageError);
  EXPECT_THROW(linear_anneal(-0.1).resolved(0.01, 100), UsageError);
  auto flat = linear_anneal(0.0);
  flat.sigma_full = 100;  // nothing left to ramp over
  EXPECT_THROW(flat.resolved(0.01, 100), UsageError);
  try {
    linear_anneal(2.0).resolved(0.01, 100);
    ADD_FAILURE() << "start 2 accepted";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()), "likelihood anneal start must be in [0, 1], got 2");
  }
}

struct AnnealFixture {
  std::shared_ptr<const Prior> prior = std::make_shared<GaussianPrior>(0.0, 1.0, NoiseRange{0.01, 100});
  std::shared_ptr<const Likelihood> like =
      std::make_shared<IdentityLikelihood>(torch::full({3, 3}, 0.5, torch::kFloat64), 0.1);
  at::Tensor x = torch::linspace(-1, 1, 4 * 9, torch::kFloat64).view({4, 3, 3});
  at::Tensor sigma = torch::tensor({100.0, 1.0, 0.01, 0.0}, torch::kFloat64);
};

TEST(LikelihoodAnneal, NoneLeavesThePosteriorScoreBitIdentical) {
  AnnealFixture f;
  for (double weight : {1.0, 0.7}) {
    Tempering t;
    t.likelihood_weight = weight;
    Posterior post(f.prior, f.like, t);
    auto l = f.like->score(f.x, f.sigma);
    auto expected = f.prior->score(f.x, f.sigma) + (weight == 1.0 ? l : weight * l);
    EXPECT_TRUE(torch::equal(post.score(f.x, f.sigma), expected)) << weight;
    EXPECT_EQ(post.describe().find(" anneal="), std::string::npos) << post.describe();
  }
}

TEST(LikelihoodAnneal, PosteriorWeightsEachChainsLikelihoodByItsSigma) {
  AnnealFixture f;
  Tempering t;
  t.likelihood_weight = 0.8;
  t.anneal = linear_anneal(0.0);
  Posterior post(f.prior, f.like, t);  // the anneal's zeros become the prior's range
  EXPECT_NE(post.describe().find("anneal=linear(start=0, sigma=[0.01, 100])"), std::string::npos)
      << post.describe();
  auto got = post.score(f.x, f.sigma);
  auto ps = f.prior->score(f.x, f.sigma), l = f.like->score(f.x, f.sigma);
  const double expected_share[4] = {0.0, 0.5, 1.0, 1.0};
  for (int b = 0; b < 4; ++b)
    EXPECT_TRUE(torch::allclose(got[b], ps[b] + 0.8 * expected_share[b] * l[b], 1e-12, 1e-12)) << "chain " << b;
  // At σ = 0 (log_prob's level) the anneal is inactive: the score is the tempered one.
  Tempering plain;
  plain.likelihood_weight = 0.8;
  EXPECT_TRUE(torch::allclose(post.score(f.x, 0.0), Posterior(f.prior, f.like, plain).score(f.x, 0.0)));
}

}  // namespace
}  // namespace penumbra
