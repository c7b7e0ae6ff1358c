// Unconditional draws from a prior (prior-sample, prior-validate, the coverage
// study's prior-sample truths): "em" is the reverse-diffusion predictor alone on
// steps + 1 levels, "pc" adds correctors; the settings are checked by quantity.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "priors/analytic_priors.hpp"
#include "samplers/driver.hpp"
#include "src/core/errors.hpp"
#include "src/pipelines/prior_sampling.hpp"

namespace penumbra {
namespace {

std::shared_ptr<const Prior> gaussian() { return std::make_shared<GaussianPrior>(0.0, 1.0, NoiseRange{0.01, 10}); }

TEST(PriorSampling, EmIsThePredictorAloneAndPcAddsCorrectors) {
  PriorSamplingSettings s;
  s.steps = 20;
  auto em = make_prior_sampler(gaussian(), s);
  EXPECT_EQ(em->name(), "pc");
  EXPECT_EQ(em->total_steps(), 21);
  EXPECT_EQ(em->score_evaluations(), 21);
  EXPECT_EQ(em->posterior().likelihood(), nullptr);
  s.sampler = "pc";
  s.corrector_steps = 2;
  auto pc = make_prior_sampler(gaussian(), s);
  EXPECT_EQ(pc->total_steps(), 21 * 3);
}

TEST(PriorSampling, BatchesShareOneGeneratorAndTheStartMeanShiftsTheFirstDraw) {
  PriorSamplingSettings s;
  s.steps = 10;
  auto sampler = make_prior_sampler(gaussian(), s);
  auto g1 = make_generator(3), g2 = make_generator(3);
  auto all = draw_prior_samples(*sampler, PriorDraws{5, 2, 4, 4, 0.0}, g1);
  ASSERT_EQ(all.sizes().vec(), (std::vector<std::int64_t>{5, 4, 4}));
  EXPECT_EQ(all.scalar_type(), torch::kFloat);
  // The first batch is a run of its own from the same generator.
  auto first = sample_chains(*sampler, {2, 4, 4, torch::kFloat}, g2);
  EXPECT_TRUE(torch::equal(all.slice(0, 0, 2), first));
  auto g3 = make_generator(3), g4 = make_generator(3);
  auto a = sampler->init({1, 4, 4, torch::kFloat}, g3);
  auto b = sampler->init({1, 4, 4, torch::kFloat}, g4, torch::scalar_tensor(0.25, torch::kFloat64));
  EXPECT_TRUE(torch::allclose(b.x - a.x, torch::full_like(a.x, 0.25)));
}

TEST(PriorSampling, SettingsAreCheckedByQuantity) {
  auto message = [](PriorSamplingSettings s) {
    try {
      s.validate();
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  PriorSamplingSettings s;
  s.sampler = "ald";
  EXPECT_EQ(message(s), "sampler must be em or pc, got 'ald'");
  s = {};
  s.steps = 0;
  EXPECT_EQ(message(s), "steps must be >= 1, got 0");
  s = {};
  s.corrector_steps = -1;
  EXPECT_EQ(message(s), "corrector steps must be >= 0, got -1");
  EXPECT_EQ(message({}), "");
}

}  // namespace
}  // namespace penumbra
