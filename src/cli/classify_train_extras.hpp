#pragma once
// The option groups of `classify train` beyond supervised single-label
// training: tag targets (multi-label, issue 25) and semi-supervised training
// (FixMatch, issue 24), with the runs they select.
#include <CLI/CLI.hpp>

#include <string>

#include "src/cli/classify_options.hpp"
#include "src/cli/context.hpp"
#include "src/pipelines/classifier_semi_supervised.hpp"

namespace penumbra::cli {

struct ClassifyTrainExtras {
  std::string targets;  // "" (class labels), "synthetic" or a tag CSV
  SemiSupervisedOptions ssl;
};

// Adds --targets and the semi-supervised options (--ssl, --labels,
// --unlabelled, --tau, --mu, --lambda-u, --ema) to `train`, bound to `o`.
void add_train_extras(CLI::App* train, ClassifyTrainExtras& o);

// Whether `o` asks for a training run other than the supervised one.
bool has_train_extras(const ClassifyTrainExtras& o);
// That run: a multi-label (tag) model folder with its per-tag validation
// metrics, or a model trained on --labels N images (supervised or FixMatch).
void run_train_extras(const ClassifyOptions& s, const ClassifyTrainExtras& o, Context& ctx);

// `classify predict` on a tag model: per-tag probabilities of every image
// (printed, and tag_predictions.csv in the run folder). False when the model
// folder is not a tag model (the caller predicts classes).
bool predict_tags_if_tag_model(const ClassifyOptions& s, Context& ctx);

}  // namespace penumbra::cli
