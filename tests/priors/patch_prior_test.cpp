// The patch prior (priors/patch_prior.hpp): exact stitching in the cases where
// the answer is known, the position maps, the shift hash, the cost model, a
// patch prior of a stationary Gaussian field sampled at 128² against the field's
// covariance, and the position-conditioned network (train, save, load, tile).
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <iostream>
#include <set>

#include "priors/diffusion_prior.hpp"
#include "priors/patch_prior.hpp"
#include "priors/score_network.hpp"
#include "priors/training.hpp"
#include "samplers/diffusion_samplers.hpp"
#include "samplers/driver.hpp"
#include "samplers/posterior.hpp"
#include "src/core/errors.hpp"
#include "src/datasets/training_set.hpp"
#include "tests/support/paths.hpp"

using namespace penumbra;

namespace {

// i.i.d. N(0, v) pixels: the score −x/(v + σ²) is pointwise, so any tiling must give it exactly.
class PointwisePatchScore final : public PatchScore {
 public:
  explicit PointwisePatchScore(int p) : p_(p) {}
  int patch_size() const override { return p_; }
  bool uses_positions() const override { return false; }
  int reference_height() const override { return p_; }
  int reference_width() const override { return p_; }
  at::Tensor score(const at::Tensor& x, const at::Tensor& sigma, const at::Tensor&) const override {
    return -x / (2.0 + sigma.reshape({-1, 1, 1}).square());
  }
  double flops_per_patch() const override { return 2.0 * p_ * p_; }
  double sigma_max() const override { return 10; }
  double sigma_min() const override { return 0.01; }
  std::string name() const override { return "pointwise"; }

 private:
  int p_;
};

// Returns a position channel: the stitched result must be the whole image's position map.
class PositionEcho final : public PatchScore {
 public:
  PositionEcho(int p, int ref, int channel) : p_(p), ref_(ref), channel_(channel) {}
  int patch_size() const override { return p_; }
  bool uses_positions() const override { return true; }
  int reference_height() const override { return ref_; }
  int reference_width() const override { return ref_; }
  at::Tensor score(const at::Tensor& x, const at::Tensor&, const at::Tensor& pos) const override {
    return pos.select(1, channel_).to(x.scalar_type());
  }
  double flops_per_patch() const override { return 0; }
  double sigma_max() const override { return 1; }
  double sigma_min() const override { return 0.1; }
  std::string name() const override { return "echo"; }

 private:
  int p_, ref_, channel_;
};

struct PatchThreads1 : ::testing::Test {
  void SetUp() override { at::set_num_threads(1); }
};
using PatchPriorTest = PatchThreads1;

// Empirical covariance of images [n, N, N] at lag (dy, dx), over all pixel pairs.
double lag_covariance(const at::Tensor& x, int dy, int dx) {
  const auto n = x.size(1), m = x.size(2);
  auto a = x.slice(1, 0, n - dy).slice(2, 0, m - dx);
  auto b = x.slice(1, dy, n).slice(2, dx, m);
  return ((a - x.mean()) * (b - x.mean())).mean().item<double>();
}

}  // namespace

TEST_F(PatchPriorTest, StitchingAPointwiseScoreIsExactForEveryShiftAndBoundary) {
  auto ps = std::make_shared<PointwisePatchScore>(16);
  auto x = torch::randn({2, 48, 32}, torch::kFloat64);
  auto sigma = torch::tensor({0.3, 2.0}, torch::kFloat64);
  auto exact = -x / (2.0 + sigma.reshape({-1, 1, 1}).square());
  for (auto boundary : {PatchTilingOptions::Boundary::kClamp, PatchTilingOptions::Boundary::kReflect}) {
    PatchTilingOptions o;
    o.boundary = boundary;
    o.margin = 0;
    o.max_batch = 5;  // chunks of the tile batch change nothing
    PatchPrior prior(ps, 48, 32, o);
    for (auto [dy, dx] : std::vector<std::pair<int, int>>{{0, 0}, {1, 15}, {7, 3}, {15, 0}})
      EXPECT_TRUE(torch::allclose(prior.score_with_shift(x, sigma, dy, dx), exact, 0, 1e-15)) << dy << "," << dx;
    EXPECT_TRUE(torch::allclose(prior.score(x, sigma), exact, 0, 1e-15));
  }
  for (int margin : {0, 3, 7}) {
    PatchTilingOptions o;
    o.margin = margin;
    PatchPrior prior(ps, 48, 32, o);
    EXPECT_EQ(prior.stride(), 16 - 2 * margin);
    for (int d : {0, prior.stride() - 1})
      EXPECT_TRUE(torch::allclose(prior.score_with_shift(x, sigma, d, 0), exact, 0, 1e-15)) << margin << " " << d;
  }
  PatchTilingOptions k3;
  k3.shifts = 3;
  EXPECT_TRUE(torch::allclose(PatchPrior(ps, 48, 32, k3).score(x, sigma), exact, 0, 1e-15));
}

