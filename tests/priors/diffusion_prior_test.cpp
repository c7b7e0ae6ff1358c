// Tiny networks (width 8, 16² images, a few steps) so the whole file runs in seconds.
#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>

#include "priors/checkpoint.hpp"
#include "priors/diffusion_prior.hpp"
#include "priors/score_network.hpp"
#include "priors/sde.hpp"
#include "priors/training.hpp"
#include "src/core/errors.hpp"
#include "src/datasets/galaxy_generator.hpp"
#include "tests/support/paths.hpp"

using namespace penumbra;

namespace {

ScoreNetConfig tiny_net() {
  ScoreNetConfig c;
  c.width = 8;
  c.multipliers = {1, 2};
  c.res_blocks = 1;
  c.patch = 1;
  c.sigma_data = 0.1;
  c.init_seed = 3;
  return c;
}

at::Tensor tiny_data(int n = 64, int size = 16) {
  GalaxyOptions o;
  o.size = size;
  GalaxyGenerator g(n, o, 9);
  auto t = torch::empty({n, size, size});
  g.generate(0, n, t.data_ptr<float>(), 1);
  return t;
}

TrainConfig tiny_config(Sde::Kind kind = Sde::Kind::kVE) {
  TrainConfig c;
  c.net = tiny_net();
  c.sde.kind = kind;
  c.sde.sigma_min = 0.01;
  c.sde.sigma_max = 5;
  c.sde.t_eps = kind == Sde::Kind::kVE ? 1e-5 : 1e-3;
  c.net.input_scaling = kind == Sde::Kind::kVE;
  c.batch = 8;
  c.lr = 2e-3;
  c.warmup = 2;
  c.seed = 17;
  return c;
}

DataInfo tiny_info() {
  DataInfo d;
  d.height = d.width = 16;
  d.source = "test";
  return d;
}

bool same(const std::vector<std::pair<std::string, at::Tensor>>& a,
          const std::vector<std::pair<std::string, at::Tensor>>& b, double tol = 0) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].first != b[i].first) return false;
    if (tol == 0 ? !torch::equal(a[i].second, b[i].second)
                 : (a[i].second - b[i].second).abs().max().item<double>() > tol)
      return false;
  }
  return true;
}

struct Threads1 : ::testing::Test {
  void SetUp() override { at::set_num_threads(1); }
};
using ScoreNetworkTest = Threads1;
using TrainingTest = Threads1;
using CheckpointTest = Threads1;
using DiffusionPriorTest = Threads1;

}  // namespace

TEST_F(ScoreNetworkTest, ShapesSeedsAndFlops) {
  ScoreNetwork a(tiny_net()), b(tiny_net());
  auto x = torch::randn({3, 16, 16});
  auto s = torch::tensor({0.1f, 1.f, 3.f});
  auto y = a.score(x, s);
  EXPECT_EQ(y.sizes(), x.sizes());
  EXPECT_TRUE(torch::equal(y, b.score(x, s)));  // same init_seed → same network
  auto c = tiny_net();
  c.init_seed = 4;
  EXPECT_FALSE(torch::equal(y, ScoreNetwork(c).score(x, s)));
  EXPECT_GT(a.parameter_count(), 1000);
  // Output ∝ 1/σ: the raw output at fixed input is O(1), so score·σ is what is bounded.
  EXPECT_LT((y * s.reshape({-1, 1, 1})).abs().max().item<double>(), 10.0);
  // FLOPs: at least the 3×3 convolutions at full resolution (conv_in + 2 per block ...).
  EXPECT_GT(a.flops_per_image(16, 16), 2.0 * 8 * 8 * 9 * 256 * 4);
  EXPECT_NEAR(a.flops_per_image(32, 32) / a.flops_per_image(16, 16), 4.0, 0.6);  // attention grows faster
  auto p = tiny_net();
  p.patch = 2;
  ScoreNetwork pn(p);
  EXPECT_EQ(pn.score(x, s).sizes(), x.sizes());
  EXPECT_LT(pn.flops_per_image(16, 16), a.flops_per_image(16, 16));
  auto bad = tiny_net();
  bad.width = 7;
  EXPECT_THROW(ScoreNetwork{bad}, UsageError);
}

