// --gaussian-limit on the commands that sample a posterior (sample, coverage): the
// blend of a whole-image checkpoint's score with a fitted Gaussian above σ ≈ 0.5
// (docs/validation.md, "The brightness excess") reaches the sampler, the runs record
// it (the prior's name, coverage.json, the resume fingerprint), and a prior it cannot
// act on is refused in one line before any data are read.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <string>

#include "src/core/run_folder.hpp"
#include "src/io/hdf5_store.hpp"
#include "tests/support/paths.hpp"

using namespace penumbra;
using namespace penumbra::test;

namespace {

const std::string kDisks = std::string(PENUMBRA_SOURCE_DIR) + "/data/prior/disks.ckpt";

std::string demo_sample(const std::filesystem::path& out, const std::string& extra) {
  return penumbra_bin() + " --threads 1 --seed 3 --out " + out.string() + " sample --prior " + kDisks +
         " --nsamples 2 --batch 2 --steps 20" + extra;
}

void expect_refused(const std::string& cmd, const std::string& words) {
  std::string out;
  EXPECT_EQ(run_command(cmd, &out), 64) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  EXPECT_NE(out.find(words), std::string::npos) << words << " in " << out;
}

}  // namespace

TEST(GaussianLimitCommand, SampleAndCoverageUseAndRecordIt) {
  auto dir = scratch_dir("gaussian_limit_cli");
  std::string log;
  ASSERT_EQ(run_command(demo_sample(dir / "plain", ""), &log), 0) << log;
  ASSERT_EQ(run_command(demo_sample(dir / "limit", " --gaussian-limit disks"), &log), 0) << log;
  auto name = [](const std::filesystem::path& run) {
    return nlohmann::json::parse(read_text(run / "summary.json"))["prior_name"].get<std::string>();
  };
  EXPECT_EQ(name(dir / "plain").find("Gaussian limit"), std::string::npos) << name(dir / "plain");
  EXPECT_NE(name(dir / "limit").find("Gaussian limit (disks) from 0.5 to 5"), std::string::npos) << name(dir / "limit");
  Hdf5Store a(dir / "plain" / "samples.h5", Hdf5Store::Mode::kRead), b(dir / "limit" / "samples.h5", Hdf5Store::Mode::kRead);
  EXPECT_NE(a.read_float("/samples").data, b.read_float("/samples").data);
  // A finished run of the network alone is not continued as one with the limit.
  EXPECT_NE(run_command(demo_sample(dir / "plain", " --gaussian-limit disks --resume"), &log), 0) << log;

  ASSERT_EQ(run_command(penumbra_bin() + " --threads 1 --seed 2 --out " + (dir / "cov").string() +
                            " coverage --n 1 --prior " + kDisks +
                            " --sky prior-disk --flux-scale 0.0015 --size 64 --scale 10mas --nsamples 2 --batch 2"
                            " --steps 10 --integration 600s --gaussian-limit disks --gaussian-to 4",
                        &log),
            0)
      << log;
  auto cov = nlohmann::json::parse(read_text(dir / "cov" / "coverage.json"));
  EXPECT_EQ(cov["gaussian_limit"]["kind"], "disks");
  EXPECT_DOUBLE_EQ(cov["gaussian_limit"]["sigma_to"].get<double>(), 4.0);
}

TEST(GaussianLimitCommand, RefusesPriorsItCannotActOn) {
  auto dir = scratch_dir("gaussian_limit_cli_bad");
  const std::string head = penumbra_bin() + " --threads 1 --out " + (dir / "x").string();
  expect_refused(head + " sample --prior gaussian:0,1e-3 --size 16 --scale 10mas --gaussian-limit disks",
                 "not a diffusion checkpoint");
  expect_refused(head + " sample --prior " + std::string(PENUMBRA_SOURCE_DIR) +
                     "/data/prior/disks-patch64.ckpt --size 128 --scale 12mas --gaussian-limit disks",
                 "patch prior");
  expect_refused(head + " sample --prior " + kDisks + " --gaussian-limit spirals", "--gaussian-limit");
  expect_refused(head + " coverage --prior " + kDisks + " --gaussian-limit disks --gaussian-from 5 --gaussian-to 1",
                 "--gaussian-to");
}