TEST_F(PatchPriorTest, PositionMapsAreThoseOfTheWholeImageUnderEveryShift) {
  // Reference image 64: a 64² image spans [−1, 1]; a 128² one is clamped beyond ±1.
  for (int size : {64, 128})
    for (int channel : {0, 1}) {
      PatchTilingOptions o;
      o.margin = 0;
      PatchPrior prior(std::make_shared<PositionEcho>(16, 64, channel), size, size, o);
      auto x = torch::zeros({1, size, size});
      auto j = (torch::arange(size, torch::kFloat32) + 0.5 - 0.5 * size) / 32.0;
      auto line = j.clamp(-1, 1);
      auto expected = channel == 0 ? line.reshape({1, 1, -1}).expand({1, size, size})
                                   : line.reshape({1, -1, 1}).expand({1, size, size});
      for (auto [dy, dx] : std::vector<std::pair<int, int>>{{0, 0}, {5, 11}, {15, 1}})
        EXPECT_TRUE(torch::allclose(prior.score_with_shift(x, torch::ones({1}), dy, dx), expected, 0, 1e-6))
            << size << " " << channel << " " << dy << "," << dx;
      o.margin = 3;
      PatchPrior margins(std::make_shared<PositionEcho>(16, 64, channel), size, size, o);
      EXPECT_TRUE(torch::allclose(margins.score_with_shift(x, torch::ones({1}), 7, 2), expected, 0, 1e-6));
    }
}

TEST_F(PatchPriorTest, ShiftsAreAPureFunctionOfTheInputAndVary) {
  PatchPrior prior(std::make_shared<PointwisePatchScore>(32), 64, 64);
  auto x = torch::randn({2, 64, 64});
  auto s = torch::tensor({1.f, 1.f});
  EXPECT_EQ(prior.shift_for(x, s, 0), prior.shift_for(x.clone(), s.clone(), 0));
  // The K tilings of one call differ, and come from one hash of the call.
  EXPECT_NE(prior.shift_for(x, s, 0), prior.shift_for(x, s, 1));
  EXPECT_EQ(prior.shift_for(x, s, 1), prior.shift_for(prior.call_hash(x, s), 1));
  std::set<std::pair<int, int>> seen;
  for (int i = 0; i < 20; ++i) {
    auto [dy, dx] = prior.shift_for(x, s * (1 + 0.1 * i), 0);
    EXPECT_TRUE(dy >= 0 && dy < 32 && dx >= 0 && dx < 32);
    seen.insert({dy, dx});
  }
  EXPECT_GE(seen.size(), 15u);
  PatchTilingOptions other;
  other.seed = 1;
  EXPECT_NE(prior.shift_for(x, s, 0),
            PatchPrior(std::make_shared<PointwisePatchScore>(32), 64, 64, other).shift_for(x, s, 0));
}

