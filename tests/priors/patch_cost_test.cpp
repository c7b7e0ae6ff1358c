// The patch prior's cost model (PatchPrior::flops_per_score_call) against two
// independent counts: the tiles that score() really hands the patch score (shifted
// tilings, overlap margins, K tilings per call, chunking), and torch's own FLOP
// counter over one forward pass of the patch network that `sample` runs at 256²
// (64² tiles, width 16, multipliers 1,2,2, pixel-unshuffle 2, position channels).
#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/torch.h>

#include <atomic>
#include <map>
#include <string>

#include "priors/patch_prior.hpp"
#include "priors/score_network.hpp"
#include "src/core/errors.hpp"

using namespace penumbra;

namespace {

// Scores nothing (returns zeros) and counts the patches it is given.
class CountingPatchScore final : public PatchScore {
 public:
  explicit CountingPatchScore(int p) : p_(p) {}
  int patch_size() const override { return p_; }
  bool uses_positions() const override { return false; }
  int reference_height() const override { return p_; }
  int reference_width() const override { return p_; }
  at::Tensor score(const at::Tensor& x, const at::Tensor&, const at::Tensor&) const override {
    patches_ += x.size(0);
    ++calls_;
    return torch::zeros_like(x);
  }
  double flops_per_patch() const override { return 1; }
  double sigma_max() const override { return 10; }
  double sigma_min() const override { return 0.01; }
  std::string name() const override { return "counting"; }
  std::int64_t patches() const { return patches_; }
  std::int64_t calls() const { return calls_; }

 private:
  int p_;
  mutable std::atomic<std::int64_t> patches_{0}, calls_{0};
};

}  // namespace

TEST(PatchCost, MeanTilesIsTheAverageOverAllShifts) {
  PatchTilingOptions o;
  o.margin = 4;
  o.shift_set = PatchTilingOptions::ShiftSet::kAll;
  for (int side : {128, 256, 512}) {
    PatchPrior prior(std::make_shared<CountingPatchScore>(64), side, side, o);
    double sum = 0;
    for (int dy = 0; dy < prior.stride(); ++dy)
      for (int dx = 0; dx < prior.stride(); ++dx) sum += double(prior.tiles_per_image(dy, dx));
    EXPECT_NEAR(prior.mean_tiles_per_image(), sum / (prior.stride() * prior.stride()), 1e-9) << side;
    EXPECT_LE(prior.mean_tiles_per_image(), double(prior.max_tiles_per_image()));
  }
  // 256² from 64² tiles, stride 56: 5 or 6 tiles a side, 29.28 on average; the worst case
  // (36, what the cost model used to charge) overstates the work by 23 %.
  PatchPrior p256(std::make_shared<CountingPatchScore>(64), 256, 256, o);
  EXPECT_EQ(p256.max_tiles_per_image(), 36);
  EXPECT_NEAR(p256.mean_tiles_per_image(), 29.276, 1e-3);
  EXPECT_DOUBLE_EQ(p256.flops_per_score_call(3), 3 * p256.mean_tiles_per_image());
}

// The default draws only the shifts that need the fewest tiles: at 256² from 64² tiles
// 33 of the 56 shifts per axis give 5 tiles a side, so every call scores 25 tiles.
// At 512² only one shift gives the fewest (9); fewer than half, so all are drawn.
TEST(PatchCost, FewestTilesShiftsAreTheCheapestHalfOrMore) {
  PatchTilingOptions o;
  o.margin = 4;
  EXPECT_EQ(o.shift_set, PatchTilingOptions::ShiftSet::kFewestTiles);
  PatchPrior p256(std::make_shared<CountingPatchScore>(64), 256, 256, o);
  EXPECT_EQ(p256.row_shifts().size(), 33u);
  EXPECT_EQ(p256.column_shifts(), p256.row_shifts());
  for (int dy : p256.row_shifts())
    for (int dx : p256.column_shifts()) EXPECT_EQ(p256.tiles_per_image(dy, dx), 25);
  EXPECT_DOUBLE_EQ(p256.mean_tiles_per_image(), 25);
  EXPECT_EQ(p256.max_tiles_per_image(), 25);
  PatchPrior p512(std::make_shared<CountingPatchScore>(64), 512, 512, o);
  EXPECT_EQ(p512.row_shifts().size(), 56u);
  EXPECT_NEAR(p512.mean_tiles_per_image(), 99.64, 0.01);
  // Rectangular images choose per axis: 128 px rows (49 of 56 shifts give 3 tiles), 512 px columns (all).
  PatchPrior wide(std::make_shared<CountingPatchScore>(64), 128, 512, o);
  EXPECT_EQ(wide.row_shifts().size(), 49u);
  EXPECT_EQ(wide.column_shifts().size(), 56u);
  EXPECT_NEAR(wide.mean_tiles_per_image(), 3 * 9.982, 0.01);
  // Every call draws from the set.
  torch::manual_seed(3);
  for (int i = 0; i < 50; ++i) {
    auto x = torch::randn({1, 256, 256});
    auto [dy, dx] = p256.shift_for(x, torch::ones({1}), 0);
    EXPECT_EQ(p256.tiles_per_image(dy, dx), 25);
  }
  EXPECT_THROW(PatchTilingOptions::parse_shift_set("fewest"), UsageError);
  EXPECT_EQ(PatchTilingOptions::parse_shift_set("all"), PatchTilingOptions::ShiftSet::kAll);
}

