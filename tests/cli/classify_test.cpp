// penumbra classify end to end on tiny synthetic data: train → eval → predict
// → prune, and the bad-input paths (wrong backbone, wrong image size, bad options).
#include <gtest/gtest.h>

#include <png.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fmt/format.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "src/core/run_folder.hpp"
#include "tests/support/paths.hpp"

using namespace penumbra;

namespace {
const std::string kTiny = " --data synthetic --n-synthetic 12 --synthetic-size 24 --val-fraction 0.34 --epochs 1 --batch 4 --eval-samples 2";

// A CSV file's rows split at commas (our CSVs quote nothing).
std::vector<std::vector<std::string>> csv_rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    auto& row = rows.emplace_back();
    std::istringstream cells(line);
    for (std::string cell; std::getline(cells, cell, ',');) row.push_back(cell);
    if (!line.empty() && line.back() == ',') row.push_back("");
  }
  return rows;
}
}  // namespace

TEST(ClassifyCli, TrainEvalPredictPrune) {
  auto dir = test::scratch_dir("classify_cli");
  std::string bin = test::penumbra_bin();
  std::string out;
  ASSERT_EQ(test::run_command(bin + " --threads 1 --seed 3 --out " + (dir / "model").string() +
                                  " classify train --backbone attention --prior gsm --temperature 0.01" + kTiny,
                              &out),
            0)
      << out;
  auto m = nlohmann::json::parse(read_text(dir / "model" / "metrics.json"));
  EXPECT_TRUE(m.contains("accuracy") && m.contains("ece") && m.contains("uce"));
  EXPECT_TRUE(std::filesystem::exists(dir / "model" / "reliability.png"));
  EXPECT_TRUE(std::filesystem::exists(dir / "model" / "weights.pt"));
  // A Bayesian model logs its KL[q‖p].
  EXPECT_EQ(read_text(dir / "model" / "train_log.csv").rfind("epoch,loss,nll,kl,", 0), 0u);

  ASSERT_EQ(test::run_command(bin + " --threads 1 --out " + (dir / "eval").string() + " classify eval --samples 2 --tta d4 --model " +
                                  (dir / "model").string(),
                              &out),
            0)
      << out;
  auto e = nlohmann::json::parse(read_text(dir / "eval" / "metrics.json"));
  EXPECT_EQ(e["n"].get<int>(), m["n"].get<int>());  // the same validation split
  EXPECT_EQ(e["tta"], "d4");
  EXPECT_EQ(m["tta"], "none");

  // A model folder of another backbone: one line, exit 65.
  EXPECT_EQ(test::run_command(bin + " --out " + (dir / "e2").string() + " classify eval --backbone lenet --model " +
                                  (dir / "model").string(),
                              &out),
            65);
  EXPECT_NE(out.find("'attention' backbone"), std::string::npos) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;

  // predict on a PNG written by the model's own reliability plot (wrong size) → 65.
  EXPECT_EQ(test::run_command(bin + " --out " + (dir / "p1").string() + " classify predict --model " +
                                  (dir / "model").string() + " " + (dir / "model" / "reliability.png").string(),
                              &out),
            65);
  EXPECT_NE(out.find("the attention model takes 24×24"), std::string::npos) << out;
  // A 24×24 grey PNG of the right size: probabilities and attention maps.
  {
    std::vector<unsigned char> px(24 * 24, 0);
    for (int y = 9; y < 15; ++y)
      for (int x = 4; x < 20; ++x) px[y * 24 + x] = static_cast<unsigned char>(255 - 10 * std::abs(x - 12));
    png_image img{};
    img.version = PNG_IMAGE_VERSION;
    img.width = img.height = 24;
    img.format = PNG_FORMAT_GRAY;
    ASSERT_TRUE(png_image_write_to_file(&img, (dir / "src.png").c_str(), 0, px.data(), 0, nullptr));
  }
  ASSERT_EQ(test::run_command(bin + " --threads 1 --out " + (dir / "p0").string() + " classify predict --samples 3 --tta d4 --model " +
                                  (dir / "model").string() + " " + (dir / "src.png").string(),
                              &out),
            0)
      << out;
  auto pr = nlohmann::json::parse(read_text(dir / "p0" / "predictions.json"));
  ASSERT_EQ(pr.size(), 1u);
  double psum = pr[0]["probabilities"]["FRI"]["mean"].get<double>() + pr[0]["probabilities"]["FRII"]["mean"].get<double>();
  EXPECT_NEAR(psum, 1.0, 1e-6);
  EXPECT_TRUE(std::filesystem::exists(dir / "p0" / "attention_0.png"));
  EXPECT_EQ(test::run_command(bin + " --out " + (dir / "p2").string() + " classify predict --model " +
                                  (dir / "model").string() + " " + (dir / "none.png").string(),
                              &out),
            66);

  ASSERT_EQ(test::run_command(bin + " --threads 1 --out " + (dir / "prune").string() +
                                  " classify prune --samples 2 --fractions 0,0.5 --model " + (dir / "model").string(),
                              &out),
            0)
      << out;
  EXPECT_TRUE(std::filesystem::exists(dir / "prune" / "pruning.csv"));
}

