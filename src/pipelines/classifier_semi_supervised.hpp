#pragma once
// Training with few labels (issue 24): N labelled images drawn from the
// training split (N/C per class, seeded), the rest of the labels hidden, and
// either supervised training on the N alone or FixMatch (src/nn/fixmatch.hpp)
// with an unlabelled pool: the whole training split without its labels
// (`train`), further MiraBest subsets (uncertain, hybrid, ...) or images of the
// synthetic FR generator (`synthetic`, a shifted pool for MiraBest models),
// comma-separated. The validation images are never in the pool.
#include <cstdint>
#include <filesystem>
#include <string>

#include "src/diagnostics/calibration.hpp"
#include "src/nn/fixmatch.hpp"
#include "src/pipelines/classifier_data.hpp"
#include "src/pipelines/classifier_study.hpp"

namespace penumbra {

struct SemiSupervisedOptions {
  std::string method;                // "" (supervised on the labelled images) | "fixmatch"
  int labels = 0;                    // labelled images (0: the whole training split)
  std::string unlabelled = "train";  // train | synthetic | MiraBest subsets, comma-separated
  int n_synthetic = 800;             // images of a synthetic pool
  FixMatchSettings fixmatch;
};
// UsageError naming the quantity for what can be checked without data.
void validate(const SemiSupervisedOptions& o, const ClassifierDataOptions& d);

// N labelled images of `train` (labels/C of each class, the first of each
// class in `train`'s seeded order). UsageError when N exceeds the training
// images or a class's, or is not a multiple of the number of classes.
LabelledImages take_labelled(const LabelledImages& train, int labels);

// The unlabelled pool `o.unlabelled` names, cropped and binned like `d`.
// UsageError when a subset overlaps the validation fold (the training subset itself, or `all`).
LabelledImages unlabelled_pool(const SemiSupervisedOptions& o, const ClassifierDataOptions& d,
                               const LabelledImages& train, std::uint64_t seed);

struct SemiSupervisedResult {
  CalibrationReport val;
  std::size_t labelled = 0, unlabelled = 0;
  double mask_rate = 0;  // FixMatch: fraction of the last epoch's unlabelled images above τ
  double seconds_per_epoch = 0;
};
// Trains a model folder in `dir` (config.json records the method, labels and
// pool) and writes metrics.json + reliability.png on `val`. One process, one model.
SemiSupervisedResult train_semi_supervised_folder(const ClassifierTrainOptions& t, const ClassifierDataOptions& d,
                                                  const SemiSupervisedOptions& o, const LabelledImages& train,
                                                  const LabelledImages& val, std::uint64_t seed,
                                                  const std::filesystem::path& dir);

}  // namespace penumbra