TEST_F(PatchPriorTest, CostModelAndBadSizes) {
  PatchTilingOptions two;
  two.shifts = 2;
  two.margin = 0;
  PatchPrior prior(std::make_shared<PointwisePatchScore>(32), 128, 64, two);
  EXPECT_EQ(prior.tiles_per_image(0, 0), 4 * 2);
  EXPECT_EQ(prior.tiles_per_image(3, 9), 5 * 3);
  EXPECT_EQ(prior.max_tiles_per_image(), 15);
  // Mean over the 32² shifts: 4 rows at dy = 0, else 5; 2 columns at dx = 0, else 3.
  EXPECT_DOUBLE_EQ(prior.mean_tiles_per_image(), (159.0 / 32) * (95.0 / 32));
  EXPECT_DOUBLE_EQ(prior.flops_per_score_call(4), 4.0 * prior.mean_tiles_per_image() * 2 * (2.0 * 32 * 32));
  PatchTilingOptions m4;
  m4.margin = 4;  // stride 24: 6 tiles on 128 px (0, 20, 44, 68, 92, 96 at shift 0), 4 on 64 px
  PatchPrior overlapping(std::make_shared<PointwisePatchScore>(32), 128, 64, m4);
  EXPECT_EQ(overlapping.tiles_per_image(0, 0), 6 * 3);
  EXPECT_GE(overlapping.max_tiles_per_image(), overlapping.tiles_per_image(0, 0));
  m4.margin = 16;
  EXPECT_THROW(PatchPrior(std::make_shared<PointwisePatchScore>(32), 64, 64, m4), UsageError);
  try {
    PatchPrior(std::make_shared<PointwisePatchScore>(32), 100, 100);
    FAIL() << "100 is not a multiple of 32";
  } catch (const UsageError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("100"), std::string::npos) << m;
    EXPECT_NE(m.find("32"), std::string::npos) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  }
  PatchTilingOptions bad;
  bad.shifts = 0;
  EXPECT_THROW(PatchPrior(std::make_shared<PointwisePatchScore>(32), 64, 64, bad), UsageError);
  EXPECT_THROW(PatchTilingOptions::parse_boundary("zero"), UsageError);
}

// A patch prior with one fixed tiling (shift 0 at every step): the seams the random shift removes.
class FixedTiling final : public Prior {
 public:
  explicit FixedTiling(std::shared_ptr<const PatchPrior> p) : p_(std::move(p)) {}
  at::Tensor score(const at::Tensor& x, const at::Tensor& s) const override { return p_->score_with_shift(x, s, 0, 0); }
  int height() const override { return p_->height(); }
  int width() const override { return p_->width(); }
  double sigma_max() const override { return p_->sigma_max(); }
  double sigma_min() const override { return p_->sigma_min(); }
  std::string name() const override { return "fixed tiling"; }

 private:
  std::shared_ptr<const PatchPrior> p_;
};

at::Tensor draw(std::shared_ptr<const Prior> prior, std::int64_t n, std::int64_t levels, std::uint64_t seed) {
  PredictorCorrectorOptions o;
  o.levels = levels;
  o.corrector_steps = 0;
  PredictorCorrector sampler(std::make_shared<Posterior>(prior), o);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  auto state = sampler.init(SamplerShape{n, prior->height(), prior->width(), torch::kFloat}, gen);
  return run_sampler(sampler, state, gen, DriverOptions{});
}

// Covariance of horizontally adjacent pixels across the columns p−1 | p, 2p−1 | 2p, ...
double across_seams(const at::Tensor& x, int p) {
  double acc = 0;
  int k = 0;
  for (int c = p; c < x.size(2); c += p, ++k)
    acc += (x.select(2, c - 1) * x.select(2, c)).mean().item<double>();
  return acc / k;
}

// The acceptance test of issue 22: 128² draws of a patch prior (32² tiles) of a stationary
// Gaussian field by the reverse-diffusion sampler reproduce the field's covariance at lags 0..4 px.
TEST_F(PatchPriorTest, GaussianFieldPatchPriorReproducesTheCovarianceAt128) {
  const double variance = 1.0, length = 2.0;
  auto field = std::make_shared<GaussianFieldPatchScore>(32, variance, length, "exponential", 30.0, 0.02);
  auto prior = std::make_shared<PatchPrior>(field, 128, 128);  // margin P/16 = 2
  EXPECT_EQ(prior->options().margin, 2);
  auto x = draw(prior, 6, 150, 11);
  ASSERT_EQ(x.sizes(), (std::vector<int64_t>{6, 128, 128}));
  EXPECT_NEAR(x.mean().item<double>(), 0.0, 0.1);
  for (auto [dy, dx] : std::vector<std::pair<int, int>>{{0, 0}, {0, 1}, {1, 0}, {1, 1}, {0, 2}, {2, 2}, {0, 4}, {4, 0}}) {
    const double want = field->covariance(dy, dx), got = lag_covariance(x, dy, dx);
    std::cout << "lag (" << dy << "," << dx << "): " << got << " (field " << want << ")\n";
    EXPECT_NEAR(got, want, 0.06 * variance) << "lag (" << dy << "," << dx << "): " << got << " vs " << want;
  }
  // Where the tiles of shift 0 meet, the random shifts leave no trace; one fixed tiling
  // without margins (every step's seams at the same columns) all but decorrelates them.
  PatchTilingOptions bare;
  bare.margin = 0;
  auto fixed_prior = std::make_shared<FixedTiling>(std::make_shared<PatchPrior>(field, 128, 128, bare));
  const double seams = across_seams(x, 32), fixed = across_seams(draw(fixed_prior, 2, 60, 11), 32);
  std::cout << "covariance across columns 31|32, 63|64, 95|96: random shifts " << seams << ", fixed tiling " << fixed
            << " (field " << field->covariance(0, 1) << ")\n";
  EXPECT_NEAR(seams, field->covariance(0, 1), 0.08 * variance);
  EXPECT_LT(fixed, 0.3 * field->covariance(0, 1));
  // The default draws only the shifts with the fewest tiles (17 of 28 here), so seams fall
  // in bands: across every column and row where one can fall the covariance is the field's.
  ASSERT_EQ(prior->column_shifts().size(), 17u);
  double band = 0;
  int pairs = 0;
  for (int c = 1; c < 128; ++c)
    for (int s : prior->column_shifts())
      if ((c + s) % prior->stride() == 0) {
        band += 0.5 * ((x.select(2, c - 1) * x.select(2, c)).mean().item<double>() +
                       (x.select(1, c - 1) * x.select(1, c)).mean().item<double>());
        ++pairs;
        break;
      }
  ASSERT_GT(pairs, 40);
  ASSERT_LT(pairs, 127);
  std::cout << "covariance across the " << pairs << " seam-band columns and rows: " << band / pairs << "\n";
  EXPECT_NEAR(band / pairs, field->covariance(0, 1), 0.05 * variance);
}