// A deterministic (MAP) model's penalty is −log p(μ), not a KL: the log says so.
TEST(ClassifyCli, DeterministicLogNamesPriorNll) {
  auto dir = test::scratch_dir("classify_cli_det");
  std::string out;
  ASSERT_EQ(test::run_command(test::penumbra_bin() + " --threads 1 --out " + (dir / "m").string() +
                                  " classify train --backbone attention --deterministic" + kTiny,
                              &out),
            0)
      << out;
  auto log = read_text(dir / "m" / "train_log.csv");
  EXPECT_EQ(log.rfind("epoch,loss,nll,prior_nll,train_accuracy_as_seen,val_accuracy_mean_weights,seconds\n", 0), 0u) << log;
}

// K-fold cross-validation: every image validated once, pooled metrics over all
// of them; a fold folder is a model folder that `eval` validates on its fold;
// --resume reuses finished folds instead of retraining.
TEST(ClassifyCli, CrossValidationPoolsEveryImageOnce) {
  auto dir = test::scratch_dir("classify_cli_cv");
  std::string bin = test::penumbra_bin();
  const std::string args =
      " classify cross-validate --folds 3 --backbone attention --deterministic --data synthetic --n-synthetic 12"
      " --synthetic-size 24 --epochs 1 --batch 4";
  std::string out;
  ASSERT_EQ(test::run_command(bin + " --threads 1 --seed 5 --out " + (dir / "cv").string() + args, &out), 0) << out;
  auto m = nlohmann::json::parse(read_text(dir / "cv" / "metrics.json"));
  EXPECT_EQ(m["n"].get<int>(), 12);  // all images, pooled
  EXPECT_EQ(m["folds"].get<int>(), 3);
  ASSERT_EQ(m["per_fold"]["accuracy"].size(), 3u);
  double a = m["accuracy"].get<double>();
  EXPECT_NEAR(m["accuracy_standard_error"].get<double>(), std::sqrt(a * (1 - a) / 12), 1e-12);
  // The pooled accuracy is the image-weighted mean of the folds' (4 images each).
  double mean = 0;
  for (auto& x : m["per_fold"]["accuracy"]) mean += x.get<double>() / 3;
  EXPECT_NEAR(a, mean, 1e-12);
  EXPECT_TRUE(std::filesystem::exists(dir / "cv" / "reliability.png"));
  auto csv = read_text(dir / "cv" / "cross_validation.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 4) << csv;
  // predictions.csv: every image once, with its fold; its correct column gives the pooled accuracy.
  auto rows = csv_rows(read_text(dir / "cv" / "predictions.csv"));
  ASSERT_EQ(rows.size(), 13u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"fold", "id", "label", "predicted", "correct", "p_FRI", "p_FRII",
                                               "predictive_entropy", "mutual_information", "agreement"}));
  double right = 0;
  std::vector<int> per_fold(3, 0);
  for (std::size_t i = 1; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i].size(), 10u);
    right += std::stod(rows[i][4]);
    per_fold.at(std::stoi(rows[i][0]))++;
    EXPECT_EQ(rows[i][4] == "1", rows[i][2] == rows[i][3]);
    EXPECT_NEAR(std::stod(rows[i][5]) + std::stod(rows[i][6]), 1.0, 1e-5);
  }
  EXPECT_NEAR(right / 12, a, 1e-12);
  EXPECT_EQ(per_fold, (std::vector<int>{4, 4, 4}));

  // eval of a fold's model validates on that fold: same images, same accuracy.
  auto f1 = nlohmann::json::parse(read_text(dir / "cv" / "fold-1" / "metrics.json"));
  ASSERT_EQ(test::run_command(bin + " --threads 1 --out " + (dir / "e1").string() + " classify eval --model " +
                                  (dir / "cv" / "fold-1").string(),
                              &out),
            0)
      << out;
  auto e1 = nlohmann::json::parse(read_text(dir / "e1" / "metrics.json"));
  EXPECT_EQ(e1["n"].get<int>(), 4);
  EXPECT_NEAR(e1["accuracy"].get<double>(), f1["accuracy"].get<double>(), 1e-12);
  // ... and its predictions.csv holds fold 1's rows of the pooled table (no fold column value).
  auto e1_rows = csv_rows(read_text(dir / "e1" / "predictions.csv"));
  ASSERT_EQ(e1_rows.size(), 5u);
  for (std::size_t i = 1; i < e1_rows.size(); ++i) {
    EXPECT_EQ(e1_rows[i][0], "");
    auto same = std::find_if(rows.begin(), rows.end(), [&](auto& r) { return r[0] == "1" && r[1] == e1_rows[i][1]; });
    ASSERT_NE(same, rows.end()) << e1_rows[i][1];
    EXPECT_EQ(std::vector<std::string>(same->begin() + 2, same->end()),
              std::vector<std::string>(e1_rows[i].begin() + 2, e1_rows[i].end()));
  }

  // --resume reuses the folds' predictions: same pooled numbers, no training.
  ASSERT_EQ(test::run_command(bin + " --threads 1 --seed 5 --out " + (dir / "cv").string() + args + " --resume", &out),
            0)
      << out;
  EXPECT_NE(out.find("fold 3/3: reusing"), std::string::npos) << out;
  EXPECT_EQ(out.find("training on"), std::string::npos) << out;
  auto m2 = nlohmann::json::parse(read_text(dir / "cv" / "metrics.json"));
  EXPECT_EQ(m2["accuracy"], m["accuracy"]);
  EXPECT_EQ(m2["ece"], m["ece"]);
  // ... with other prediction options it predicts again from the saved models
  // (no training): the same numbers as evaluating each fold's model that way,
  ASSERT_EQ(test::run_command(bin + " --threads 1 --seed 5 --out " + (dir / "cv").string() + args + " --resume --tta d4",
                              &out),
            0)
      << out;
  EXPECT_NE(out.find("fold 1/3: re-evaluating the saved model with --tta d4"), std::string::npos) << out;
  EXPECT_EQ(out.find("training on"), std::string::npos) << out;
  ASSERT_EQ(test::run_command(bin + " --threads 1 --out " + (dir / "e1d4").string() + " classify eval --tta d4 --model " +
                                  (dir / "cv" / "fold-1").string(),
                              &out),
            0)
      << out;
  auto e1d4 = nlohmann::json::parse(read_text(dir / "e1d4" / "metrics.json"));
  auto f1d4 = nlohmann::json::parse(read_text(dir / "cv" / "fold-1" / "metrics.json"));
  EXPECT_EQ(f1d4["tta"].get<std::string>(), "d4");
  EXPECT_NEAR(f1d4["nll"].get<double>(), e1d4["nll"].get<double>(), 1e-12);
  EXPECT_NE(f1d4["nll"], f1["nll"]);
  // ... but not with other training options,
  EXPECT_EQ(test::run_command(bin + " --threads 1 --seed 5 --out " + (dir / "cv").string() + args + " --resume --lr 0.01",
                              &out),
            64);
  EXPECT_NE(out.find("fold 0 in"), std::string::npos) << out;
  EXPECT_NE(out.find("was trained with other options"), std::string::npos) << out;
  // ... nor under another seed, whose folds hold other images.
  EXPECT_EQ(test::run_command(bin + " --threads 1 --seed 6 --out " + (dir / "cv").string() + args + " --resume", &out),
            65);
  EXPECT_NE(out.find("images are not fold 0's"), std::string::npos) << out;
}

