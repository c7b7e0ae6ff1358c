// Every sampler's score_evaluations() equals the prior score calls of one full
// run (init included), counted by a prior that counts them; and a posterior
// without likelihood (the prior alone) is sampled like any other.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <atomic>
#include <cmath>
#include <memory>

#include "priors/analytic_priors.hpp"
#include "samplers/diffusion_samplers.hpp"
#include "samplers/driver.hpp"
#include "samplers/mcmc.hpp"
#include "samplers/split_gibbs.hpp"
#include "tests/samplers/identity_likelihood.hpp"

namespace penumbra {
namespace {

// N(0, 1) per pixel, counting score() calls.
class CountingPrior final : public Prior {
 public:
  at::Tensor score(const at::Tensor& x, const at::Tensor& sigma) const override {
    ++calls;
    return inner_.score(x, sigma);
  }
  bool has_log_prob() const override { return true; }
  at::Tensor log_prob(const at::Tensor& x) const override { return inner_.log_prob(x); }
  double sigma_max() const override { return 10; }
  double sigma_min() const override { return 0.01; }
  std::string name() const override { return "counting"; }
  mutable std::atomic<std::int64_t> calls{0};

 private:
  GaussianPrior inner_{0.0, 1.0, NoiseRange{0.01, 10}};
};

constexpr std::int64_t kSide = 4;

std::int64_t counted_run(const Sampler& s, const CountingPrior& prior) {
  prior.calls = 0;
  auto gen = make_generator(3);
  sample_chains(s, {2, kSide, kSide, torch::kFloat64}, gen);
  return prior.calls.load();
}

struct Fixture {
  std::shared_ptr<CountingPrior> prior = std::make_shared<CountingPrior>();
  std::shared_ptr<const Posterior> alone = std::make_shared<Posterior>(prior);
  std::shared_ptr<const Likelihood> like =
      std::make_shared<IdentityLikelihood>(torch::full({kSide, kSide}, 0.5, torch::kFloat64), 0.1);
  std::shared_ptr<const Posterior> post = std::make_shared<Posterior>(prior, like);
};

TEST(ScoreEvaluations, DiffusionSamplersCountEveryScoreCall) {
  Fixture f;
  AnnealedLangevinOptions a;
  a.levels = 3;
  a.steps_per_level = 4;
  for (bool denoise : {true, false}) {
    a.denoise = denoise;
    AnnealedLangevin s(f.post, a);
    EXPECT_EQ(s.score_evaluations(), 12 + (denoise ? 1 : 0));
    EXPECT_EQ(counted_run(s, *f.prior), s.score_evaluations()) << "ald denoise=" << denoise;
  }
  EulerMaruyamaOptions e;
  e.steps = 7;
  EulerMaruyama em(f.post, e);
  EXPECT_EQ(counted_run(em, *f.prior), em.score_evaluations());
  EXPECT_EQ(em.score_evaluations(), 7);

  PredictorCorrectorOptions p;
  p.levels = 5;
  p.corrector_steps = 2;
  PredictorCorrector pc(f.post, p);
  EXPECT_EQ(pc.score_evaluations(), 15);
  EXPECT_EQ(counted_run(pc, *f.prior), pc.score_evaluations());
  p.final_step = FinalStep::kSpread;
  p.final_probes = 3;
  PredictorCorrector spread(f.post, p);
  EXPECT_EQ(spread.score_evaluations(), 15 + 6);
  EXPECT_EQ(counted_run(spread, *f.prior), spread.score_evaluations());
  p.final_step = FinalStep::kExact;
  p.final_likelihood = f.like;
  PredictorCorrector exact(f.post, p);
  EXPECT_EQ(exact.score_evaluations(), 15 + 1 + 6);
  EXPECT_EQ(counted_run(exact, *f.prior), exact.score_evaluations());
}

TEST(ScoreEvaluations, McmcCountsTheStartAndEveryLeapfrogStep) {
  Fixture f;
  MalaOptions m;
  m.steps = 9;
  m.adapt_steps = 4;
  Mala mala(f.post, m);
  EXPECT_EQ(mala.score_evaluations(), 10);
  EXPECT_EQ(counted_run(mala, *f.prior), mala.score_evaluations());
  HmcOptions h;
  h.steps = 6;
  h.adapt_steps = 3;
  h.leapfrog_steps = 5;
  Hmc hmc(f.post, h);
  EXPECT_EQ(hmc.score_evaluations(), 31);
  EXPECT_EQ(hmc.total_steps(), 6);
  EXPECT_EQ(counted_run(hmc, *f.prior), hmc.score_evaluations());
}

TEST(ScoreEvaluations, SplitGibbsCountsPriorStepsNotConjugateGradients) {
  Fixture f;
  SplitGibbsOptions o;
  o.iterations = 4;
  o.prior_steps = 3;
  SplitGibbs sg(f.post, o);
  EXPECT_EQ(sg.score_evaluations(), 12);
  EXPECT_EQ(sg.total_steps(), 4);
  EXPECT_EQ(counted_run(sg, *f.prior), sg.score_evaluations());
}

// The prior alone (no likelihood) through the reverse-diffusion sampler, without
// (prior-sample's "em") and with Langevin correctors: N(2, 0.5²) per pixel comes
// back, and a start offset moves the initial draw only.
TEST(PriorOnlyPosterior, ReverseDiffusionReproducesAGaussianAndHonoursTheStart) {
  auto prior = std::make_shared<GaussianPrior>(2.0, 0.5, NoiseRange{1e-3, 20});
  auto alone = std::make_shared<Posterior>(prior);
  EXPECT_EQ(alone->likelihood(), nullptr);
  EXPECT_NE(alone->describe().find("likelihood=none"), std::string::npos);
  for (std::int64_t correctors : {0, 1}) {
    PredictorCorrectorOptions p;
    p.levels = 201;
    p.corrector_steps = correctors;
    PredictorCorrector s(alone, p);
    auto gen = make_generator(11);
    // 8 × 8 images: the corrector step sizes come from per-chain norms, too noisy on a few pixels.
    auto x = sample_chains(s, {100, 8, 8, torch::kFloat64}, gen).flatten();
    EXPECT_NEAR(x.mean().item<double>(), 2.0, 0.03) << correctors;
    EXPECT_NEAR(x.std().item<double>(), 0.5, 0.03) << correctors;
  }
  PredictorCorrector s(alone, {});
  auto g1 = make_generator(5), g2 = make_generator(5);
  auto a = s.init({3, 2, 2, torch::kFloat64}, g1);
  auto b = s.init({3, 2, 2, torch::kFloat64}, g2, torch::scalar_tensor(1.5, torch::kFloat64));
  EXPECT_TRUE(torch::allclose(b.x - a.x, torch::full_like(a.x, 1.5)));
  EXPECT_THROW(geometric_sigmas(1, 2, 10), UsageError);
  EXPECT_EQ(geometric_sigmas(4, 1, 3), (std::vector<double>{4, 2, 1}));
}

// A score that turns non-finite stops the run with an error naming the step.
class NanPrior final : public Prior {
 public:
  at::Tensor score(const at::Tensor& x, const at::Tensor&) const override { return x * std::nan(""); }
  double sigma_max() const override { return 1; }
  double sigma_min() const override { return 0.1; }
  std::string name() const override { return "nan"; }
};

TEST(PriorOnlyPosterior, ADivergingScoreIsAnInternalError) {
  PredictorCorrectorOptions p;
  p.levels = 4;
  p.corrector_steps = 0;
  PredictorCorrector s(std::make_shared<Posterior>(std::make_shared<NanPrior>()), p);
  auto gen = make_generator(1);
  EXPECT_THROW(sample_chains(s, {1, 4, 4, torch::kFloat}, gen), InternalError);
}

}  // namespace
}  // namespace penumbra
