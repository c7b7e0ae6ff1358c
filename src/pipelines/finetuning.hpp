#pragma once
// Transfer of an encoder to a downstream binary task (`penumbra finetune`):
// a head (linear or a one-hidden-layer MLP) on a pretrained encoder — frozen
// (a probe on features computed once) or trained with it (with random
// rotations, flips and small zooms) — or the same network from scratch, at
// several label counts, each by stratified K-fold cross-validation: fold k is
// held out, and n labels are drawn (stratified, seeded) from the other folds.
// Every image is predicted once per label count by the model that did not see
// it; accuracy, ROC AUC and ECE are computed on those pooled out-of-fold
// predictions (per-fold accuracies give their spread).
//
// A label count above the training pool ((K−1)/K of the images) uses the whole
// pool; the rows say how many labels were used.
//
// Files in `out`: finetune.csv (one row per label count × fold), curve.csv
// (pooled, one row per label count), finetune.json, label_efficiency.png.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "src/nn/encoder.hpp"

namespace penumbra {

// Labelled images [N][C][S][S] for a downstream task.
struct DownstreamData {
  std::vector<float> images;
  std::int64_t count = 0;
  int channels = 0, size = 0;
  std::vector<int> labels;  // 0/1
  std::string source;
};

// "catalogue:CSV" (the label in `label_column`, images decoded to `channels`)
// or "mirabest:DIR" (MiraBest Confident FRI = 0 / FRII = 1, grey, repeated
// into 3 channels for an RGB encoder), centre-cropped by `crop` and resized to
// `size`. UsageError for an unknown source; the readers' errors otherwise.
DownstreamData read_downstream(const std::string& spec, const std::string& label_column, int size, int channels,
                               double crop);

struct FinetuneOptions {
  std::string encoder = "scratch";  // a `pretrain` checkpoint folder, or scratch
  EncoderConfig scratch;            // the architecture trained from scratch
  int input_size = 0;               // a checkpoint: run it on inputs of this side (0: its pretraining side)
  std::string head = "linear";      // linear | mlp
  int head_hidden = 128;            // mlp head's hidden width
  bool freeze = true;               // train the head only
  std::vector<int> labels = {25, 50, 100, 200, 400};
  int folds = 5;
  int steps = 200;                  // optimisation steps per model
  int batch = 32;
  double lr = 1e-3;                 // head; the encoder (not frozen) gets lr/10
  double weight_decay = 1e-4;
  // UsageError naming the quantity.
  void validate() const;
};

struct FinetuneRow {
  int labels = 0, labels_used = 0, fold = 0;
  std::int64_t n_test = 0;
  double accuracy = 0;
};
struct FinetunePoint {
  int labels = 0, labels_used = 0;
  double accuracy = 0, accuracy_sd = 0, auc = 0, ece = 0, nll = 0;
};
struct FinetuneResult {
  std::vector<FinetuneRow> rows;
  std::vector<FinetunePoint> curve;
  std::string encoder_description;  // "scratch resnet w8 d1 (…)" or the checkpoint's method
  std::int64_t encoder_parameters = 0;
  double seconds = 0;
};

// Runs every label count × fold and writes the files into `out`. `on_point`
// sees each label count's pooled point as it finishes. DataError when the
// encoder's channels or size do not fit the data, or a class has fewer images
// than folds.
FinetuneResult run_finetuning(const FinetuneOptions& o, const DownstreamData& data, std::uint64_t seed,
                              const std::filesystem::path& out,
                              const std::function<void(const FinetunePoint&)>& on_point = nullptr);

// Fold of each image in a stratified `folds`-fold partition: image k of each
// class's seeded shuffle goes to fold k mod folds.
std::vector<int> stratified_fold_index(const std::vector<int>& labels, int folds, std::uint64_t seed);
// `n` indices drawn from `pool` with each class in proportion (largest
// remainder), seeded; all of `pool` when n ≥ its size.
std::vector<std::size_t> stratified_draw(const std::vector<std::size_t>& pool, const std::vector<int>& labels, int n,
                                         std::uint64_t seed);

}  // namespace penumbra