// --fold k trains one fold alone (its run folder is its model folder), so the
// folds can run as separate processes; --resume then pools them into the same
// numbers as one process training every fold.
TEST(ClassifyCli, FoldsTrainedSeparatelyPoolLikeOneRun) {
  auto dir = test::scratch_dir("classify_cli_cv_folds");
  std::string bin = test::penumbra_bin();
  const std::string args =
      " classify cross-validate --folds 2 --backbone attention --deterministic --data synthetic --n-synthetic 8"
      " --synthetic-size 24 --epochs 1 --batch 4";
  const std::string cv = bin + " --threads 1 --seed 5 --out " + (dir / "cv").string() + args;
  std::string out;
  ASSERT_EQ(test::run_command(bin + " --threads 1 --seed 5 --out " + (dir / "all").string() + args, &out), 0) << out;
  ASSERT_EQ(test::run_command(cv + " --fold 1", &out), 0) << out;
  EXPECT_TRUE(std::filesystem::exists(dir / "cv" / "fold-1" / "run.json"));
  EXPECT_FALSE(std::filesystem::exists(dir / "cv" / "fold-0"));  // only the fold asked for
  EXPECT_FALSE(std::filesystem::exists(dir / "cv" / "metrics.json"));
  ASSERT_EQ(test::run_command(cv + " --fold 0", &out), 0) << out;
  ASSERT_EQ(test::run_command(cv + " --resume", &out), 0) << out;
  EXPECT_EQ(out.find("training on"), std::string::npos) << out;
  auto a = nlohmann::json::parse(read_text(dir / "all" / "metrics.json"));
  auto b = nlohmann::json::parse(read_text(dir / "cv" / "metrics.json"));
  EXPECT_EQ(b["n"].get<int>(), 8);
  EXPECT_EQ(a["nll"], b["nll"]);
  EXPECT_EQ(a["ece"], b["ece"]);
  // A fold that does not exist, and a fold without --out to pool into: one line each.
  EXPECT_EQ(test::run_command(cv + " --fold 2", &out), 64);
  EXPECT_NE(out.find("--fold 2 is not one of the 2 folds"), std::string::npos) << out;
  EXPECT_EQ(test::run_command(bin + " --threads 1" + args + " --fold 0", &out), 64);
  EXPECT_NE(out.find("needs --out"), std::string::npos) << out;
}