TEST(Sde, VeAndVpMarginals) {
  Sde ve;
  ve.sigma_min = 0.01;
  ve.sigma_max = 10;
  EXPECT_NEAR(ve.sigma(0.0), 0.01, 1e-12);
  EXPECT_NEAR(ve.sigma(1.0), 10, 1e-9);
  EXPECT_NEAR(ve.sigma(0.5), std::sqrt(0.1), 1e-12);
  EXPECT_EQ(ve.mu(0.3), 1.0);
  // g² = dσ²/dt.
  double h = 1e-6, t = 0.4;
  EXPECT_NEAR(ve.g2(t), (std::pow(ve.sigma(t + h), 2) - std::pow(ve.sigma(t - h), 2)) / (2 * h), 1e-4);
  Sde vp;
  vp.kind = Sde::Kind::kVP;
  for (double tt : {1e-3, 0.3, 1.0}) {
    EXPECT_NEAR(vp.mu(tt) * vp.mu(tt) + vp.sigma(tt) * vp.sigma(tt), 1.0, 1e-12);
    EXPECT_NEAR(vp.mu(tt), std::exp(-0.25 * tt * tt * 19.9 - 0.05 * tt), 1e-12);
  }
  // d log μ/dt = −½β(t) (the drift coefficient).
  EXPECT_NEAR((std::log(vp.mu(t + h)) - std::log(vp.mu(t - h))) / (2 * h), vp.drift_coef(t), 1e-6);
  auto tt = torch::tensor({0.1, 0.7}, torch::kFloat64);
  EXPECT_NEAR(vp.sigma(tt)[1].item<double>(), vp.sigma(0.7), 1e-12);
  EXPECT_NEAR(ve.sigma(tt)[0].item<double>(), ve.sigma(0.1), 1e-12);
  EXPECT_THROW(Sde::parse_kind("xx"), UsageError);
  EXPECT_EQ(Sde::from_json(vp.to_json()).kind, Sde::Kind::kVP);
}

TEST(Training, MaxPairwiseDistance) {
  auto d = torch::zeros({3, 2, 2});
  d[1].fill_(1.0);   // distance 2 from image 0
  d[2].fill_(-2.0);  // distance 6 from image 1
  EXPECT_NEAR(max_pairwise_distance(d, 1000, 1), 6.0, 1e-6);
}

TEST_F(TrainingTest, LossFallsOnATinyNetwork) {
  PriorTrainer tr(tiny_config(), tiny_info(), tiny_data());
  double first = 0, last = 0;
  for (int i = 0; i < 60; ++i) {
    double l = tr.step();
    if (i < 10) first += l / 10;
    if (i >= 50) last += l / 10;
  }
  EXPECT_LT(last, 0.8 * first) << "first " << first << " last " << last;
  EXPECT_EQ(tr.steps_done(), 60);
}

TEST_F(TrainingTest, ResumeContinuesExactly) {
  auto dir = test::scratch_dir("prior_resume");
  auto data = tiny_data(32);
  for (auto kind : {Sde::Kind::kVE, Sde::Kind::kVP}) {
    PriorTrainer straight(tiny_config(kind), tiny_info(), data);
    for (int i = 0; i < 8; ++i) straight.step();
    PriorTrainer first(tiny_config(kind), tiny_info(), data);
    for (int i = 0; i < 4; ++i) first.step();
    first.record_history();
    first.save(dir / "half.ckpt");
    auto resumed = PriorTrainer::resume(dir / "half.ckpt", data);
    EXPECT_EQ(resumed.steps_done(), 4);
    ASSERT_EQ(resumed.history().size(), 1u);
    for (int i = 0; i < 4; ++i) resumed.step();
    EXPECT_TRUE(same(straight.network().named_parameters(), resumed.network().named_parameters()));
    EXPECT_TRUE(same(straight.ema_network().named_parameters(), resumed.ema_network().named_parameters()));
    // And the optimiser state: one more step from each must agree too.
    EXPECT_EQ(straight.step(), resumed.step());
    EXPECT_TRUE(same(straight.network().named_parameters(), resumed.network().named_parameters()));
  }
}

