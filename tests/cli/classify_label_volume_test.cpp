// penumbra classify label-volume and classify doubt from the command line: a
// tiny study on synthetic images, the doubt report of a tiny MiraBest model
// (skipped without ../shared/data), and bad options as one line.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>

#include "src/core/run_folder.hpp"
#include "tests/support/paths.hpp"

using namespace penumbra;

TEST(ClassifyLabelVolumeCli, TinySyntheticStudy) {
  auto dir = test::scratch_dir("classify_label_volume_cli");
  std::string out;
  const std::string cmd = test::penumbra_bin() + " --threads 1 --seed 3 --out " + (dir / "lv").string() +
                          " classify label-volume --data synthetic --n-synthetic 24 --synthetic-size 16 --backbone "
                          "attention --deterministic --epochs 1 --batch 4 --labels 4,all --pools synthetic "
                          "--folds 2 --mu 2 --replicates 10 --synthetic-pool-images 20";
  ASSERT_EQ(test::run_command(cmd, &out), 0) << out;
  auto j = nlohmann::json::parse(read_text(dir / "lv" / "label_volume.json"));
  EXPECT_EQ(j["curves"].size(), 2u + 2u);
  EXPECT_NE(out.find("nall-fixmatch-synthetic-fold1"), std::string::npos) << out;
  EXPECT_NE(out.find("correlation of the gain with the Fréchet distance"), std::string::npos) << out;
  ASSERT_EQ(test::run_command(cmd + " --resume", &out), 0) << out;
  EXPECT_NE(out.find("nall-fixmatch-synthetic-fold1: accuracy"), std::string::npos) << out;
  EXPECT_NE(out.find("(reused)"), std::string::npos) << out;
}

TEST(ClassifyDoubtCli, ConfidentVsUncertainOnATinyMiraBestModel) {
  const auto mb = test::shared_data("mirabest");
  if (mb.empty()) GTEST_SKIP() << "../shared/data/mirabest not present";
  auto dir = test::scratch_dir("classify_doubt_cli");
  std::string out;
  const std::string p = test::penumbra_bin() + " --threads 1 --seed 1 --out ";
  ASSERT_EQ(test::run_command(p + (dir / "m").string() + " classify train --data mirabest:" + mb.string() +
                                  " --crop 64 --bin 4 --backbone attention --deterministic --epochs 1",
                              &out),
            0)
      << out;
  ASSERT_EQ(test::run_command(p + (dir / "d").string() + " classify doubt --model " + (dir / "m").string() +
                                  " --replicates 50",
                              &out),
            0)
      << out;
  auto j = nlohmann::json::parse(read_text(dir / "d" / "doubt.json"));
  EXPECT_EQ(j["confident"]["n"], 146);  // the model's own validation split
  EXPECT_GT(j["uncertain"]["n"].get<int>(), 0);
  EXPECT_EQ(j["both"]["n"].get<int>(), 146 + j["uncertain"]["n"].get<int>());
  const auto ci = j["entropy_ratio_interval"];
  EXPECT_LE(ci[0].get<double>(), j["entropy_ratio"].get<double>());
  EXPECT_GE(ci[1].get<double>(), j["entropy_ratio"].get<double>());
  EXPECT_NE(out.find("entropy ratio Uncertain/Confident"), std::string::npos) << out;
  // A model that trained on Uncertain images too is refused, in one line.
  std::filesystem::copy(dir / "m", dir / "m-all", std::filesystem::copy_options::recursive);
  auto cfg = nlohmann::json::parse(read_text(dir / "m-all" / "config.json"));
  cfg["extra"]["subset"] = "all";
  write_text_atomic(dir / "m-all" / "config.json", cfg.dump());
  EXPECT_EQ(test::run_command(p + (dir / "d2").string() + " classify doubt --model " + (dir / "m-all").string(), &out),
            64);
  EXPECT_NE(out.find("trained on subset 'all': its Uncertain images are not held out"), std::string::npos) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
}

TEST(ClassifyLabelVolumeCli, BadOptionsAreOneLine) {
  auto dir = test::scratch_dir("classify_label_volume_cli_bad");
  std::string out;
  auto refused = [&](const std::string& name, const std::string& args, const std::string& msg) {
    int rc = test::run_command(test::penumbra_bin() + " --out " + (dir / name).string() + " classify " + args, &out);
    bool one_line = std::count(out.begin(), out.end(), '\n') == 1 && out.find(msg) != std::string::npos;
    EXPECT_TRUE(rc == 64 && one_line && !std::filesystem::exists(dir / name)) << args << ": " << rc << " " << out;
  };
  refused("l", "label-volume --labels 50,abc", "--labels: 'abc' is not a whole number");
  refused("p", "label-volume --pools rest,lake", "unlabelled pool 'lake' unknown");
  refused("i", "label-volume --pools imbalanced:1", "expected imbalanced:A:B");
  refused("m", "label-volume --methods supervised,mixmatch", "--methods");
  refused("f", "label-volume --folds 1", "--folds");
  refused("o", "label-volume --data mirabest:/nowhere --pools uncertain,confident",
          "unlabelled pool 'confident' overlaps the validation fold");
  refused("s", "label-volume --data mirabest:/nowhere --subset all", "subset 'all' would overlap the pools");
  refused("b", "label-volume --degradation-blur -1", "--degradation-blur");
  refused("r", "doubt --model /nowhere --replicates 1", "--replicates");
}