namespace {

ScoreNetConfig patch_net(int coords) {
  ScoreNetConfig c;
  c.width = 8;
  c.multipliers = {1, 2};
  c.sigma_data = 0.1;
  c.init_seed = 5;
  c.coord_channels = coords;
  return c;
}

TrainConfig patch_training() {
  TrainConfig c;
  c.net = patch_net(2);
  c.sde.sigma_min = 0.01;
  c.sde.sigma_max = 5;
  c.sde.t_eps = 1e-5;
  c.batch = 4;
  c.lr = 2e-3;
  c.warmup = 2;
  c.seed = 23;
  return c;
}

at::Tensor disk_images(int n, int size) {
  GalaxyOptions o;
  o.size = size;
  TrainingSetGenerator g(TrainingKind::kDisks, n, o, 4);
  auto t = torch::empty({n, size, size});
  g.write_images(0, n, t.data_ptr<float>());
  return t;
}

DataInfo patch_info(int size, int patch) {
  DataInfo d;
  d.height = d.width = size;
  d.patch_size = patch;
  d.source = "test disks";
  return d;
}

}  // namespace

TEST_F(PatchPriorTest, PositionChannelsAreInputsAndOptionalInTheCheckpoint) {
  ScoreNetwork plain(patch_net(0)), located(patch_net(2));
  auto x = torch::randn({2, 16, 16});
  auto s = torch::tensor({0.5f, 1.f});
  auto pos = patch_position_maps({0, 16}, {0, 0}, 16, 32, 32, 32, 32);
  EXPECT_EQ(pos.sizes(), (std::vector<int64_t>{2, 2, 16, 16}));
  auto y = located.raw(x, torch::log(s), torch::ones({2}), pos);
  EXPECT_EQ(y.sizes(), x.sizes());  // one output channel
  // The position changes the output: the same patch at the top and the bottom of the image.
  auto same_x = torch::cat({x.slice(0, 0, 1), x.slice(0, 0, 1)});
  auto two = located.raw(same_x, torch::log(s), torch::ones({2}), pos);
  EXPECT_GT((two[0] - two[1]).abs().max().item<double>(), 0.0);
  EXPECT_THROW(located.raw(x, torch::log(s), torch::ones({2})), UsageError);
  EXPECT_THROW(plain.raw(x, torch::log(s), torch::ones({2}), pos), UsageError);
  EXPECT_GT(located.flops_per_image(16, 16), plain.flops_per_image(16, 16));
  // Written only when used: a whole-image network's header is what it always was.
  EXPECT_FALSE(patch_net(0).to_json().contains("coord_channels"));
  EXPECT_EQ(ScoreNetConfig::from_json(patch_net(2).to_json()).coord_channels, 2);
  auto old = patch_net(0).to_json();
  EXPECT_EQ(ScoreNetConfig::from_json(old).coord_channels, 0);
  auto bad = patch_net(3);
  EXPECT_THROW(ScoreNetwork{bad}, UsageError);
}

