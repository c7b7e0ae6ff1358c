// penumbra pretrain → finetune end to end at tiny sizes: simulated votes →
// hybrid pretraining (2 steps) → a label-efficiency curve on a small colour
// catalogue; exact --resume of supervised pretraining; one-line refusals
// (another backbone's checkpoint, a classifier folder, votes missing).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <nlohmann/json.hpp>
#include <string>

#include "src/core/run_folder.hpp"
#include "src/io/raster.hpp"
#include "tests/support/paths.hpp"

using namespace penumbra;

namespace {

// 16 RGB PNGs, 8 per class: class 1 has a bright centre, class 0 a bright edge.
std::filesystem::path write_catalogue(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir / "images");
  std::string csv = "id,ring,file_loc\n";
  for (int i = 0; i < 16; ++i) {
    Canvas c(24, 24, Rgb{10, 10, 20});
    if (i % 2) c.fill_rect(8, 8, 8, 8, Rgb{200, 180, static_cast<std::uint8_t>(100 + 8 * i)});
    else c.fill_rect(0, 0, 24, 4, Rgb{static_cast<std::uint8_t>(100 + 8 * i), 160, 220});
    auto name = "images/g" + std::to_string(i) + ".png";
    c.write_png(dir / name);
    csv += "g" + std::to_string(i) + "," + std::to_string(i % 2) + "," + name + "\n";
  }
  write_text_atomic(dir / "catalog.csv", csv);
  return dir / "catalog.csv";
}

std::string cli(const std::filesystem::path& out, const std::string& args) {
  return test::penumbra_bin() + " --threads 1 --seed 3 --out " + out.string() + " " + args;
}

const std::string kTinyEncoder = " --width 4 --depth 1 --stages 3 --batch 4 --hidden 8 --projection 4";

}  // namespace

TEST(PretrainFinetuneCli, HybridPretrainingThenALabelEfficiencyCurve) {
  auto dir = test::scratch_dir("pretrain_finetune_cli");
  std::string out;
  ASSERT_EQ(test::run_command(cli(dir / "votes", "dataset gz-votes --count 12 --size 16"), &out), 0) << out;
  ASSERT_EQ(test::run_command(cli(dir / "enc", "pretrain hybrid --data " + (dir / "votes" / "gz-votes.h5").string() +
                                                   kTinyEncoder + " --steps 2 --vote-fraction 0.5"),
                              &out),
            0)
      << out;
  for (auto f : {"encoder.json", "encoder.pt", "loss.csv", "loss.png", "state/state.json", "state/vote_head.pt",
                 "state/target_encoder.pt", "state/optimizer.pt"})
    EXPECT_TRUE(std::filesystem::exists(dir / "enc" / f)) << f;
  auto enc = nlohmann::json::parse(read_text(dir / "enc" / "encoder.json"));
  EXPECT_EQ(enc["trained_by"]["method"], "hybrid");
  EXPECT_EQ(enc["encoder"]["image_size"], 16);
  auto csv = write_catalogue(dir / "cat");
  ASSERT_EQ(test::run_command(cli(dir / "ft", "finetune --encoder " + (dir / "enc").string() + " --data catalogue:" +
                                                  csv.string() + " --labels 4,100 --folds 2 --steps 2 --batch 4"),
                              &out),
            0)
      << out;
  auto j = nlohmann::json::parse(read_text(dir / "ft" / "finetune.json"));
  ASSERT_EQ(j["curve"].size(), 2u);
  EXPECT_EQ(j["curve"][0]["labels_used"], 4);
  EXPECT_EQ(j["curve"][1]["labels_used"], 8);  // 100 asked, the other fold's 8 images used
  for (const auto& p : j["curve"]) {
    EXPECT_GE(p["accuracy"].get<double>(), 0.0);
    EXPECT_LE(p["auc"].get<double>(), 1.0);
  }
  EXPECT_TRUE(std::filesystem::exists(dir / "ft" / "label_efficiency.png"));
  EXPECT_NE(out.find("labels  100 (used    8)"), std::string::npos) << out;
  // From scratch, trained end to end, with an MLP head.
  ASSERT_EQ(test::run_command(cli(dir / "scratch", "finetune --encoder scratch --width 4 --stages 3 --size 16 --data "
                                                       "catalogue:" + csv.string() +
                                                       " --labels 6 --folds 2 --steps 2 --batch 4 --no-freeze --head mlp"),
                              &out),
            0)
      << out;
  EXPECT_NE(read_text(dir / "scratch" / "finetune.json").find("scratch resnet w4 d1 s3 at 16², mlp head, fine-tuned"),
            std::string::npos);
  // The 16² encoder run on 24² inputs (--size with a checkpoint), trained end to end.
  ASSERT_EQ(test::run_command(cli(dir / "ft24", "finetune --encoder " + (dir / "enc").string() + " --size 24 --data "
                                                    "catalogue:" + csv.string() +
                                                    " --labels 6 --folds 2 --steps 2 --batch 4 --no-freeze"),
                              &out),
            0)
      << out;
  EXPECT_NE(out.find("3 channel(s), 24² px"), std::string::npos) << out;
  EXPECT_NE(read_text(dir / "ft24" / "finetune.json").find("hybrid resnet w4 d1 s3 at 24², linear head, fine-tuned"),
            std::string::npos);
  EXPECT_EQ(test::run_command(cli(dir / "ft4", "finetune --encoder " + (dir / "enc").string() + " --size 4 --data "
                                                   "catalogue:" + csv.string()),
                              &out),
            64);
  EXPECT_NE(out.find("--size must be >= 8, got 4"), std::string::npos) << out;
}