TEST(PatchCost, ModelMatchesTheTilesScoreHandsTheNetwork) {
  at::set_num_threads(1);
  PatchTilingOptions o;
  o.margin = 4;
  o.shifts = 2;
  o.max_batch = 7;  // chunks of a call: the count must not change
  auto counter = std::make_shared<CountingPatchScore>(32);
  PatchPrior prior(counter, 128, 96, o);
  const int calls = 400, batch = 3;
  torch::manual_seed(5);
  for (int i = 0; i < calls; ++i) prior.score(torch::randn({batch, 128, 96}), torch::full({batch}, 0.5));
  const double expected = calls * prior.flops_per_score_call(batch);  // flops_per_patch = 1: tiles
  // The shift of a call is a hash of x: 400 calls average the tile count within ~2 %.
  EXPECT_NEAR(double(counter->patches()) / expected, 1.0, 0.03);
  EXPECT_GT(counter->calls(), std::int64_t(calls) * o.shifts);  // chunked
}

TEST(PatchCost, NetworkFlopsMatchTorchsCounter) {
  at::set_num_threads(1);
  ScoreNetConfig c;  // the configuration of the patch prior in docs/benchmarks.md (true-scale sampling)
  c.patch = 2;
  c.width = 16;
  c.multipliers = {1, 2, 2};
  c.coord_channels = 2;
  c.attention = true;
  ScoreNetwork net(c);
  const int p = 64, n = 2;
  auto x = torch::randn({n, p, p});
  auto pos = torch::rand({n, 2, p, p}) * 2 - 1;
  std::map<std::string, double> by_op;
  {
    torch::NoGradGuard ng;
    torch::profiler::impl::ProfilerConfig cfg(torch::profiler::impl::ProfilerState::CPU, /*report_input_shapes=*/true,
                                              false, false, /*with_flops=*/true);
    torch::autograd::profiler::TLSLegacyProfilerGuard guard(
        cfg, [&](const torch::autograd::profiler::thread_event_lists& lists) {
          for (const auto& events : lists)
            for (auto e : events) by_op[e.name()] += double(e.flops());
        });
    net.raw(x, torch::zeros({n}), torch::ones({n}), pos);
  }
  // torch counts the multiply-adds of convolutions and matrix products (2 FLOPs each);
  // aten::linear reaches addmm, conv2d its own entry, attention bmm.
  const double torch_flops = (by_op["aten::conv2d"] + by_op["aten::addmm"] + by_op["aten::bmm"]) / n;
  const double model = net.flops_per_image(p, p);
  ASSERT_GT(torch_flops, 0) << "torch's profiler counted no FLOPs";
  // Independently by hand: 62.1 M multiply-adds of convolutions (conv_in 1.77 M, encoder
  // 9.57 M, middle with attention 2.88 M, decoder 47.3 M, conv_out 0.59 M).
  EXPECT_NEAR(torch_flops / 2e6, 62.1, 0.5) << "M multiply-adds";
  // The model adds elementwise work (GroupNorm, SiLU, adds) torch leaves out: a few %.
  EXPECT_GT(model, torch_flops);
  EXPECT_LT(model, 1.05 * torch_flops) << "model " << model << ", torch " << torch_flops;
}