// A deep ensemble: M member folders + ensemble.json; member 0 is the plain model
// of the same seed; eval validates on the same split; predict's probabilities are
// the mean of the members' (the equal-weight mixture); prune wants one member.
TEST(ClassifyCli, EnsembleMixesItsMembers) {
  auto dir = test::scratch_dir("classify_cli_ensemble");
  std::string bin = test::penumbra_bin();
  const std::string train = " classify train --backbone attention --deterministic" + kTiny;
  std::string out;
  ASSERT_EQ(test::run_command(bin + " --threads 1 --seed 4 --out " + (dir / "ens").string() + train + " --ensemble 2",
                              &out),
            0)
      << out;
  ASSERT_EQ(test::run_command(bin + " --threads 1 --seed 4 --out " + (dir / "plain").string() + train, &out), 0) << out;
  EXPECT_TRUE(std::filesystem::exists(dir / "ens" / "ensemble.json"));
  auto m = nlohmann::json::parse(read_text(dir / "ens" / "metrics.json"));
  EXPECT_EQ(m["ensemble"].get<int>(), 2);
  auto m0 = nlohmann::json::parse(read_text(dir / "ens" / "member-0" / "metrics.json"));
  auto m1 = nlohmann::json::parse(read_text(dir / "ens" / "member-1" / "metrics.json"));
  auto plain = nlohmann::json::parse(read_text(dir / "plain" / "metrics.json"));
  EXPECT_EQ(m0["nll"], plain["nll"]);  // member 0 trains from the run's seed
  EXPECT_NE(m1["nll"], m0["nll"]);     // member 1 from its own

  // eval of the ensemble folder: the same validation images and numbers as train's.
  ASSERT_EQ(test::run_command(bin + " --threads 1 --out " + (dir / "eval").string() + " classify eval --model " +
                                  (dir / "ens").string(),
                              &out),
            0)
      << out;
  auto e = nlohmann::json::parse(read_text(dir / "eval" / "metrics.json"));
  EXPECT_EQ(e["n"], m["n"]);
  EXPECT_NEAR(e["nll"].get<double>(), m["nll"].get<double>(), 1e-9);

  // predict: the ensemble's probability is the mean of its members'.
  {
    std::vector<unsigned char> px(24 * 24, 0);
    for (int y = 6; y < 18; ++y) px[y * 24 + 12] = 200;
    png_image img{};
    img.version = PNG_IMAGE_VERSION;
    img.width = img.height = 24;
    img.format = PNG_FORMAT_GRAY;
    ASSERT_TRUE(png_image_write_to_file(&img, (dir / "src.png").c_str(), 0, px.data(), 0, nullptr));
  }
  auto p_fri = [&](const std::filesystem::path& model, const std::string& name) {
    EXPECT_EQ(test::run_command(bin + " --threads 1 --out " + (dir / name).string() + " classify predict --model " +
                                    model.string() + " " + (dir / "src.png").string(),
                                &out),
              0)
        << out;
    return nlohmann::json::parse(read_text(dir / name / "predictions.json"))[0]["probabilities"]["FRI"]["mean"]
        .get<double>();
  };
  double pe = p_fri(dir / "ens", "pe"), p0 = p_fri(dir / "ens" / "member-0", "p0"),
         p1 = p_fri(dir / "ens" / "member-1", "p1");
  EXPECT_NEAR(pe, 0.5 * (p0 + p1), 1e-6);

  EXPECT_EQ(test::run_command(bin + " --out " + (dir / "prune").string() + " classify prune --model " +
                                  (dir / "ens").string(),
                              &out),
            64);
  EXPECT_NE(out.find("is an ensemble of 2; prune one member's folder"), std::string::npos) << out;
}