TEST(PretrainFinetuneCli, ResumeContinuesExactly) {
  auto dir = test::scratch_dir("pretrain_resume_cli");
  std::string out;
  ASSERT_EQ(test::run_command(cli(dir / "votes", "dataset gz-votes --count 8 --size 16"), &out), 0) << out;
  const std::string pre = "pretrain supervised --data " + (dir / "votes" / "gz-votes.h5").string() + kTinyEncoder;
  ASSERT_EQ(test::run_command(cli(dir / "straight", pre + " --steps 4"), &out), 0) << out;
  ASSERT_EQ(test::run_command(cli(dir / "split", pre + " --steps 2"), &out), 0) << out;
  ASSERT_EQ(test::run_command(cli(dir / "split", pre + " --steps 4 --resume"), &out), 0) << out;
  EXPECT_EQ(read_text(dir / "split" / "loss.csv"), read_text(dir / "straight" / "loss.csv"));
  // Other settings than the checkpoint's: refused in one line.
  int rc = test::run_command(cli(dir / "split", pre + " --steps 6 --lr 0.5 --resume"), &out);
  EXPECT_EQ(rc, 65) << out;
  EXPECT_NE(out.find("the checkpoint was made with other settings"), std::string::npos) << out;
}

TEST(PretrainFinetuneCli, BadInputIsOneLine) {
  auto dir = test::scratch_dir("pretrain_finetune_bad");
  std::string out;
  auto csv = write_catalogue(dir / "cat");
  auto refused = [&](const std::string& name, const std::string& args, int code, const std::string& msg) {
    int rc = test::run_command(cli(dir / name, args), &out);
    bool one_line = std::count(out.begin(), out.end(), '\n') == 1 && out.find(msg) != std::string::npos;
    EXPECT_TRUE(rc == code && one_line) << args << ": " << rc << " " << out;
  };
  // A classifier model folder, and an encoder of another backbone.
  std::filesystem::create_directories(dir / "model");
  write_text_atomic(dir / "model" / "config.json", R"({"backbone": "lenet"})");
  refused("a", "finetune --encoder " + (dir / "model").string() + " --data catalogue:" + csv.string(), 65,
          "a classifier model folder, not an encoder checkpoint");
  std::filesystem::create_directories(dir / "vit");
  write_text_atomic(dir / "vit" / "encoder.json", R"({"encoder": {"backbone": "vit"}})");
  refused("b", "finetune --encoder " + (dir / "vit").string() + " --data catalogue:" + csv.string(), 65,
          "checkpoint holds a 'vit' encoder, expected 'resnet'");
  refused("c", "pretrain supervised --data catalogue:" + csv.string() + " --size 16 --stages 3 --steps 1", 65,
          "no votes; `pretrain supervised` needs a gz-votes file");
  refused("d", "pretrain byol --data x.h5 --width 100", 64, "--width must be in [4, 64]");
  refused("g", "pretrain supervised --data catalogue:" + csv.string() + " --size 16 --stages 3 --vote-columns ring", 65,
          "vote column 'ring' is no answer of the tree");
  refused("h", "pretrain supervised --data x.h5 --vote-columns ring", 64, "--vote-columns and --tree read a catalogue");
  refused("e", "finetune --encoder scratch --data catalogue:" + csv.string() + " --head deep", 64, "--head");
  refused("f", "finetune --encoder scratch --data nowhere:x", 64, "--data 'nowhere:x' unknown");
}

TEST(PretrainFinetuneCli, SupervisedPretrainingOnACataloguesVoteFractions) {
  auto dir = test::scratch_dir("pretrain_catalogue_votes_cli");
  std::string out;
  auto csv = write_catalogue(dir / "cat");
  // A fraction column beside the label: "no" of the two-answer edge-on question.
  std::string text = read_text(csv), with_votes;
  std::istringstream lines(text);
  int row = 0;
  for (std::string line; std::getline(lines, line); ++row)
    with_votes += line + (row == 0 ? ",disk-edge-on_no_fraction" : "," + std::to_string(0.05 * row)) + "\n";
  write_text_atomic(csv, with_votes);
  const std::string pre = "pretrain supervised --data catalogue:" + csv.string() +
                          " --size 16 --vote-columns '*_fraction'" + kTinyEncoder + " --steps 2";
  EXPECT_EQ(test::run_command(cli(dir / "no-total", pre), &out), 64) << out;
  EXPECT_NE(out.find("--assumed-total must be given"), std::string::npos) << out;
  ASSERT_EQ(test::run_command(cli(dir / "enc", pre + " --assumed-total 40"), &out), 0) << out;
  EXPECT_NE(out.find("16 images (3 channel(s), 16² px), 36 answers"), std::string::npos) << out;
  EXPECT_EQ(nlohmann::json::parse(read_text(dir / "enc" / "encoder.json"))["trained_by"]["method"], "supervised");
}
