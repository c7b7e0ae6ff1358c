// scripts/train_prior_torch.py, the GPU trainer written in Python, mirrors the score
// network and the checkpoint format in C++: a checkpoint it writes must load in
// penumbra, and its DSM loss must be the one penumbra computes (with penumbra's noise
// draws, to float rounding: the forward pass itself), for a whole-image and a patch
// prior. Skips when Debian's python3-torch / python3-h5py are missing
// (scripts/setup.sh installs them).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "src/core/run_folder.hpp"
#include "tests/support/paths.hpp"

using namespace penumbra::test;

namespace {
// The JSON header of a Penumbra checkpoint (priors/checkpoint.cpp: magic, u32 version,
// u64 length, JSON).
nlohmann::json checkpoint_header(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  char magic[8];
  std::uint32_t version = 0;
  std::uint64_t n = 0;
  f.read(magic, 8);
  f.read(reinterpret_cast<char*>(&version), 4);
  f.read(reinterpret_cast<char*>(&n), 8);
  std::string js(n, '\0');
  f.read(js.data(), static_cast<std::streamsize>(n));
  return nlohmann::json::parse(js);
}
// One thread, as the penumbra runs here: the --penumbra-noise losses are compared to float rounding.
std::string script() {
  return std::string("OMP_NUM_THREADS=1 /usr/bin/python3 ") + PENUMBRA_SOURCE_DIR +
         "/scripts/train_prior_torch.py";
}

// The script's held-out DSM loss (EMA weights) of `ckpt` on the first n images of `data`.
double script_loss(const std::string& ckpt, const std::string& data, int n, const std::string& extra = "") {
  std::string out;
  EXPECT_EQ(run_command(script() + " loss --device cpu --ckpt " + ckpt + " --data " + data + " --n " +
                            std::to_string(n) + extra,
                        &out),
            0)
      << out;
  auto first = out.find('{');
  if (first == std::string::npos) {
    ADD_FAILURE() << "no JSON line in: " << out;
    return -1;
  }
  auto js = nlohmann::json::parse(out.substr(first, out.find('\n', first) - first));
  EXPECT_EQ(js["weights"], "ema");
  return js["held_out_dsm_loss"].get<double>();
}
}  // namespace

