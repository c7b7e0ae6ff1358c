#pragma once
// Stratified K-fold cross-validation of a classifier: a model folder per fold
// (fold-<k>/, trained on the other folds), every image validated once by the
// model that did not see it, and the metrics pooled over all N images (s.e.
// of an accuracy of 0.93 on 729 images: 0.9 %) instead of one 20 % split's.
//
// Folds can be trained by separate processes (one fold each) and pooled later
// by a resumed run: each fold keeps its out-of-fold predictions with the hash
// of its images and the options that made them (val_probabilities.json). A
// resumed run reuses a fold with the same fingerprint, re-evaluates one that
// differs only in prediction options, grows one that differs only in ensemble
// size, and refuses any other difference.
//
// Files in the study folder: fold-<k>/ (model folder, metrics.json,
// reliability.png, val_probabilities.json), cross_validation.csv and
// predictions.csv (after each fold), metrics.json + reliability.png pooled.
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <vector>

#include "src/diagnostics/calibration.hpp"
#include "src/pipelines/classifier_data.hpp"
#include "src/pipelines/classifier_study.hpp"

namespace penumbra {

// One fold's out-of-fold predictions, [K][N][C] with its labels: what a
// cross-validation pools, and what a resumed run reads back instead of retraining.
struct FoldPredictions {
  int K = 0, C = 0;
  std::uint64_t images_hash = 0;  // of the fold's pixels: a resumed run checks it holds the same images
  nlohmann::json settings;        // what made the predictions (train_settings): checked too
  std::vector<int> labels;
  std::vector<double> probs;
};
void write_fold_predictions(const std::filesystem::path& path, const FoldPredictions& f);
// DataError when the file is not a fold prediction file or its sizes disagree.
FoldPredictions read_fold_predictions(const std::filesystem::path& path);
// Concatenates the folds' [K][N_f][C] along the images: [K][ΣN_f][C].
// DataError when the folds differ in K or C.
FoldPredictions pool_folds(const std::vector<FoldPredictions>& folds);

struct CrossValidationOptions {
  int folds = 5;
  int fold = -1;        // train only this fold, without pooling (−1: every fold, then pool)
  bool resume = false;  // reuse the finished folds in the study folder
};
// UsageError naming the quantity (folds ≥ 2; the fold one of them or −1).
void validate(const CrossValidationOptions& cv);

struct FoldResult {
  int fold = 0;
  std::size_t n_train = 0, n_val = 0;
  CalibrationReport report;
  double seconds_per_epoch = std::nan("");  // NaN for a fold reused from an earlier run
};

struct CrossValidationResult {
  std::vector<FoldResult> folds;
  bool pooled = false;  // false when one fold was trained alone
  CalibrationReport report;  // pooled over every fold's images
  std::int64_t images = 0;
  double accuracy_standard_error = 0;
};

// Runs the folds into `root` (the study folder); `on_fold` sees each fold's
// result as it finishes.
CrossValidationResult cross_validate(const ClassifierTrainOptions& t, const ClassifierDataOptions& d,
                                     const CrossValidationOptions& cv, std::uint64_t seed,
                                     const std::filesystem::path& root,
                                     const std::function<void(const FoldResult&)>& on_fold);

}  // namespace penumbra
