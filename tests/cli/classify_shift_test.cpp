// penumbra classify shift end to end (a tiny ge-attention model on synthetic
// images), and the ge-attention backbone's bad --group from the CLI.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "src/core/run_folder.hpp"
#include "tests/support/paths.hpp"

using namespace penumbra;

namespace {
const std::string kTinyGe =
    " --backbone ge-attention --group C4 --deterministic --data synthetic --n-synthetic 12 --synthetic-size 24"
    " --val-fraction 0.34 --epochs 1 --batch 4";
}  // namespace

TEST(ClassifyShiftCli, FrechetDistanceBetweenTwoSyntheticDraws) {
  auto dir = test::scratch_dir("classify_shift_cli");
  std::string bin = test::penumbra_bin();
  std::string out;
  ASSERT_EQ(test::run_command(bin + " --threads 1 --seed 2 --out " + (dir / "model").string() + " classify train" + kTinyGe,
                              &out),
            0)
      << out;
  ASSERT_EQ(test::run_command(bin + " --threads 1 --out " + (dir / "shift").string() + " classify shift --model " +
                                  (dir / "model").string() + " --a synthetic --b synthetic --n-synthetic 30 --replicates 20",
                              &out),
            0)
      << out;
  auto j = nlohmann::json::parse(read_text(dir / "shift" / "shift.json"));
  EXPECT_EQ(j["n_a"], 30);
  EXPECT_EQ(j["n_b"], 30);
  EXPECT_EQ(j["feature_dim"], 32);
  double d = j["frechet_distance"], lo = j["lower"], hi = j["upper"];
  EXPECT_TRUE(std::isfinite(d) && d >= 0) << d;
  EXPECT_LE(lo, hi);
  EXPECT_GT(j["bootstrap_sd"].get<double>(), 0);
  EXPECT_NE(out.find("Fréchet distance synthetic (30) vs synthetic (30)"), std::string::npos) << out;
}

TEST(ClassifyShiftCli, BadInputIsOneLine) {
  auto dir = test::scratch_dir("classify_shift_cli_bad");
  std::string bin = test::penumbra_bin();
  std::string out;
  // Exit 64, the message on one line, no run folder.
  auto refused = [&](const std::string& name, const std::string& args, const std::string& msg) {
    int rc = test::run_command(bin + " --out " + (dir / name).string() + " classify " + args, &out);
    bool one_line = std::count(out.begin(), out.end(), '\n') == 1 && out.find(msg) != std::string::npos;
    EXPECT_TRUE(rc == 64 && one_line && !std::filesystem::exists(dir / name)) << args << ": " << rc << " " << out;
  };
  refused("g", "train --group C6" + kTinyGe.substr(0, kTinyGe.find(" --group")) +
                   kTinyGe.substr(kTinyGe.find(" --deterministic")),
          "order N = 6 (C6) not supported by the ge-attention backbone");
  refused("a", "shift --model " + (dir / "nowhere").string() + " --a confusing --b synthetic", "--a 'confusing' unknown");
  refused("r", "shift --model " + (dir / "nowhere").string() + " --a synthetic --b synthetic --replicates 1",
          "--replicates");
}
