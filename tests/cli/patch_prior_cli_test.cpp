// Patch priors from the command line: train-prior --patch-size, prior-sample and
// prior-validate at sizes other than the training images', sample --size with a
// patch checkpoint, and one clear line for a size the patch does not divide.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "src/core/run_folder.hpp"
#include "src/io/hdf5_store.hpp"
#include "tests/support/paths.hpp"

using namespace penumbra::test;

namespace {

void expect_refused(const std::string& cmd, const std::vector<std::string>& words) {
  std::string out;
  EXPECT_EQ(run_command(cmd, &out), 64) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  for (const auto& w : words) EXPECT_NE(out.find(w), std::string::npos) << w << " in " << out;
}

}  // namespace

TEST(PatchPriorCommands, TrainSampleValidateAndPosteriorAtOtherSizes) {
  auto dir = scratch_dir("patch_prior_cli");
  const std::string bin = penumbra_bin() + " --threads 1 --seed 2 --out ";
  const auto ckpt = (dir / "train" / "checkpoint.ckpt").string();
  std::string out;
  ASSERT_EQ(run_command(bin + (dir / "train").string() +
                            " train-prior --generate 8 --kind disks --size 64 --patch-size 32 --width 8 --mult 1,2 "
                            "--steps 4 --batch 4 --checkpoint-every 2",
                        &out),
            0)
      << out;
  auto t = nlohmann::json::parse(penumbra::read_text(dir / "train" / "run.json"))["results"];
  EXPECT_EQ(t["data"]["patch_size"], 32);
  EXPECT_EQ(t["network"]["coord_channels"], 2);

  ASSERT_EQ(run_command(bin + (dir / "ps").string() + " prior-sample --prior " + ckpt +
                            " --size 96 --n 2 --batch 2 --steps 5",
                        &out),
            0)
      << out;
  penumbra::Hdf5Store h5(dir / "ps" / "samples.h5", penumbra::Hdf5Store::Mode::kRead);
  EXPECT_EQ(h5.shape("/samples"), (std::vector<std::size_t>{2, 96, 96}));
  auto ps = nlohmann::json::parse(penumbra::read_text(dir / "ps" / "run.json"))["results"];
  EXPECT_EQ(ps["patch_prior"]["patch_size"], 32);
  EXPECT_GT(ps["patch_prior"]["gflop_per_score_call_per_image"].get<double>(), 0);
  // 96 px from 32² tiles (stride 28): 21 of the 28 shifts need 4 tiles a side, the rest 5.
  EXPECT_EQ(ps["patch_prior"]["shift_set"], "fewest-tiles");
  EXPECT_EQ(ps["patch_prior"]["tiles_per_image"], 16);
  ASSERT_EQ(run_command(bin + (dir / "ps-all").string() + " prior-sample --prior " + ckpt +
                            " --size 96 --n 1 --steps 2 --patch-shift-set all",
                        &out),
            0)
      << out;
  auto all = nlohmann::json::parse(penumbra::read_text(dir / "ps-all" / "run.json"))["results"];
  EXPECT_EQ(all["patch_prior"]["tiles_per_image"], 25);
  expect_refused(bin + (dir / "bad-set").string() + " prior-sample --prior " + ckpt +
                     " --size 96 --n 1 --steps 2 --patch-shift-set fewest",
                 {"--patch-shift-set", "fewest"});
  expect_refused(bin + (dir / "bad").string() + " prior-sample --prior " + ckpt + " --size 100 --n 1 --steps 2",
                 {"100", "32"});
  // A whole-image prior keeps its size: the shipped 64² prior refuses 128 in one line.
  expect_refused(bin + (dir / "whole").string() + " prior-sample --size 128 --n 1 --steps 2", {"64x64", "128"});

  ASSERT_EQ(run_command(bin + (dir / "val").string() + " prior-validate --prior " + ckpt +
                            " --size 128 --n 2 --steps 5 --kind disks --reference 4",
                        &out),
            0)
      << out;
  auto v = nlohmann::json::parse(penumbra::read_text(dir / "val" / "run.json"))["results"];
  EXPECT_EQ(v["size"], 128);
  EXPECT_EQ(v["seams"]["tile_period_px"], 32);
  EXPECT_EQ(v["seams"]["tile_frequency_cycles_per_image"], 4);
  EXPECT_GT(v["seams"]["excess_at_tile_period"].get<double>(), 0);

  ASSERT_EQ(run_command(bin + (dir / "sim").string() +
                            " simulate --no-ms --duration 20min --integration 300s --size 128 --disk-radius 0.5asec",
                        &out),
            0)
      << out;
  const std::string sample = bin + (dir / "post").string() + " sample " + (dir / "sim" / "observation.txt.gz").string() +
                             " --prior " + ckpt + " --scale 10mas --nsamples 2 --batch 2 --steps 5 --sampler pc";
  ASSERT_EQ(run_command(sample + " --size 128", &out), 0) << out;
  EXPECT_TRUE(std::filesystem::exists(dir / "post" / "mean.fits"));
  expect_refused(sample + " --size 112", {"112", "32"});
}

// The shipped true-scale patch prior (data/prior/disks-patch64.ckpt, the README's second
// example) loads as a patch prior and draws 256² images.
TEST(PatchPriorCommands, ShippedPatchPriorDrawsImagesOf256) {
  auto dir = scratch_dir("patch_prior_shipped");
  const std::string ckpt = std::string(PENUMBRA_SOURCE_DIR) + "/data/prior/disks-patch64.ckpt";
  std::string out;
  ASSERT_EQ(run_command(penumbra_bin() + " --threads 1 --seed 1 --out " + (dir / "ps").string() +
                            " prior-sample --prior " + ckpt + " --size 256 --n 1 --steps 4",
                        &out),
            0)
      << out;
  penumbra::Hdf5Store s(dir / "ps" / "samples.h5", penumbra::Hdf5Store::Mode::kRead);
  EXPECT_EQ(s.shape("/samples"), (std::vector<std::size_t>{1, 256, 256}));
}
