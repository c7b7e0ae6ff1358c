// classify with the resnet backbone's width/depth/stages knobs: they reach the
// network and config.json (and only when not the default), eval refuses a model
// folder of another width and weights of another width under a config, the
// knobs are refused on other backbones and out of range, and a cross-validation
// resumed with another width is refused.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "src/core/run_folder.hpp"
#include "tests/support/paths.hpp"

using namespace penumbra;

namespace {
const std::string kTiny =
    " --data synthetic --n-synthetic 12 --synthetic-size 24 --val-fraction 0.34 --epochs 1 --batch 4 --eval-samples 2";

nlohmann::json config_of(const std::filesystem::path& model) {
  return nlohmann::json::parse(read_text(model / "config.json"));
}

// Runs `args` and expects exit code `code` with `message` on the output's last line.
void expect_refused(const std::string& args, int code, const std::string& message) {
  std::string out;
  EXPECT_EQ(test::run_command(test::penumbra_bin() + " --threads 1 " + args, &out), code) << out;
  EXPECT_NE(out.find(message), std::string::npos) << out;
  auto last = out.substr(out.find_last_of('\n', out.size() - 2) + 1);
  EXPECT_NE(last.find(message), std::string::npos) << "not on one line: " << out;
}
}  // namespace

TEST(ClassifyResNet, WidthDepthStagesReachTheModelAndItsConfig) {
  auto dir = test::scratch_dir("classify_resnet_knobs");
  const std::string bin = test::penumbra_bin() + " --threads 1 --seed 2 --out ";
  std::string out;
  ASSERT_EQ(test::run_command(bin + (dir / "w8").string() +
                                  " classify train --backbone resnet --width 8 --depth 2 --stages 3 --deterministic" +
                                  kTiny,
                              &out),
            0)
      << out;
  auto c = config_of(dir / "w8");
  EXPECT_EQ(c.at("width"), 8);
  EXPECT_EQ(c.at("depth"), 2);
  EXPECT_EQ(c.at("stages"), 3);
  EXPECT_FALSE(c.contains("channels"));  // 1, the default
  // The default resnet and the other backbones write none of the knobs: their
  // config.json is what it was before the knobs existed.
  ASSERT_EQ(test::run_command(bin + (dir / "w16").string() + " classify train --backbone resnet --deterministic" + kTiny,
                              &out),
            0)
      << out;
  for (const char* key : {"width", "depth", "stages", "channels"}) EXPECT_FALSE(config_of(dir / "w16").contains(key));
  // A wider network has more weights: 8 wide, 2 deep, 3 stages against 16, 1, 4.
  ASSERT_EQ(test::run_command(bin + (dir / "eval").string() + " classify eval --samples 1 --width 8 --depth 2 "
                                  "--stages 3 --backbone resnet --model " + (dir / "w8").string(),
                              &out),
            0)
      << out;
  EXPECT_GT(std::filesystem::file_size(dir / "w16" / "weights.pt"), std::filesystem::file_size(dir / "w8" / "weights.pt"));

  // eval/predict/prune --width etc. refuse a model folder of another shape.
  expect_refused("--out " + (dir / "x").string() + " classify eval --width 16 --model " + (dir / "w8").string(), 65,
                 "model folder holds a resnet of width 8, expected 16");
  expect_refused("--out " + (dir / "x").string() + " classify predict --depth 1 --model " + (dir / "w8").string() +
                     " nowhere.png",
                 65, "model folder holds a resnet of depth 2, expected 1");
  // Weights of the 8-wide network under a config that says 16 wide.
  std::filesystem::create_directories(dir / "mixed");
  std::filesystem::copy_file(dir / "w8" / "weights.pt", dir / "mixed" / "weights.pt");
  auto mixed = config_of(dir / "w8");
  mixed.erase("width");
  write_text_atomic(dir / "mixed" / "config.json", mixed.dump(2));
  expect_refused("--out " + (dir / "x").string() + " classify eval --model " + (dir / "mixed").string(), 65,
                 "weights do not fit the 'resnet' model of config.json (encoder.stem");
}

TEST(ClassifyResNet, BadKnobsAreOneLineUsageErrors) {
  auto dir = test::scratch_dir("classify_resnet_bad");
  const std::string out = "--out " + (dir / "x").string();
  expect_refused(out + " classify train --backbone lenet --width 8" + kTiny, 64,
                 "--width 8 applies to the resnet backbone only, not lenet");
  expect_refused(out + " classify cross-validate --backbone attention --depth 2 --folds 2 --data synthetic", 64,
                 "--depth 2 applies to the resnet backbone only, not attention");
  expect_refused(out + " classify train --backbone resnet --width 3" + kTiny, 64, "--width must be in [4, 64], got 3");
  expect_refused(out + " classify train --backbone resnet --depth 5" + kTiny, 64, "--depth must be in [1, 4], got 5");
  expect_refused(out + " classify train --backbone resnet --stages 2" + kTiny, 64, "--stages must be in [3, 4], got 2");
  EXPECT_FALSE(std::filesystem::exists(dir / "x"));
}

TEST(ClassifyResNet, CrossValidationResumedWithAnotherWidthIsRefused) {
  auto dir = test::scratch_dir("classify_resnet_cv");
  const std::string cv = " --threads 1 --seed 4 --out " + (dir / "cv").string() +
                         " classify cross-validate --backbone resnet --deterministic --folds 2 --data synthetic "
                         "--n-synthetic 8 --synthetic-size 24 --epochs 1 --batch 4 --eval-samples 1";
  std::string out;
  ASSERT_EQ(test::run_command(test::penumbra_bin() + cv + " --width 4", &out), 0) << out;
  EXPECT_EQ(config_of(dir / "cv" / "fold-0").at("width"), 4);
  EXPECT_EQ(test::run_command(test::penumbra_bin() + cv + " --width 4 --resume", &out), 0) << out;
  EXPECT_EQ(test::run_command(test::penumbra_bin() + cv + " --width 8 --resume", &out), 64) << out;
  EXPECT_NE(out.find("\"width\":4"), std::string::npos) << out;
}
