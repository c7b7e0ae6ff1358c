// `sample`'s time breakdown (src/pipelines/sampling_time.hpp): a run's summary
// splits its sampling time into prior, likelihood, exact final draw and the
// rest, counts the images the prior scored, and a network prior's FLOPs come
// from its cost model (a patch prior's mean tiling).
#include "src/pipelines/sampling_time.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <chrono>
#include <thread>

#include "priors/patch_prior.hpp"
#include "src/core/units.hpp"
#include "src/pipelines/posterior_run.hpp"
#include "tests/support/paths.hpp"

using namespace penumbra;

namespace {

// N(0, 1) pixels with a 4 ms score: slow enough to dominate a 16² run's time.
class SlowGaussianPrior final : public Prior {
 public:
  at::Tensor score(const at::Tensor& x, const at::Tensor& sigma) const override {
    std::this_thread::sleep_for(std::chrono::milliseconds(4));
    return -x / (1.0 + sigma.square()).view({-1, 1, 1});
  }
  double sigma_max() const override { return 10; }
  double sigma_min() const override { return 0.01; }
  std::string name() const override { return "slow-gaussian"; }
};

}  // namespace

TEST(SamplingTime, RunSummarySplitsTheSamplingTime) {
  PosteriorRunRequest r;
  r.grid = ImageGrid{16, 16, 50e-3 * kArcsec, 0.0, -0.5};
  const double reach = 0.4 / r.grid.cell;  // a ring of 60 baselines, 1 Jy point source
  for (int k = 0; k < 60; ++k) {
    r.vis.u.push_back(reach * std::cos(0.1 * k) * (0.2 + 0.01 * k));
    r.vis.v.push_back(reach * std::sin(0.1 * k) * (0.2 + 0.01 * k));
    r.vis.vis.push_back({1.0, 0.0});
    r.vis.weight.push_back(1e4);
  }
  r.input = "ring";
  r.prior = PipelinePrior{std::make_shared<SlowGaussianPrior>(), PixelUnits{0.1, 0.0}, "slow-gaussian"};
  r.settings.sampler.sampler = "pc";
  r.settings.sampler.steps = 20;
  r.settings.sampler.final_step = "exact";
  r.nsamples = 4;
  r.batch = 2;
  auto report = run_posterior(r, test::scratch_dir("sampling_time"));
  const auto& t = report.summary.at("timing");
  const std::int64_t steps = t.at("steps");
  EXPECT_EQ(steps, 2 * 20);                                   // two batches of 20 steps
  EXPECT_EQ(t.at("prior_image_evaluations").get<std::int64_t>(), steps * 2);  // one call a step, 2 chains
  EXPECT_GE(t.at("prior_seconds").get<double>(), 0.004 * double(steps));
  EXPECT_GT(t.at("likelihood_seconds").get<double>(), 0);
  EXPECT_GT(t.at("final_draw_seconds").get<double>(), 0);     // one exact final draw per batch
  const double parts = t.at("prior_seconds").get<double>() + t.at("likelihood_seconds").get<double>() +
                       t.at("final_draw_seconds").get<double>() + t.at("other_seconds").get<double>();
  EXPECT_NEAR(parts, t.at("seconds").get<double>(), 1e-9);
  EXPECT_NEAR(t.at("seconds").get<double>(), report.summary.at("seconds_sampling").get<double>(), 1e-9);
  EXPECT_FALSE(t.contains("network_gflop_per_second"));  // not a network: no FLOP rate
  EXPECT_EQ(t.at("tiling_seconds").get<double>(), 0);     // not a patch prior: nothing to split
}

TEST(SamplingTime, APatchPriorsNetworkIsClockedApartFromItsTiling) {
  auto field = std::make_shared<GaussianFieldPatchScore>(8, 1.0, 2.0, "squared-exponential", 10, 0.01);
  auto plain = std::make_shared<PatchPrior>(field, 32, 32);
  auto clock = std::make_shared<CallClock>();
  auto clocked = with_network_clock(plain, clock);
  ASSERT_NE(dynamic_cast<const PatchPrior*>(clocked.get()), nullptr);
  auto x = torch::randn({3, 32, 32});
  auto sigma = torch::full({3}, 0.3);
  EXPECT_TRUE(torch::equal(clocked->score(x, sigma), plain->score(x, sigma)));  // same tiling, same scores
  auto [dy, dx] = plain->shift_for(x, sigma, 0);
  EXPECT_EQ(clock->images(), 3 * plain->tiles_per_image(dy, dx));
  EXPECT_GT(clock->seconds(), 0);
  auto whole = std::make_shared<SlowGaussianPrior>();
  EXPECT_EQ(with_network_clock(whole, clock), whole);  // nothing to split

  // In a run: the prior's time splits into the network's and the tiling's.
  PosteriorRunRequest r;
  r.grid = ImageGrid{32, 32, 50e-3 * kArcsec, 0.0, -0.5};
  r.vis.u = {2e5, -1e5, 3e5};
  r.vis.v = {1e5, 2e5, -2e5};
  r.vis.vis = {{1.0, 0.0}, {0.9, 0.1}, {0.8, -0.1}};
  r.vis.weight = {1e2, 1e2, 1e2};
  r.input = "three";
  r.prior = PipelinePrior{plain, PixelUnits{0.1, 0.0}, "gaussian-field-patch"};
  r.settings.sampler.steps = 10;
  r.settings.sampler.final_step = "mean";
  r.nsamples = 2;
  r.batch = 2;
  const auto t = run_posterior(r, test::scratch_dir("sampling_time_patch")).summary.at("timing");
  EXPECT_GT(t.at("network_seconds").get<double>(), 0);
  EXPECT_NEAR(t.at("network_seconds").get<double>() + t.at("tiling_seconds").get<double>(),
              t.at("prior_seconds").get<double>(), 1e-9);
  EXPECT_GT(t.at("network_gflop_per_second").get<double>(), 0);
}

TEST(SamplingTime, FlopsOfAPatchPriorAreItsMeanTiling) {
  auto field = std::make_shared<GaussianFieldPatchScore>(16, 1.0, 2.0, "squared-exponential", 10, 0.01);
  PatchPrior prior(field, 64, 64);
  EXPECT_DOUBLE_EQ(prior_flops_per_image(prior), prior.mean_tiles_per_image() * field->flops_per_patch());
  const SamplingTime s{
      .seconds = 10, .prior = 6, .likelihood = 1, .steps = 5, .prior_images = 20, .flops_per_image = 3e9};
  EXPECT_DOUBLE_EQ(s.other(), 3);
  auto j = s.to_json();
  EXPECT_DOUBLE_EQ(j.at("prior_gflop_per_step").get<double>(), 3.0 * 20 / 5);
  EXPECT_DOUBLE_EQ(j.at("network_gflop_per_second").get<double>(), 3.0 * 20 / 6);
  EXPECT_DOUBLE_EQ(j.at("score_evaluations_per_second").get<double>(), 2);
  EXPECT_DOUBLE_EQ(j.at("overhead_fraction_of_network").get<double>(), 0.5);
  EXPECT_NE(s.describe().find("other 3.0 s (30 %); overhead 3.0 s = 50.0 % of the network's"), std::string::npos)
      << s.describe();
}
