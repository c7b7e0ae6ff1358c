// The plan of `simulate --preset dsharp-as209` (src/pipelines/dsharp_preset.hpp):
// three execution blocks on a compact and two long-baseline layouts, four windows of
// four channels near 240 GHz, ≥ 10⁶ visibilities at full size; a fraction keeps
// the structure and the middle of each block's hour angles; bad options name the
// quantity. The simulation itself is tested end to end in tests/cli/dsharp_preset_test.cpp.
#include "src/pipelines/dsharp_preset.hpp"

#include <gtest/gtest.h>

#include <numeric>

#include "src/core/errors.hpp"
#include "src/core/units.hpp"

namespace penumbra::dsharp_preset_test {

TEST(DsharpPresetPlan, FullSizeHasTheDsharpStructure) {
  const DsharpPresetPlan plan = dsharp_as209_plan({});
  ASSERT_EQ(plan.blocks.size(), 3u);
  EXPECT_EQ(plan.blocks[0].configuration, "alma-long×0.2 (scaled compact)");
  EXPECT_NEAR(plan.blocks[0].layout.max_baseline(), 2520.0, 1.0);
  EXPECT_NEAR(plan.blocks[0].layout.min_baseline(), 15.0, 0.5);
  for (std::size_t b = 1; b < 3; ++b) EXPECT_NEAR(plan.blocks[b].layout.max_baseline(), 12600.0, 1.0);
  ASSERT_EQ(plan.spws.size(), 4u);
  double mean = 0;
  for (const auto& s : plan.spws) {
    EXPECT_EQ(s.freqs().size(), 4u);
    for (double f : s.freqs()) mean += f / 16;
  }
  EXPECT_NEAR(mean, 240e9, 1.0);
  EXPECT_EQ(plan.channels(), 16u);
  std::size_t total = 0;
  for (std::size_t b = 0; b < 3; ++b) {
    EXPECT_EQ(plan.blocks[b].integrations, 60u);
    EXPECT_EQ(plan.visibilities(b), 780u * 60u * 16u);
    total += plan.visibilities(b);
  }
  EXPECT_EQ(plan.visibilities(), total);
  EXPECT_GE(plan.visibilities(), 1000000u);
  EXPECT_EQ(plan.truth_grid.nx, 1200);
  EXPECT_NEAR(plan.truth_grid.cell, 3e-3 * kArcsec, 1e-18);
}

TEST(DsharpPresetPlan, FractionKeepsTheMiddleOfEachBlock) {
  const DsharpPresetPlan full = dsharp_as209_plan({});
  DsharpPresetOptions o;
  o.fraction = 0.1;
  const DsharpPresetPlan small = dsharp_as209_plan(o);
  for (std::size_t b = 0; b < 3; ++b) {
    EXPECT_EQ(small.blocks[b].integrations, 6u);
    // 27 integrations of 30 s skipped at the start: 27·30 s of sidereal rotation.
    const double skipped = (small.blocks[b].ha_start - full.blocks[b].ha_start) / (2 * kPi / 86164.09);
    EXPECT_NEAR(skipped, 27 * 30.0, 1e-3);
  }
  o.fraction = 0;
  EXPECT_THROW(dsharp_as209_plan(o), UsageError);
  o.fraction = 0.001;  // rounds to nothing: one integration is kept
  EXPECT_EQ(dsharp_as209_plan(o).blocks[0].integrations, 1u);
}

TEST(DsharpPresetPlan, BadOptionsNameTheQuantity) {
  auto message = [](const DsharpPresetOptions& o) {
    try {
      dsharp_as209_plan(o);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  DsharpPresetOptions o;
  o.fraction = 2;
  EXPECT_EQ(message(o).rfind("preset fraction", 0), 0u) << message(o);
  o = {};
  o.sefd = -1;
  EXPECT_EQ(message(o).rfind("sefd", 0), 0u) << message(o);
  o = {};
  o.long_layouts = {"/nonexistent/c40-9.cfg"};
  EXPECT_NE(message(o).find("c40-9.cfg"), std::string::npos) << message(o);
}

}  // namespace penumbra::dsharp_preset_test