// Fine-tuning: resume on other data. The step counter and schedule continue, the
// new data become the description, the old one moves to the lineage (in the saved
// checkpoint too), and data normalised differently are refused.
TEST_F(TrainingTest, FineTuningOnNewDataRecordsTheLineage) {
  auto dir = test::scratch_dir("prior_finetune");
  PriorTrainer first(tiny_config(), tiny_info(), tiny_data(16));
  for (int i = 0; i < 3; ++i) first.step();
  first.save(dir / "base.ckpt");
  // The same description: a plain resume, no lineage.
  auto info = tiny_info();
  EXPECT_TRUE(PriorTrainer::resume(dir / "base.ckpt", tiny_data(16), &info).data_info().lineage.empty());
  info.source = "disks";
  info.count = 8;
  auto disks = 2 * torch::rand({8, 16, 16});  // farther apart than tiny_config's σ_max = 5
  auto tuned = PriorTrainer::resume(dir / "base.ckpt", disks, &info);
  EXPECT_EQ(tuned.steps_done(), 3);
  EXPECT_DOUBLE_EQ(tuned.config().sde.sigma_max, max_pairwise_distance(disks, 1000, tiny_config().seed));
  EXPECT_GT(tuned.config().sde.sigma_max, 5.0);
  for (int i = 0; i < 2; ++i) EXPECT_TRUE(std::isfinite(tuned.step()));
  EXPECT_EQ(tuned.steps_done(), 5);
  tuned.save(dir / "tuned.ckpt");
  auto again = PriorTrainer::resume(dir / "tuned.ckpt", disks);
  EXPECT_EQ(again.steps_done(), 5);
  EXPECT_EQ(again.data_info().source, "disks");
  EXPECT_EQ(again.data_info().count, 8);
  ASSERT_EQ(again.data_info().lineage.size(), 1u);
  EXPECT_EQ(again.data_info().lineage[0]["source"], "test");
  EXPECT_EQ(again.data_info().lineage[0]["until_step"], 3);
  EXPECT_EQ(again.data_info().lineage[0]["sigma_max"], 5.0);
  EXPECT_EQ(again.config().sde.sigma_max, tuned.config().sde.sigma_max);
  EXPECT_EQ(DiffusionPrior::load(dir / "tuned.ckpt")->data_info().lineage.size(), 1u);
  info.source = "calibrated";
  info.normalisation = "flux";
  EXPECT_THROW(PriorTrainer::resume(dir / "base.ckpt", disks, &info), DataError);
}

