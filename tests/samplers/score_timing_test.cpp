// The posterior's timing hooks (samplers/score_timing.hpp): Posterior::score
// charges the prior's and the likelihood's time and the images they scored to
// the right clock, a likelihood that is not called is charged nothing, and
// copies of a posterior share one account.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <chrono>
#include <thread>

#include "samplers/posterior.hpp"

using namespace penumbra;

namespace {

void nap(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

class NappingPrior final : public Prior {
 public:
  at::Tensor score(const at::Tensor& x, const at::Tensor&) const override {
    nap(6);
    return -x;
  }
  double sigma_max() const override { return 1; }
  double sigma_min() const override { return 0.01; }
  std::string name() const override { return "napping-prior"; }
};

class NappingLikelihood final : public Likelihood {
 public:
  at::Tensor score(const at::Tensor& x, const at::Tensor&) const override {
    nap(2);
    return -x;
  }
  at::Tensor energy(const at::Tensor& x) const override { return x.flatten(1).square().sum(1); }
  std::string name() const override { return "napping-likelihood"; }
};

}  // namespace

TEST(ScoreTiming, PosteriorChargesEachPartToItsClock) {
  Posterior post(std::make_shared<NappingPrior>(), std::make_shared<NappingLikelihood>());
  auto x = torch::ones({3, 4, 4});
  for (int i = 0; i < 5; ++i) post.score(x, 0.5);
  const ScoreTiming& t = post.timing();
  EXPECT_EQ(t.prior.calls(), 5);
  EXPECT_EQ(t.prior.images(), 15);
  EXPECT_EQ(t.likelihood.calls(), 5);
  EXPECT_GE(t.prior.seconds(), 5 * 0.006);
  EXPECT_GE(t.likelihood.seconds(), 5 * 0.002);
  EXPECT_EQ(t.final_draw.calls(), 0);

  Posterior copy = post;  // the sampler's copy reports to the same account
  copy.score(x, 0.5);
  EXPECT_EQ(post.timing().prior.calls(), 6);
  post.timing().reset();
  EXPECT_EQ(copy.timing().prior.calls(), 0);
  EXPECT_EQ(copy.timing().prior.seconds(), 0);

  Posterior prior_only(std::make_shared<NappingPrior>(), std::make_shared<NappingLikelihood>(), Tempering{0.0, 1.0});
  prior_only.score(x, 0.5);
  EXPECT_EQ(prior_only.timing().likelihood.calls(), 0);
  EXPECT_EQ(prior_only.timing().likelihood.seconds(), 0);
}

// A clock paused by another counts nothing while the other runs (a patch prior's network
// calls inside an exact final draw belong to the final draw's time, not to the steps').
TEST(ScoreTiming, APausedClockSkipsCallsMadeInsideTheOther) {
  CallClock network, final_draw;
  network.set_paused_by(&final_draw);
  network.time([] { return 0; }, 3);
  final_draw.time([&] { return network.time([] { return 1; }, 5); }, 1);
  EXPECT_EQ(network.calls(), 1);
  EXPECT_EQ(network.images(), 3);
  EXPECT_EQ(final_draw.calls(), 1);
  EXPECT_FALSE(final_draw.running());
}
