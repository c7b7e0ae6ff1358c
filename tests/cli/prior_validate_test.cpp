// train-prior fine-tuning on another kind of data (the lineage in run.json and the
// checkpoint) and prior-validate against held-out disks, with a tiny network.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "src/core/run_folder.hpp"
#include "tests/support/paths.hpp"

using namespace penumbra::test;

TEST(PriorValidateCommand, FineTunesOnDisksAndValidatesAgainstHeldOutImages) {
  auto dir = scratch_dir("prior_validate_cmd");
  const std::string tiny = " --size 16 --width 8 --mult 1,2 --patch 1 --no-attention --batch 4 --warmup 1";
  std::string out;
  ASSERT_EQ(run_command(penumbra_bin() + " --threads 1 --seed 1 --out " + (dir / "base").string() +
                            " train-prior --generate 16 --steps 3 --checkpoint-every 2" + tiny,
                        &out),
            0)
      << out;
  auto ckpt = (dir / "base" / "checkpoint.ckpt").string();
  // Fine-tune on disks: --steps is the total, so training continues from step 3 to 6.
  ASSERT_EQ(run_command(penumbra_bin() + " --threads 1 --seed 2 --out " + (dir / "tuned").string() +
                            " train-prior --generate 16 --kind disks --size 16 --steps 6 --resume " + ckpt,
                        &out),
            0)
      << out;
  auto j = nlohmann::json::parse(penumbra::read_text(dir / "tuned" / "run.json"))["results"];
  EXPECT_EQ(j["steps"], 6);
  EXPECT_NE(j["data"]["source"].get<std::string>().find("generator disks n=16"), std::string::npos) << j.dump();
  ASSERT_EQ(j["data"]["lineage"].size(), 1u) << j.dump();
  EXPECT_EQ(j["data"]["lineage"][0]["until_step"], 3);
  EXPECT_NE(j["data"]["lineage"][0]["source"].get<std::string>().find("generator galaxies n=16"), std::string::npos);

  ASSERT_EQ(run_command(penumbra_bin() + " --threads 1 --seed 3 --out " + (dir / "val").string() +
                            " prior-validate --prior " + (dir / "tuned" / "checkpoint.ckpt").string() +
                            " --n 4 --steps 5 --reference 8 --kind disks --noise-levels 3 --gaussian-limit disks",
                        &out),
            0)
      << out;
  for (auto f : {"power_spectrum.png", "pixel_histogram.png", "flux_cdf.png", "size_cdf.png", "noise_levels.csv",
                 "noise_levels.png", "run.json"})
    EXPECT_TRUE(std::filesystem::exists(dir / "val" / f)) << f;
  auto v = nlohmann::json::parse(penumbra::read_text(dir / "val" / "run.json"))["results"];
  EXPECT_EQ(v["training_steps"], 6);
  EXPECT_EQ(v["samples"], 4);
  EXPECT_EQ(v["reference_kind"], "disks");
  EXPECT_TRUE(v["held_out_dsm_loss"].get<double>() > 0) << v.dump();
  EXPECT_GE(v["flux_ks"].get<double>(), 0.0);
  EXPECT_LE(v["flux_ks"].get<double>(), 1.0);
  ASSERT_EQ(v["noise_levels"].size(), 3u) << v.dump();
  EXPECT_GT(v["noise_levels"][2]["sigma"].get<double>(), v["noise_levels"][0]["sigma"].get<double>());
  EXPECT_GT(v["noise_levels"][0]["dsm_loss"].get<double>(), 0);
  EXPECT_EQ(v["gaussian_limit"]["kind"], "disks");
  EXPECT_LT(v["corner_abs_mean"]["reference"].get<double>(), 1e-6);  // generated disks are ~0 outside the inscribed circle
  EXPECT_GT(v["corner_abs_mean"]["samples"].get<double>(), 0.0);
  EXPECT_EQ(v["gaussian_limit"]["sigma_to"], 5.0);
  EXPECT_EQ(v["weights"], "ema");

  // References from a file: the first --reference images of the stack; a stack of
  // another image size is one line and exit 65.
  ASSERT_EQ(run_command(penumbra_bin() + " --threads 1 --seed 4 --out " + (dir / "ref").string() +
                            " dataset disks --n 6 --size 16",
                        &out),
            0)
      << out;
  ASSERT_EQ(run_command(penumbra_bin() + " --threads 1 --seed 3 --out " + (dir / "valf").string() +
                            " prior-validate --prior " + (dir / "tuned" / "checkpoint.ckpt").string() +
                            " --n 2 --steps 5 --reference 4 --weights raw --reference-file " + (dir / "ref" / "disks.h5").string(),
                        &out),
            0)
      << out;
  auto vf = nlohmann::json::parse(penumbra::read_text(dir / "valf" / "run.json"))["results"];
  EXPECT_EQ(vf["reference_images"], 4);
  EXPECT_EQ(vf["weights"], "raw");
  EXPECT_NE(vf["reference_kind"].get<std::string>().find("disks.h5"), std::string::npos) << vf.dump();
  EXPECT_GT(vf["held_out_dsm_loss"].get<double>(), 0);
  ASSERT_EQ(run_command(penumbra_bin() + " --threads 1 --seed 4 --out " + (dir / "ref32").string() +
                            " dataset disks --n 2 --size 32",
                        &out),
            0);
  EXPECT_EQ(run_command(penumbra_bin() + " --out " + (dir / "bad3").string() + " prior-validate --prior " + ckpt +
                            " --n 2 --steps 5 --reference-file " + (dir / "ref32" / "disks.h5").string(),
                        &out),
            65)
      << out;
  EXPECT_NE(out.find("/images is not [N,16,16]"), std::string::npos) << out;

  // Bad input: a Gaussian limit that ends before it starts, an unknown reference kind (64)
  // and a missing checkpoint (66).
  EXPECT_EQ(run_command(penumbra_bin() + " --out " + (dir / "badg").string() + " prior-validate --prior " + ckpt +
                            " --gaussian-limit disks --gaussian-from 4 --gaussian-to 2",
                        &out),
            64)
      << out;
  EXPECT_NE(out.find("--gaussian-to must be > "), std::string::npos) << out;
  EXPECT_EQ(run_command(penumbra_bin() + " --out " + (dir / "bad").string() + " prior-validate --prior " + ckpt +
                            " --kind spirals",
                        &out),
            64)
      << out;
  EXPECT_EQ(run_command(penumbra_bin() + " --out " + (dir / "bad2").string() + " prior-validate --prior " +
                            (dir / "missing.ckpt").string(),
                        &out),
            66)
      << out;
}