// --extra-train adds a further subset to the training side only: the folds'
// validation images are the same with and without it, the training set grows by
// the whole extra subset, and a fold trained with it is not resumed without it.
TEST(ClassifyCli, ExtraTrainingImagesJoinOnlyTheTrainingSide) {
  auto mirabest = test::shared_data("mirabest");
  if (mirabest.empty()) GTEST_SKIP() << "../shared/data/mirabest not present";
  auto dir = test::scratch_dir("classify_cli_extra_train");
  std::string bin = test::penumbra_bin();
  const std::string args = " classify cross-validate --folds 5 --fold 0 --data mirabest:" + mirabest.string() +
                           " --crop 64 --bin 4 --backbone attention --deterministic --epochs 1 --batch 256";
  std::string out;
  auto cv = [&](const std::string& name, const std::string& extra) {
    return bin + " --threads 1 --seed 3 --out " + (dir / name).string() + args + extra;
  };
  ASSERT_EQ(test::run_command(cv("plain", ""), &out), 0) << out;
  ASSERT_EQ(test::run_command(cv("extra", " --extra-train uncertain"), &out), 0) << out;
  auto fold = [&](const std::string& name, const std::string& file) {
    return nlohmann::json::parse(read_text(dir / name / "fold-0" / file));
  };
  auto plain = fold("plain", "config.json")["extra"], extra = fold("extra", "config.json")["extra"];
  EXPECT_EQ(plain["n_val"], extra["n_val"]);
  EXPECT_EQ(plain["n_val"].get<int>() + plain["n_train"].get<int>(), 729);  // MiraBest Confident
  // + MiraBest Uncertain (codes 110, 112, 210): 340 of the training batches' 1099 images.
  EXPECT_EQ(extra["n_train"].get<int>() - plain["n_train"].get<int>(), 340);
  EXPECT_EQ(extra["extra_train"], "uncertain");
  auto pv = fold("plain", "val_probabilities.json"), ev = fold("extra", "val_probabilities.json");
  EXPECT_EQ(pv["images_hash"], ev["images_hash"]);
  EXPECT_EQ(pv["labels"], ev["labels"]);
  EXPECT_EQ(test::run_command(cv("extra", " --resume"), &out), 64);
  EXPECT_NE(out.find("was trained with other options"), std::string::npos) << out;
}