TEST_F(CheckpointTest, RoundTripAndEveryKindOfBadFile) {
  auto dir = test::scratch_dir("prior_checkpoint");
  PriorTrainer tr(tiny_config(), tiny_info(), tiny_data(16));
  tr.step();
  tr.save(dir / "ok.ckpt");
  auto ck = load_checkpoint(dir / "ok.ckpt");
  EXPECT_EQ(ck.header.at("format"), "penumbra-prior");
  EXPECT_EQ(ck.header.at("training").at("step"), 1);
  EXPECT_EQ(ck.header.at("network").at("width"), 8);
  EXPECT_TRUE(ck.has("adam_m/conv_in.weight"));
  EXPECT_TRUE(ck.has("ema/conv_in.weight"));

  std::ifstream in(dir / "ok.ckpt", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto write = [&](const std::string& name, const std::string& b) {
    std::ofstream f(dir / name, std::ios::binary);
    f.write(b.data(), std::streamsize(b.size()));
    return dir / name;
  };
  // Truncated at many points, one flipped byte, an unrelated file, an empty file.
  for (std::size_t cut : {std::size_t(0), std::size_t(5), std::size_t(30), bytes.size() / 2, bytes.size() - 1}) {
    auto p = write("cut.ckpt", bytes.substr(0, cut));
    EXPECT_THROW(load_checkpoint(p), DataError) << "cut at " << cut;
    EXPECT_THROW(DiffusionPrior::load(p), DataError) << "cut at " << cut;
  }
  auto flipped = bytes;
  flipped[bytes.size() / 3] ^= 0x5A;
  EXPECT_THROW(DiffusionPrior::load(write("flip.ckpt", flipped)), DataError);
  EXPECT_THROW(DiffusionPrior::load(write("text.ckpt", "hello, not a prior\n")), DataError);
  EXPECT_THROW(DiffusionPrior::load(dir / "absent.ckpt"), MissingInputError);
  EXPECT_THROW(DiffusionPrior::load(dir), DataError);
  // An intact container that is not a prior, and one whose tensors do not fit its network.
  save_checkpoint(dir / "other.ckpt", {{"format", "something-else"}}, {});
  EXPECT_THROW(DiffusionPrior::load(dir / "other.ckpt"), DataError);
  EXPECT_THROW(PriorTrainer::resume(dir / "other.ckpt", tiny_data(4)), DataError);
  auto h = ck.header;
  h["network"]["width"] = 16;
  save_checkpoint(dir / "mismatch.ckpt", h, ck.tensors);
  EXPECT_THROW(DiffusionPrior::load(dir / "mismatch.ckpt"), DataError);
  auto h2 = ck.header;
  h2["sde"].erase("sigma_max");
  save_checkpoint(dir / "nofield.ckpt", h2, ck.tensors);
  EXPECT_THROW(DiffusionPrior::load(dir / "nofield.ckpt"), DataError);
  // Resuming on data of another image size.
  EXPECT_THROW(PriorTrainer::resume(dir / "ok.ckpt", torch::zeros({4, 32, 32})), DataError);
}

TEST_F(DiffusionPriorTest, LoadsEmaWeightsAndConvertsVpToVe) {
  auto dir = test::scratch_dir("prior_load");
  auto data = tiny_data(16);
  for (auto kind : {Sde::Kind::kVE, Sde::Kind::kVP}) {
    PriorTrainer tr(tiny_config(kind), tiny_info(), data);
    for (int i = 0; i < 3; ++i) tr.step();
    tr.save(dir / "p.ckpt");
    auto prior = DiffusionPrior::load(dir / "p.ckpt");
    EXPECT_EQ(prior->height(), 16);
    EXPECT_TRUE(same(prior->network().named_parameters(), tr.ema_network().named_parameters()));
    const auto& sde = prior->sde();
    torch::NoGradGuard ng;
    for (double t : {0.05, 0.5, 0.9}) {
      // The training-time definition of the score at x_t = μ x0 + σ_t z ...
      double mu = sde.mu(t), st = sde.sigma(t), sve = st / mu;
      auto xt = torch::randn({2, 16, 16}) * st + mu * data.slice(0, 0, 2);
      auto sv = torch::full({2}, sve);
      auto a = network_input_scale(sde, prior->network().config(), sv).reshape({-1, 1, 1});
      // VP: s_t(x_t) = F(x_t, log σ_VE)/σ_t; VE (μ = 1): s(x) = F(c_in·x, log σ)/σ.
      auto input = kind == Sde::Kind::kVP ? xt : xt * a;
      auto s_t = prior->network().raw(input, torch::log(sv), torch::ones({2})) / st;
      // ... and the VE form the Prior interface returns: score_VE(x/μ, σ_t/μ) = μ·score_t(x).
      auto s_ve = prior->score(xt / mu, sv);
      EXPECT_LT((s_ve - mu * s_t).abs().max().item<double>(), 1e-4 * (1 + s_ve.abs().max().item<double>()))
          << sde.kind_name() << " t=" << t;
    }
    // Physical units: score_phys(x, σ) = score_net(x/s, σ/s)/s.
    auto x = torch::rand({2, 16, 16});
    auto sig = torch::tensor({0.2f, 1.0f});
    auto net = prior->score(x, sig);
    prior->set_physical_scale(2.5);
    auto phys = prior->score(x * 2.5, sig * 2.5);
    EXPECT_LT((phys - net / 2.5).abs().max().item<double>(), 1e-5 * (1 + net.abs().max().item<double>()));
    EXPECT_NEAR(prior->sigma_max(), 2.5 * sde.ve_sigma_max(), 1e-9);
    EXPECT_THROW(prior->score(torch::zeros({1, 8, 8}), torch::ones({1})), UsageError);
  }
}

TEST_F(DiffusionPriorTest, HeldOutLossIsDeterministic) {
  ScoreNetwork net(tiny_net());
  Sde sde;
  sde.sigma_max = 5;
  auto data = tiny_data(8);
  double a = evaluate_dsm_loss(net, sde, data, 3, 4, 1), b = evaluate_dsm_loss(net, sde, data, 3, 4, 1);
  EXPECT_EQ(a, b);
  EXPECT_GT(a, 0.5);  // an untrained network (output ≈ 0) scores ≈ E‖z‖²/n = 1
  EXPECT_LT(a, 1.5);
}
