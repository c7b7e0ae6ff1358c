// classify train's further modes end to end on tiny synthetic data: tag
// targets (train → predict per-tag probabilities) and FixMatch with few
// labels, with their bad-input lines.
#include <gtest/gtest.h>

#include <png.h>

#include <algorithm>
#include <fmt/format.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "src/core/run_folder.hpp"
#include "tests/support/paths.hpp"

using namespace penumbra;

namespace {

const std::string kTiny =
    " --data synthetic --n-synthetic 12 --synthetic-size 24 --val-fraction 0.34 --epochs 1 --batch 4 --eval-samples 2"
    " --backbone attention";

// One line, exit `code`, the message, and no run folder left behind.
void expect_refused(const std::filesystem::path& out_dir, const std::string& args, int code, const std::string& msg) {
  std::string out;
  EXPECT_EQ(test::run_command(test::penumbra_bin() + " --out " + out_dir.string() + " classify " + args, &out), code)
      << args << "\n" << out;
  EXPECT_NE(out.find(msg), std::string::npos) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  EXPECT_FALSE(std::filesystem::exists(out_dir)) << args;
}

}  // namespace

TEST(ClassifyExtrasCli, TagTargetsTrainAndPredict) {
  auto dir = test::scratch_dir("classify_tags_cli");
  std::string tags = "subject_ids,core,bent\n";
  for (int i = 0; i < 12; ++i) tags += fmt::format("synthetic-{},{},{}\n", i, i % 2 == 0 ? 3 : 0, i % 3 == 0 ? 1 : 0);
  std::ofstream(dir / "tags.csv") << tags;
  std::string out;
  const auto bin = test::penumbra_bin() + " --threads 1 --seed 2 --out ";
  ASSERT_EQ(test::run_command(bin + (dir / "model").string() + " classify train --targets " +
                                  (dir / "tags.csv").string() + kTiny,
                              &out),
            0)
      << out;
  const auto m = nlohmann::json::parse(read_text(dir / "model" / "metrics.json"));
  EXPECT_EQ(m["tags"].size(), 2u);
  EXPECT_TRUE(std::filesystem::exists(dir / "model" / "tag_metrics.csv"));
  {
    std::vector<unsigned char> px(24 * 24, 0);
    for (int x = 6; x < 18; ++x) px[12 * 24 + x] = 200;
    png_image img{};
    img.version = PNG_IMAGE_VERSION;
    img.width = img.height = 24;
    img.format = PNG_FORMAT_GRAY;
    ASSERT_TRUE(png_image_write_to_file(&img, (dir / "src.png").c_str(), 0, px.data(), 0, nullptr));
  }
  ASSERT_EQ(test::run_command(bin + (dir / "pred").string() + " classify predict --samples 2 --model " +
                                  (dir / "model").string() + " " + (dir / "src.png").string(),
                              &out),
            0)
      << out;
  EXPECT_NE(out.find("core "), std::string::npos) << out;
  const auto csv = read_text(dir / "pred" / "tag_predictions.csv");
  EXPECT_EQ(csv.rfind("image,p_core,p_bent\n", 0), 0u) << csv;

  expect_refused(dir / "eval", "eval --model " + (dir / "model").string(), 64, "is a tag model");

  std::ofstream(dir / "other.csv") << "id,core\nfoo,1\n";
  expect_refused(dir / "bad1", "train --targets " + (dir / "other.csv").string() + kTiny, 65,
                 "no tags for 8 of the 8 training images (e.g. 'synthetic-");
  std::ofstream(dir / "empty.csv") << "id,core\n" + [] {
    std::string rows;
    for (int i = 0; i < 12; ++i) rows += fmt::format("synthetic-{},0\n", i);
    return rows;
  }();
  expect_refused(dir / "bad2", "train --targets " + (dir / "empty.csv").string() + kTiny, 65,
                 "tag 'core' is empty on the 8 training images");
  expect_refused(dir / "bad3", "train --targets synthetic --ensemble 2" + kTiny, 64, "drop --ensemble");
}

TEST(ClassifyExtrasCli, FixMatchWithFewLabels) {
  auto dir = test::scratch_dir("classify_fixmatch_cli");
  std::string out;
  ASSERT_EQ(test::run_command(test::penumbra_bin() + " --threads 1 --seed 2 --out " + (dir / "fm").string() +
                                  " classify train --labels 4 --ssl fixmatch --mu 1 --tau 0.5 --unlabelled train,synthetic"
                                  " --n-unlabelled-synthetic 4" + kTiny,
                              &out),
            0)
      << out;
  const auto m = nlohmann::json::parse(read_text(dir / "fm" / "metrics.json"));
  EXPECT_EQ(m["labels"], 4);
  EXPECT_EQ(m["unlabelled_images"], 12);  // 8 training + 4 synthetic
  EXPECT_TRUE(m.contains("mask_rate") && m.contains("accuracy"));
  expect_refused(dir / "b1", "train --labels 5 --ssl fixmatch" + kTiny, 64, "5 is not divisible across the 2 classes");
  expect_refused(dir / "b2", "train --labels 10 --ssl fixmatch" + kTiny, 64, "10 exceeds the 8 training images");
  expect_refused(dir / "b3",
                 "train --labels 4 --ssl fixmatch --subset confident --unlabelled uncertain,confident --data mirabest:" +
                     (dir / "nowhere").string(),
                 64, "subset 'confident' overlaps the validation fold");
  expect_refused(dir / "b4", "train --ssl fixmatch" + kTiny, 64, "--ssl fixmatch needs --labels N");
  expect_refused(dir / "b6", "train --labels 4 --unlabelled synthetic" + kTiny, 64, "--unlabelled needs --ssl fixmatch");
  expect_refused(dir / "b5", "train --labels 4 --ssl fixmatch --tau 1.5" + kTiny, 64, "in (0, 1]");
}