// A --resume with a larger --ensemble trains only the new members: the finished
// ones are reused from their folders, and the result equals a fresh run.
TEST(ClassifyCli, ResumeGrowsAnEnsemble) {
  auto dir = test::scratch_dir("classify_cli_grow");
  std::string bin = test::penumbra_bin();
  const std::string args =
      " classify cross-validate --folds 2 --backbone attention --deterministic --data synthetic --n-synthetic 8"
      " --synthetic-size 24 --epochs 1 --batch 4";
  auto cv = [&](const std::string& name) { return bin + " --threads 1 --seed 5 --out " + (dir / name).string() + args; };
  std::string out;
  ASSERT_EQ(test::run_command(cv("fresh") + " --ensemble 3", &out), 0) << out;
  ASSERT_EQ(test::run_command(cv("grown") + " --ensemble 2", &out), 0) << out;
  ASSERT_EQ(test::run_command(cv("grown") + " --ensemble 3 --resume", &out), 0) << out;
  // Members 1 and 2 (of both folds) are reused, member 3 is trained.
  EXPECT_NE(out.find("ensemble member 1/3: reusing"), std::string::npos) << out;
  EXPECT_NE(out.find("ensemble member 2/3: reusing"), std::string::npos) << out;
  EXPECT_EQ(out.find("ensemble member 3/3: reusing"), std::string::npos) << out;
  EXPECT_NE(out.find("ensemble member 3/3"), std::string::npos) << out;
  auto a = nlohmann::json::parse(read_text(dir / "fresh" / "metrics.json"));
  auto b = nlohmann::json::parse(read_text(dir / "grown" / "metrics.json"));
  EXPECT_EQ(a["nll"], b["nll"]);
  EXPECT_EQ(a["ece"], b["ece"]);
  // scripts/ensemble_members.py reads the members' probabilities back: its full ensemble is the pooled result.
  if (test::run_command("/usr/bin/python3 -c 'import numpy'", &out) == 0) {
    const std::string script = std::string("/usr/bin/python3 ") + PENUMBRA_SOURCE_DIR + "/scripts/ensemble_members.py ";
    ASSERT_EQ(test::run_command(script + (dir / "grown").string(), &out), 0) << out;
    EXPECT_NE(out.find("2 folds, 8 images, 3 members"), std::string::npos) << out;
    EXPECT_NE(out.find(fmt::format("first  3 members: accuracy {:.4f}", b["accuracy"].get<double>())), std::string::npos)
        << out;
    EXPECT_NE(test::run_command(script + dir.string(), &out), 0) << out;  // not a cross-validate folder
  }
  // Any other option change is still refused.
  EXPECT_EQ(test::run_command(cv("grown") + " --ensemble 4 --lr 0.5 --resume", &out), 64);
}

TEST(ClassifyCli, BadOptionsAreUsageErrors) {
  auto dir = test::scratch_dir("classify_cli_bad");
  std::string bin = test::penumbra_bin();
  std::string out;
  // Each bad option: exit 64, one line, and no run folder left behind.
  auto refused = [&](const std::string& name, const std::string& args, const std::string& msg) {
    EXPECT_EQ(test::run_command(bin + " --out " + (dir / name).string() + " classify " + args, &out), 64) << args;
    EXPECT_NE(out.find(msg), std::string::npos) << out;
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
    EXPECT_FALSE(std::filesystem::exists(dir / name)) << args;
  };
  refused("a", "train --prior cauchy" + kTiny, "weight prior 'cauchy' unknown");
  refused("b", "train --tempering cold" + kTiny, "tempering 'cold' unknown");
  refused("b2", "train --backbone no-such-backbone" + kTiny, "--backbone must be lenet, attention, equivariant, ge-attention or resnet, got 'no-such-backbone'");
  refused("b3", "train --backbone equivariant --group E4" + kTiny, "group 'E4' unknown");
  refused("b4", "train --temperature 0" + kTiny, "--temperature 0 must be > 0");
  refused("b6", "train --tta d8" + kTiny, "--tta d8: expected none or d4");
  refused("b7", "eval --tta d8 --model " + (dir / "nowhere").string(), "--tta d8: expected none or d4");
  refused("b9", "train --ensemble 0" + kTiny, "--ensemble 0 must be ≥ 1");
  refused("b8", "cross-validate --folds 1" + std::string(" --data synthetic --epochs 1"), "--folds 1 must be ≥ 2");
  refused("b10", "train --extra-train uncertain" + kTiny, "--extra-train needs --data mirabest:DIR");
  refused("b11", "cross-validate --data mirabest:" + (dir / "nowhere").string() + " --extra-train confident",
          "--extra-train confident overlaps --subset confident");
  refused("b5", "temperature-sweep --temperatures 1,-1" + kTiny, "must be > 0");
  EXPECT_EQ(test::run_command(bin + " --out " + (dir / "c").string() + " classify train --data mirabest:" +
                                  (dir / "nowhere").string() + " --epochs 1",
                              &out),
            66);
}