TEST_F(PatchPriorTest, TrainsOnCropsResumesExactlyAndTilesAnyMultipleOfItsPatch) {
  auto dir = test::scratch_dir("patch_prior_training");
  auto data = disk_images(6, 32);
  PriorTrainer straight(patch_training(), patch_info(32, 16), data);
  for (int i = 0; i < 6; ++i) EXPECT_TRUE(std::isfinite(straight.step()));
  PriorTrainer first(patch_training(), patch_info(32, 16), data);
  for (int i = 0; i < 3; ++i) first.step();
  first.save(dir / "half.ckpt");
  auto resumed = PriorTrainer::resume(dir / "half.ckpt", data);
  EXPECT_EQ(resumed.data_info().patch_size, 16);
  for (int i = 0; i < 3; ++i) resumed.step();
  auto a = straight.network().named_parameters(), b = resumed.network().named_parameters();
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i].second, b[i].second)) << a[i].first;
  straight.save(dir / "patch.ckpt");
  // A patch the network cannot halve (levels 2: divisible by 2), one larger than the images.
  EXPECT_THROW(PriorTrainer(patch_training(), patch_info(32, 15), data), UsageError);
  EXPECT_THROW(PriorTrainer(patch_training(), patch_info(32, 48), data), UsageError);

  auto dp = DiffusionPrior::load(dir / "patch.ckpt");
  ASSERT_TRUE(dp->is_patch_prior());
  EXPECT_THROW(dp->score(torch::zeros({1, 32, 32}), torch::ones({1})), UsageError);
  for (int side : {32, 64, 96}) {
    auto prior = make_patch_prior(dp, side, side);
    auto sc = prior->score(torch::zeros({2, side, side}), torch::tensor({0.1f, 1.f}));
    EXPECT_EQ(sc.sizes(), (std::vector<int64_t>{2, side, side}));
    EXPECT_TRUE(torch::isfinite(sc).all().item<bool>());
    EXPECT_DOUBLE_EQ(prior->flops_per_score_call(1),
                     prior->mean_tiles_per_image() * dp->network().flops_per_image(16, 16));
  }
  try {
    make_patch_prior(dp, 40, 40);
    FAIL() << "40 is not a multiple of 16";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("40"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("16"), std::string::npos) << e.what();
  }
  const double l1 = evaluate_dsm_loss(dp->network(), dp->sde(), data, 2, 8, 1, 16);
  EXPECT_TRUE(std::isfinite(l1));
  EXPECT_EQ(l1, evaluate_dsm_loss(dp->network(), dp->sde(), data, 2, 8, 1, 16));
  // Fine-tuning on other data raises σ_max to the largest distance between the new data's
  // *tiles* (what the network sees, as a fresh --patch-size run measures), not whole images.
  auto info = patch_info(32, 16);
  info.source = "brighter disks";
  auto brighter = 20 * disk_images(6, 32);
  auto tuned = PriorTrainer::resume(dir / "patch.ckpt", brighter, &info);
  EXPECT_DOUBLE_EQ(tuned.config().sde.sigma_max,
                   max_pairwise_distance(tile_crops(brighter, 16, false).images, 1000, patch_training().seed));
  EXPECT_LT(tuned.config().sde.sigma_max, max_pairwise_distance(brighter, 1000, patch_training().seed));
}

// The margin sweep of docs/prior.md ("Patch priors"): the covariance test at margins 0, 2, 4
// and 6 px (about a minute): build/tests/test_priors --gtest_also_run_disabled_tests
// --gtest_filter='*PatchMarginSweep*'
TEST_F(PatchPriorTest, DISABLED_PatchMarginSweep) {
  auto field = std::make_shared<GaussianFieldPatchScore>(32, 1.0, 2.0, "exponential", 30.0, 0.02);
  for (int margin : {0, 2, 4, 6}) {
    PatchTilingOptions o;
    o.margin = margin;
    auto prior = std::make_shared<PatchPrior>(field, 128, 128, o);
    auto x = draw(prior, 6, 150, 11);
    std::cout << "margin " << margin << " tiles/image " << prior->max_tiles_per_image() << " covariance at lags 0,1,2,4:";
    for (int lag : {0, 1, 2, 4}) std::cout << " " << lag_covariance(x, 0, lag) << " (" << field->covariance(0, lag) << ")";
    std::cout << std::endl;
  }
}
