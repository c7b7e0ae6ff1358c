// BYOL: the target is exactly the EMA of the online network, the τ schedule,
// the loss (its closed form from the modules, its range, no gradient into the
// target), and the random views (shape, range, identity settings, seeding).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "src/core/errors.hpp"
#include "src/nn/byol.hpp"
#include "src/nn/encoder.hpp"

using namespace penumbra;

namespace {
EncoderConfig tiny(int channels = 3) {
  EncoderConfig c;
  c.channels = channels, c.width = 4, c.depth = 1, c.stages = 3, c.image_size = 16;
  return c;
}
ByolOptions small_heads() {
  ByolOptions o;
  o.hidden = 16, o.projection = 8;
  return o;
}
}  // namespace

TEST(Byol, TauFollowsTheCosineScheduleFromBaseToOne) {
  EXPECT_DOUBLE_EQ(byol_tau(0.99, 0, 100), 0.99);
  EXPECT_DOUBLE_EQ(byol_tau(0.99, 100, 100), 1.0);
  EXPECT_NEAR(byol_tau(0.99, 50, 100), 0.995, 1e-12);
  for (int k = 1; k <= 100; ++k) EXPECT_GE(byol_tau(0.99, k, 100), byol_tau(0.99, k - 1, 100));
}

TEST(Byol, TargetIsTheExactEmaOfTheOnlineNetwork) {
  Encoder online(tiny(), 1);
  Byol byol(online, small_heads(), 2);
  for (auto [a, b] : {std::pair{online.parameters(), byol.target_encoder().parameters()},
                      std::pair{byol.projector().parameters(), byol.target_projector().parameters()}}) {
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i]));  // starts as a copy
  }
  {
    torch::NoGradGuard g;
    for (auto p : online.parameters()) p.add_(torch::randn_like(p));
    for (auto p : byol.projector().parameters()) p.add_(torch::randn_like(p));
  }
  std::vector<torch::Tensor> before;
  for (auto p : byol.target_encoder().parameters()) before.push_back(p.clone());
  for (auto p : byol.target_projector().parameters()) before.push_back(p.clone());
  byol.update_target(0.9);
  auto online_all = online.parameters(), target_all = byol.target_encoder().parameters();
  auto po = byol.projector().parameters(), pt = byol.target_projector().parameters();
  online_all.insert(online_all.end(), po.begin(), po.end());
  target_all.insert(target_all.end(), pt.begin(), pt.end());
  ASSERT_EQ(target_all.size(), before.size());
  for (std::size_t i = 0; i < before.size(); ++i)
    EXPECT_TRUE(torch::allclose(target_all[i], 0.9 * before[i] + 0.1 * online_all[i], 1e-6, 1e-7)) << i;
  byol.update_target(1.0);  // τ = 1 (the end of the schedule): the target stands still
  for (std::size_t i = 0; i < before.size(); ++i)
    EXPECT_TRUE(torch::allclose(target_all[i], 0.9 * before[i] + 0.1 * online_all[i], 1e-6, 1e-7)) << i;
}

TEST(Byol, LossIsTheSymmetrisedNormalisedMseAndTrainsOnlyTheOnlineSide) {
  torch::manual_seed(3);
  Encoder online(tiny(), 1);
  Byol byol(online, small_heads(), 2);
  auto v1 = torch::rand({4, 3, 16, 16}), v2 = torch::rand({4, 3, 16, 16});
  auto step = byol.loss(v1, v2);
  auto both = torch::cat({v1, v2});
  auto p = byol.predictor().forward(byol.projector().forward(online.forward(both)));
  auto z = byol.target_projector().forward(byol.target_encoder().forward(both)).detach();
  auto pn = p / p.norm(2, 1, true), zn = z / z.norm(2, 1, true);
  auto manual = ((pn.slice(0, 0, 4) - zn.slice(0, 4)).square().sum(1) + (pn.slice(0, 4) - zn.slice(0, 0, 4)).square().sum(1)).mean();
  EXPECT_NEAR(step.loss.item<double>(), manual.item<double>(), 1e-5);
  EXPECT_GE(step.loss.item<double>(), 0.0);
  EXPECT_LE(step.loss.item<double>(), 8.0);
  EXPECT_EQ(step.features1.sizes(), (std::vector<std::int64_t>{4, tiny().feature_dim()}));
  step.loss.backward();
  for (auto& t : online.parameters()) EXPECT_TRUE(t.grad().defined());
  for (auto& t : byol.predictor().parameters()) EXPECT_TRUE(t.grad().defined());
  for (auto& t : byol.target_encoder().parameters()) EXPECT_FALSE(t.grad().defined());
  // The cosine form: a prediction that points along the target costs 0, opposite costs 4.
  auto a = torch::randn({3, 5});
  EXPECT_TRUE(torch::allclose(normalised_mse(2.5 * a, a), torch::zeros({3}), 0, 1e-5));
  EXPECT_TRUE(torch::allclose(normalised_mse(-a, a), torch::full({3}, 4.0), 0, 1e-5));
}

TEST(ByolViews, KeepShapeAndRangeAndDependOnlyOnTheSeed) {
  torch::manual_seed(4);
  auto x = torch::rand({5, 3, 20, 20});
  ViewOptions id;
  id.rotate = id.flip = false;
  id.min_scale = 1.0, id.blur = 0, id.jitter = 0, id.noise = 0;
  EXPECT_TRUE(torch::allclose(random_views(x, id, 1), x, 0, 1e-5));  // identity settings: the image itself
  ViewOptions geometric;
  geometric.noise = 0, geometric.jitter = 0;
  auto v = random_views(x, geometric, 7);
  EXPECT_EQ(v.sizes(), x.sizes());
  // Resampling, reflection and blur are convex combinations: each view stays inside its image's range.
  for (int i = 0; i < 5; ++i) {
    EXPECT_GE(v[i].min().item<float>(), x[i].min().item<float>() - 1e-5f);
    EXPECT_LE(v[i].max().item<float>(), x[i].max().item<float>() + 1e-5f);
  }
  EXPECT_FALSE(torch::allclose(v, x));
  ViewOptions full;
  EXPECT_TRUE(torch::equal(random_views(x, full, 9), random_views(x, full, 9)));
  EXPECT_FALSE(torch::equal(random_views(x, full, 9), random_views(x, full, 10)));
  EXPECT_EQ(random_views(torch::rand({2, 1, 16, 16}), full, 1).sizes(), (std::vector<std::int64_t>{2, 1, 16, 16}));
  full.min_scale = 0.0;
  EXPECT_THROW(random_views(x, full, 1), UsageError);
}
