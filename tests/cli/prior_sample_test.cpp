// penumbra prior-sample: unconditional samples from the shipped default prior,
// and clear errors for a missing or non-prior checkpoint.
#include <gtest/gtest.h>

#include <fstream>

#include "tests/support/paths.hpp"

using namespace penumbra::test;

TEST(PriorSampleCommand, DrawsFromTheShippedPriorAndRejectsBadCheckpoints) {
  auto dir = scratch_dir("prior_sample");
  std::string out;
  ASSERT_EQ(run_command(penumbra_bin() + " --threads 1 --out " + (dir / "run").string() +
                            " prior-sample --n 2 --batch 2 --steps 10",
                        &out),
            0)
      << out;
  EXPECT_TRUE(std::filesystem::exists(dir / "run" / "samples.h5"));
  EXPECT_TRUE(std::filesystem::exists(dir / "run" / "samples.png"));

  EXPECT_EQ(run_command(penumbra_bin() + " --out " + (dir / "missing").string() + " prior-sample --prior " +
                            (dir / "nope.ckpt").string(),
                        &out),
            66)
      << out;
  std::ofstream(dir / "text.ckpt") << "not a checkpoint\n";
  EXPECT_EQ(run_command(penumbra_bin() + " --out " + (dir / "bad").string() + " prior-sample --prior " +
                            (dir / "text.ckpt").string(),
                        &out),
            65)
      << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
}
