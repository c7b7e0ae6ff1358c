#pragma once
// Classifiers trained on tags (issue 25, the multi-modal link): the plain-English
// tags of `penumbra tags derive` (or any per-image tag table) as multi-label
// targets of an image classifier, one sigmoid output and a binary cross entropy
// per tag, so that an image encoder learns the words experts use.
//
// Tag table (CSV): the first column holds the image or subject id (any name:
// `subject_ids` in tags derive's subject_tags.csv, `id` in targets.csv), every
// further column is one tag; a cell is a count (tags derive writes how often a
// subject's annotations use the tag) or 0/1, and an image has the tag when the
// value is > 0. Rows whose ids no image carries are ignored. The synthetic FR
// generator's own table (targets `synthetic`) comes from the components it drew:
// core, jets, lobes, bent (src/datasets/radio_galaxy_generator.hpp).
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "src/datasets/labelled_images.hpp"
#include "src/nn/classifier.hpp"
#include "src/nn/training.hpp"
#include "src/pipelines/classifier_data.hpp"
#include "src/pipelines/classifier_study.hpp"

namespace penumbra {

struct TagTable {
  std::string source;                                // file name or "synthetic", for messages
  std::vector<std::string> tags;
  std::map<std::string, std::vector<float>> rows;   // id → 0/1 per tag
};

// Reads a tag table. DataError (one line, naming the file) when it has no tag
// column, a cell is not a number, or an id repeats; MissingInputError when it
// cannot be read.
TagTable read_tag_table(const std::filesystem::path& path);
// The component tags of every synthetic image `d` makes with `seed` (ids synthetic-<i>).
TagTable synthetic_tag_table(const ClassifierDataOptions& d, std::uint64_t seed);
// `targets` is "synthetic" or a CSV path.
TagTable tag_table(const std::string& targets, const ClassifierDataOptions& d, std::uint64_t seed);
// Writes `t` in the format read_tag_table reads (column `id`).
void write_tag_table(const std::filesystem::path& path, const TagTable& t);

// The rows of `images` (by id) as multi-label targets. DataError (one line) when
// images have no row (naming how many and the first), or, with
// `require_each_tag`, when a tag is empty on these images (no image has it:
// nothing to learn), naming the tag and `side`.
MultiLabelTargets tag_targets_for(const TagTable& table, const LabelledImages& images, const std::string& side,
                                  bool require_each_tag = true);

// Mean sigmoid probabilities [N][T] over `samples` weight draws (one pass with
// the means for a deterministic model), batches without gradients.
std::vector<double> predict_tag_probabilities(Classifier& model, const LabelledImages& images, int samples);

struct TagMetrics {
  std::string tag;
  int positives = 0, n = 0;
  double auc = 0, f1 = 0, precision = 0, recall = 0;  // F1 at p ≥ 0.5; AUC NaN when one class is absent
};
// Per-tag held-out metrics of probabilities [N][T] against targets.
std::vector<TagMetrics> tag_metrics(const std::vector<double>& probs, const MultiLabelTargets& truth,
                                    const std::vector<std::string>& tags);

struct TagTrainingResult {
  std::vector<TagMetrics> val;  // empty without validation images
  double mean_auc = 0, mean_f1 = 0;
  double seconds_per_epoch = 0;
};
// Trains a multi-label model folder in `dir` (config.json with extra.multi_label,
// weights.pt, train_log.csv, targets.csv: the table restricted to the images
// used) and, with validation images, tag_metrics.csv and metrics.json.
// UsageError for an ensemble or test-time augmentation (single models only).
TagTrainingResult train_tag_classifier_folder(const ClassifierTrainOptions& t, const ClassifierDataOptions& d,
                                              const TagTable& table, const LabelledImages& train,
                                              const LabelledImages& val, std::uint64_t seed,
                                              const std::filesystem::path& dir);

// UsageError for what tag training does not support: an ensemble, test-time augmentation.
void check_tag_training_options(const ClassifierTrainOptions& t);
// Whether a model folder's config is a multi-label (tag) model.
bool is_tag_model(const ClassifierConfig& cfg);

}  // namespace penumbra
