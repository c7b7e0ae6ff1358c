// penumbra prior-sample: unconditional samples from the shipped default prior,
// and clear errors for a missing or non-prior checkpoint.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "src/core/run_folder.hpp"

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
  EXPECT_TRUE(nlohmann::json::parse(penumbra::read_text(dir / "run" / "run.json"))["results"]["gaussian_limit"].is_null());

  // The large-noise Gaussian limit (docs/prior.md): recorded in run.json; an unknown kind is one line, exit 64.
  ASSERT_EQ(run_command(penumbra_bin() + " --threads 1 --out " + (dir / "gl").string() +
                            " prior-sample --n 2 --batch 2 --steps 10 --gaussian-limit mix --gaussian-from 0.7",
                        &out),
            0)
      << out;
  auto gl = nlohmann::json::parse(penumbra::read_text(dir / "gl" / "run.json"))["results"]["gaussian_limit"];
  EXPECT_EQ(gl["kind"], "mix") << gl.dump();
  EXPECT_EQ(gl["sigma_from"], 0.7);
  EXPECT_EQ(gl["sigma_to"], 5.0);
  EXPECT_EQ(run_command(penumbra_bin() + " --out " + (dir / "glbad").string() +
                            " prior-sample --n 1 --steps 2 --gaussian-limit spirals",
                        &out),
            64)
      << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  EXPECT_NE(out.find("--gaussian-limit must be none, galaxies, disks or mix, got 'spirals'"), std::string::npos) << out;

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
