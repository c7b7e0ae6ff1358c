// Classifier studies (src/pipelines/classifier_study, cross_validation,
// classifier_data) without the CLI: pooling of folds, the fingerprints a
// resumed run compares, the fold prediction files, data checks that name the
// quantity, and an ensemble member reused from its folder.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <vector>

#include "src/core/errors.hpp"
#include "src/pipelines/classifier_data.hpp"
#include "src/pipelines/classifier_study.hpp"
#include "src/pipelines/cross_validation.hpp"
#include "tests/support/paths.hpp"

using namespace penumbra;

namespace {

// A fold of n images, K samples, C = 2 classes, probabilities tagged by fold,
// sample and image so that their place after pooling can be checked.
FoldPredictions tagged_fold(int fold, int n, int K) {
  FoldPredictions f;
  f.K = K;
  f.C = 2;
  for (int i = 0; i < n; ++i) f.labels.push_back((fold + i) % 2);
  for (int k = 0; k < K; ++k)
    for (int i = 0; i < n; ++i) {
      const double p = 0.01 * fold + 0.1 * k + 0.001 * i;
      f.probs.push_back(p);
      f.probs.push_back(1 - p);
    }
  return f;
}

ClassifierDataOptions tiny_data() {
  ClassifierDataOptions d;
  d.n_synthetic = 12;
  d.synthetic_size = 24;
  d.val_fraction = 0.34;
  return d;
}

ClassifierTrainOptions tiny_training() {
  ClassifierTrainOptions t;
  t.backbone = "attention";
  t.deterministic = true;
  t.epochs = 1;
  t.batch = 4;
  t.eval_samples = 2;
  return t;
}

std::string usage_message(const ClassifierDataOptions& d) {
  try {
    validate(d);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(ClassifierStudy, PooledFoldsAreTheUnionOfTheFoldsPerSample) {
  const int K = 3;
  std::vector<FoldPredictions> folds = {tagged_fold(0, 2, K), tagged_fold(1, 3, K), tagged_fold(2, 1, K)};
  const auto pooled = pool_folds(folds);
  ASSERT_EQ(pooled.K, K);
  ASSERT_EQ(pooled.labels.size(), 6u);
  const std::size_t N = pooled.labels.size();
  for (int k = 0; k < K; ++k) {
    std::size_t n = 0;
    for (const auto& f : folds)
      for (std::size_t i = 0; i < f.labels.size(); ++i, ++n) {
        EXPECT_EQ(pooled.labels[n], f.labels[i]);
        for (int c = 0; c < 2; ++c)
          EXPECT_EQ(pooled.probs[(k * N + n) * 2 + c], f.probs[(k * f.labels.size() + i) * 2 + c]);
      }
  }
  folds[1].K = 2;
  EXPECT_THROW(pool_folds(folds), DataError);
}

TEST(ClassifierStudy, FoldPredictionFilesRoundTripAndRefuseATruncatedOne) {
  auto dir = test::scratch_dir("classifier_study_fold_file");
  auto f = tagged_fold(1, 4, 2);
  f.images_hash = 12345;
  f.settings = {{"lr", 0.001}};
  write_fold_predictions(dir / "p.json", f);
  const auto g = read_fold_predictions(dir / "p.json");
  EXPECT_EQ(g.K, f.K);
  EXPECT_EQ(g.images_hash, f.images_hash);
  EXPECT_EQ(g.settings, f.settings);
  EXPECT_EQ(g.labels, f.labels);
  EXPECT_EQ(g.probs, f.probs);
  std::ofstream(dir / "bad.json") << "{\"samples\": 2, \"classes\": 2";
  EXPECT_THROW(read_fold_predictions(dir / "bad.json"), DataError);
}

TEST(ClassifierStudy, MemberFingerprintChangesWithWhatChangesTheModelOnly) {
  const auto d = tiny_data();
  LabelledImages tr, va;
  load_split(d, 1, tr, va);
  const auto t = tiny_training();
  const auto base = member_fingerprint(t, d, tr, 9);
  auto other = t;
  other.lr = 2e-3;
  EXPECT_NE(member_fingerprint(other, d, tr, 9), base);
  other = t;
  other.prior = "laplace";
  EXPECT_NE(member_fingerprint(other, d, tr, 9), base);
  EXPECT_NE(member_fingerprint(t, d, tr, 10), base);  // another member seed
  EXPECT_NE(member_fingerprint(t, d, va, 9), base);   // other images
  // Prediction options and the ensemble size leave a member as it is.
  other = t;
  other.tta = "d4";
  other.eval_samples = 7;
  other.ensemble = 3;
  EXPECT_EQ(member_fingerprint(other, d, tr, 9), base);
  // ...and tell a resumed cross-validation what to do with a finished fold.
  auto a = train_settings(t, d), b = train_settings(other, d);
  EXPECT_NE(a, b);
  EXPECT_FALSE(other_ensemble_size_only(a, b));  // a has one member: no member folders to grow
  a["ensemble"] = 2;
  EXPECT_TRUE(other_ensemble_size_only(a, b));
  b["tta"] = a["tta"];
  b["eval_samples"] = a["eval_samples"];
  b["ensemble"] = 2;
  EXPECT_EQ(model_settings(a), model_settings(b));
}

TEST(ClassifierStudy, FoldsPartitionTheImages) {
  auto d = tiny_data();
  d.folds = 3;
  std::set<std::uint64_t> seen;
  std::size_t total = 0;
  for (d.fold = 0; d.fold < d.folds; ++d.fold) {
    LabelledImages tr, va;
    load_split(d, 5, tr, va);
    EXPECT_EQ(tr.size() + va.size(), 12u);
    for (std::size_t i = 0; i < va.size(); ++i) seen.insert(images_hash(va.subset({i})));
    total += va.size();
  }
  EXPECT_EQ(total, 12u);
  EXPECT_EQ(seen.size(), 12u);
}

TEST(ClassifierStudy, DataChecksNameTheQuantity) {
  auto d = tiny_data();
  d.val_fraction = 1;
  EXPECT_NE(usage_message(d).find("validation fraction must be in [0, 1)"), std::string::npos) << usage_message(d);
  d = tiny_data();
  d.split = "test";
  EXPECT_NE(usage_message(d).find("split must be"), std::string::npos) << usage_message(d);
  d = tiny_data();
  d.data = "cifar";
  EXPECT_NE(usage_message(d).find("data source 'cifar' unknown"), std::string::npos) << usage_message(d);
  d = tiny_data();
  d.extra_train = "uncertain";
  EXPECT_NE(usage_message(d).find("needs MiraBest data"), std::string::npos) << usage_message(d);
  EXPECT_EQ(usage_message(tiny_data()), "");
}

TEST(ClassifierStudy, EnsembleMemberWithItsFingerprintIsReusedNotRetrained) {
  auto dir = test::scratch_dir("classifier_study_ensemble");
  const auto d = tiny_data();
  LabelledImages tr, va;
  load_split(d, 1, tr, va);
  auto t = tiny_training();
  t.ensemble = 2;
  const auto first = train_model_folder(t, d, tr, va, 1, dir);
  EXPECT_TRUE(std::filesystem::exists(dir / "member-1" / "member.json"));
  EXPECT_EQ(first.val_samples, 2);
  std::filesystem::remove(dir / "member-0" / "train_log.csv");
  const auto again = train_model_folder(t, d, tr, va, 1, dir, true);
  EXPECT_FALSE(std::filesystem::exists(dir / "member-0" / "train_log.csv"));  // not trained again
  EXPECT_EQ(again.val_probs, first.val_probs);
  t.lr = 2e-3;  // another fingerprint: trained again
  train_model_folder(t, d, tr, va, 1, dir, true);
  EXPECT_TRUE(std::filesystem::exists(dir / "member-0" / "train_log.csv"));
}

// train_log.csv has one row per epoch with its training accuracy (as seen)
// next to the validation accuracy, both fractions.
TEST(ClassifierStudy, TrainLogHasEachEpochsTrainingAccuracy) {
  auto t = tiny_training();
  t.epochs = 2;
  LabelledImages tr, va;
  load_split(tiny_data(), 1, tr, va);
  const auto dir = test::scratch_dir("classifier_study_train_log");
  train_model_folder(t, tiny_data(), tr, va, 1, dir);
  std::ifstream in(dir / "train_log.csv");
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "epoch,loss,nll,prior_nll,train_accuracy_as_seen,val_accuracy_mean_weights,seconds");
  int rows = 0;
  while (std::getline(in, line)) {
    std::vector<double> v;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ',');) v.push_back(std::stod(cell));
    ASSERT_EQ(v.size(), 7u) << line;
    EXPECT_EQ(v[0], ++rows);
    EXPECT_GE(v[4], 0.0) << line;
    EXPECT_LE(v[4], 1.0) << line;
    EXPECT_GE(v[5], 0.0) << line;
  }
  EXPECT_EQ(rows, 2);
}
