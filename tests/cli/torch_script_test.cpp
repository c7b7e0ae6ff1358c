// scripts/train_prior_torch.py, the GPU trainer written in Python, mirrors the score
// network and the checkpoint format in C++: a checkpoint it writes must load in
// penumbra, and its DSM loss must be the one penumbra computes. Skips when Debian's
// python3-torch / python3-h5py are missing (scripts/setup.sh installs them).
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
std::string script() { return std::string("/usr/bin/python3 ") + PENUMBRA_SOURCE_DIR + "/scripts/train_prior_torch.py"; }
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
  ASSERT_EQ(run_command(script() + " pack " + (dir / "data" / "disks.h5").string() + " " + packed, &out), 0) << out;

  // Continue 2 steps in Python (CPU), fine-tuning on the packed file.
  auto tuned = (dir / "tuned.ckpt").string();
  ASSERT_EQ(run_command(script() + " train --device cpu --init " + shipped + " --data " + packed + " --out " + tuned +
                            " --steps 2 --batch 2 --hold-out 8 --log-every 1",
                        &out),
            0)
      << out;
  EXPECT_NE(out.find("wrote " + tuned), std::string::npos) << out;

  // penumbra reads it: the step counter, the run record and the lineage are in the header.
  ASSERT_EQ(run_command(penumbra_bin() + " --threads 1 --seed 3 --out " + (dir / "val").string() +
                            " prior-validate --prior " + tuned + " --n 2 --steps 5 --reference 64 --reference-file " +
                            (dir / "data" / "disks.h5").string(),
                        &out),
            0)
      << out;
  auto v = nlohmann::json::parse(penumbra::read_text(dir / "val" / "run.json"))["results"];
  const auto shipped_step = checkpoint_header(shipped)["training"]["step"].get<std::int64_t>();
  EXPECT_EQ(v["training_steps"], shipped_step + 2);
  auto h = checkpoint_header(tuned);
  const auto before = checkpoint_header(shipped)["training"].value("gpu_runs", nlohmann::json::array()).size();
  ASSERT_EQ(h["training"]["gpu_runs"].size(), before + 1) << h["training"].dump();
  EXPECT_EQ(h["training"]["gpu_runs"].back()["steps"], 2);
  EXPECT_EQ(h["data"]["lineage"].back()["until_step"], shipped_step);  // fine-tuned on new data
  double cpp_loss = v["held_out_dsm_loss"].get<double>();

  // train-prior continues it on the CPU and keeps the GPU run record.
  ASSERT_EQ(run_command(penumbra_bin() + " --threads 1 --seed 4 --out " + (dir / "cpu").string() + " train-prior --data " +
                            (dir / "data" / "disks.h5").string() + " --steps " + std::to_string(shipped_step + 3) +
                            " --resume " + tuned,
                        &out),
            0)
      << out;
  auto hc = checkpoint_header((dir / "cpu" / "checkpoint.ckpt").string());
  EXPECT_EQ(hc["training"]["step"], shipped_step + 3);
  EXPECT_EQ(hc["training"]["gpu_runs"], h["training"]["gpu_runs"]);

  // The same measure in Python on the same 64 disks (uint16-packed: 8e-6 quantisation)
  // at the same 6 noise levels: equal up to the noise draws (≈ 1 %). A network that
  // differs from priors/score_network.cpp in any layer gives another loss altogether.
  ASSERT_EQ(run_command(script() + " loss --device cpu --ckpt " + tuned + " --data " + packed + " --n 64", &out), 0)
      << out;
  auto first = out.find('{');
  ASSERT_NE(first, std::string::npos) << out;
  auto py = nlohmann::json::parse(out.substr(first, out.find('\n', first) - first));
  EXPECT_EQ(py["weights"], "ema");
  EXPECT_NEAR(py["held_out_dsm_loss"].get<double>(), cpp_loss, 0.05 * cpp_loss) << out;

  // Bad input: images of another size than the checkpoint's, one line and a non-zero exit.
  ASSERT_EQ(run_command(penumbra_bin() + " --threads 1 --seed 9 --out " + (dir / "big").string() +
                            " dataset disks --n 4 --size 32",
                        &out),
            0);
  EXPECT_NE(run_command(script() + " train --device cpu --init " + tuned + " --data " +
                            (dir / "big" / "disks.h5").string() + " --out " + (dir / "x.ckpt").string() + " --steps 1",
                        &out),
            0);
  EXPECT_NE(out.find("images are 32×32; the checkpoint was trained on 64×64"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(dir / "x.ckpt"));
}