TEST(TorchTrainerScript, WritesCheckpointsPenumbraReadsWithTheSameLoss) {
  std::string out;
  if (run_command("/usr/bin/python3 -c 'import torch, h5py, numpy'", &out) != 0)
    GTEST_SKIP() << "python3-torch or python3-h5py not installed";
  auto dir = scratch_dir("torch_script");
  // The shipped prior (a trained network: an untrained one outputs ≈ 0 whatever its
  // layers, so only a trained one tells a faithful mirror from a wrong one), and 64
  // held-out disks packed as uint16.
  auto shipped = std::string(PENUMBRA_SOURCE_DIR) + "/data/prior/default.ckpt";
  ASSERT_EQ(run_command(penumbra_bin() + " --threads 1 --seed 9 --out " + (dir / "data").string() +
                            " dataset disks --n 64 --size 64",
                        &out),
            0)
      << out;
  auto packed = (dir / "disks_u16.h5").string();
  ASSERT_EQ(run_command(script() + " pack " + (dir / "data" / "disks.h5").string() + " " + packed, &out), 0)
      << out;

  // Continue 2 steps in Python (CPU), fine-tuning on the packed file.
  auto tuned = (dir / "tuned.ckpt").string();
  ASSERT_EQ(run_command(script() + " train --device cpu --init " + shipped + " --data " + packed + " --out " +
                            tuned + " --steps 2 --batch 2 --hold-out 8 --log-every 1",
                        &out),
            0)
      << out;
  EXPECT_NE(out.find("wrote " + tuned), std::string::npos) << out;

  // penumbra reads it: the step counter, the run record and the lineage are in the header.
  ASSERT_EQ(run_command(penumbra_bin() + " --threads 1 --seed 3 --out " + (dir / "val").string() +
                            " prior-validate --prior " + tuned +
                            " --n 2 --steps 5 --reference 64 --reference-file " +
                            (dir / "data" / "disks.h5").string(),
                        &out),
            0)
      << out;
  auto v = nlohmann::json::parse(penumbra::read_text(dir / "val" / "run.json"))["results"];
  const auto shipped_step = checkpoint_header(shipped)["training"]["step"].get<std::int64_t>();
  EXPECT_EQ(v["training_steps"], shipped_step + 2);
  auto h = checkpoint_header(tuned);
  const auto before =
      checkpoint_header(shipped)["training"].value("gpu_runs", nlohmann::json::array()).size();
  ASSERT_EQ(h["training"]["gpu_runs"].size(), before + 1) << h["training"].dump();
  EXPECT_EQ(h["training"]["gpu_runs"].back()["steps"], 2);
  EXPECT_EQ(h["data"]["lineage"].back()["until_step"], shipped_step);  // fine-tuned on new data
  double cpp_loss = v["held_out_dsm_loss"].get<double>();

  // train-prior continues it on the CPU and keeps the GPU run record.
  ASSERT_EQ(run_command(penumbra_bin() + " --threads 1 --seed 4 --out " + (dir / "cpu").string() +
                            " train-prior --data " + (dir / "data" / "disks.h5").string() + " --steps " +
                            std::to_string(shipped_step + 3) + " --resume " + tuned,
                        &out),
            0)
      << out;
  auto hc = checkpoint_header((dir / "cpu" / "checkpoint.ckpt").string());
  EXPECT_EQ(hc["training"]["step"], shipped_step + 3);
  EXPECT_EQ(hc["training"]["gpu_runs"], h["training"]["gpu_runs"]);

  // The same measure in Python on the same 64 disks (uint16-packed: 8e-6 quantisation)
  // at the same 6 noise levels: equal up to the noise draws (≈ 1 %). A network that
  // differs from priors/score_network.cpp in any layer gives another loss altogether.
  EXPECT_NEAR(script_loss(tuned, packed, 64), cpp_loss, 0.05 * cpp_loss);
  // With penumbra's noise draws on the same float images the two are one computation:
  // equal to float rounding (they are bit-identical here), the forward pass checked.
  const auto disks = (dir / "data" / "disks.h5").string();
  EXPECT_NEAR(script_loss(tuned, disks, 64, " --penumbra-noise"), cpp_loss, 1e-6 * cpp_loss);

  // Bad input: images of another size than the checkpoint's, one line and a non-zero exit.
  ASSERT_EQ(run_command(penumbra_bin() + " --threads 1 --seed 9 --out " + (dir / "big").string() +
                            " dataset disks --n 4 --size 32",
                        &out),
            0);
  EXPECT_NE(run_command(script() + " train --device cpu --init " + tuned + " --data " +
                            (dir / "big" / "disks.h5").string() + " --out " + (dir / "x.ckpt").string() +
                            " --steps 1",
                        &out),
            0);
  EXPECT_NE(out.find("images are 32×32; the checkpoint was trained on 64×64"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(dir / "x.ckpt"));
}

// A patch prior (data.patch_size, network.coord_channels 2): the script scores P×P tiles
// with their position maps, trains on random crops of the flipped images, and writes a
// patch checkpoint that prior-validate and prior-sample read.
TEST(TorchTrainerScript, ContinuesAPatchPriorPenumbraReads) {
  std::string out;
  if (run_command("/usr/bin/python3 -c 'import torch, h5py, numpy'", &out) != 0)
    GTEST_SKIP() << "python3-torch or python3-h5py not installed";
  auto dir = scratch_dir("torch_script_patch");
  const std::string bin = penumbra_bin() + " --threads 1 --out ";
  const auto disks = (dir / "data" / "disks.h5").string();
  ASSERT_EQ(run_command(bin + (dir / "data").string() + " --seed 9 dataset disks --n 64 --size 32", &out), 0)
      << out;
  // 16² tiles of 32² disks, trained (150 steps, ≈ 3 s) until the loss is far from an
  // untrained network's ≈ 1: only a trained network tells a faithful mirror from a wrong one.
  ASSERT_EQ(
      run_command(bin + (dir / "train").string() + " --seed 2 train-prior --data " + disks +
                      " --patch-size 16 --width 8 --mult 1,2 --steps 150 --batch 8 --lr 3e-3 --warmup 10",
                  &out),
      0)
      << out;
  const auto cpp = (dir / "train" / "checkpoint.ckpt").string();
  auto hc = checkpoint_header(cpp);
  ASSERT_EQ(hc["data"]["patch_size"], 16);
  ASSERT_EQ(hc["network"]["coord_channels"], 2);
  auto validate = [&](const std::string& ckpt, const std::string& name) {
    std::string o;
    EXPECT_EQ(run_command(bin + (dir / name).string() + " --seed 3 prior-validate --prior " + ckpt +
                              " --size 32 --n 1 --steps 2 --reference 64 --reference-file " + disks,
                          &o),
              0)
        << o;
    return nlohmann::json::parse(penumbra::read_text(dir / name / "run.json"))["results"];
  };

  // The forward pass of the C++ checkpoint: penumbra's loss over the 4 tiles of each
  // of 64 images (with their positions) at 6 levels, to float rounding.
  const double cpp_loss = validate(cpp, "val_cpp")["held_out_dsm_loss"].get<double>();
  EXPECT_LT(cpp_loss, 0.6);
  EXPECT_NEAR(script_loss(cpp, disks, 64, " --penumbra-noise"), cpp_loss, 1e-6 * cpp_loss);

  // Continue 3 steps in Python on the packed copy of the same stack: not new data, so
  // no lineage and the tiles' σ_max stays.
  auto packed = (dir / "disks_u16.h5").string();
  ASSERT_EQ(run_command(script() + " pack " + disks + " " + packed, &out), 0) << out;
  auto tuned = (dir / "tuned.ckpt").string();
  ASSERT_EQ(run_command(script() + " train --device cpu --init " + cpp + " --data " + packed + " --out " +
                            tuned + " --steps 3 --batch 4 --hold-out 8 --log-every 1",
                        &out),
            0)
      << out;
  auto h = checkpoint_header(tuned);
  EXPECT_EQ(h["training"]["step"], 153);
  EXPECT_EQ(h["training"]["gpu_runs"].size(), 1u);
  EXPECT_EQ(h["data"]["patch_size"], 16);
  EXPECT_EQ(h["network"]["coord_channels"], 2);
  EXPECT_EQ(h["data"]["source"], hc["data"]["source"]);
  EXPECT_EQ(h["sde"]["sigma_max"], hc["sde"]["sigma_max"]);

  auto v = validate(tuned, "val_tuned");
  EXPECT_EQ(v["training_steps"], 153);
  EXPECT_EQ(v["seams"]["tile_period_px"], 16);
  const double tuned_loss = v["held_out_dsm_loss"].get<double>();
  EXPECT_NEAR(script_loss(tuned, packed, 64), tuned_loss, 0.05 * tuned_loss);
  EXPECT_NEAR(script_loss(tuned, disks, 64, " --penumbra-noise"), tuned_loss, 1e-6 * tuned_loss);
  ASSERT_EQ(run_command(bin + (dir / "ps").string() + " --seed 3 prior-sample --prior " + tuned +
                            " --size 32 --n 1 --batch 1 --steps 2",
                        &out),
            0)
      << out;
  auto ps = nlohmann::json::parse(penumbra::read_text(dir / "ps" / "run.json"))["results"];
  EXPECT_EQ(ps["size"], 32);
  EXPECT_EQ(ps["patch_prior"]["patch_size"], 16);
  EXPECT_TRUE(std::filesystem::exists(dir / "ps" / "samples.h5"));
}
