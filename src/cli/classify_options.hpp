#pragma once
// The options of `penumbra classify` and their subcommands, the checks that
// name the flags (run before any run folder exists), and the data options an
// evaluation takes over from the model it evaluates.
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "src/nn/classifier.hpp"
#include "src/pipelines/classifier_data.hpp"
#include "src/pipelines/classifier_study.hpp"
#include "src/pipelines/cross_validation.hpp"

namespace penumbra::cli {

struct ClassifyOptions {
  ClassifierDataOptions data;
  ClassifierTrainOptions train;
  std::string model;
  std::string expect_backbone;
  int expect_width = 0, expect_depth = 0, expect_stages = 0;  // 0: any
  std::vector<std::string> images;
  int samples = 20;
  std::string temperatures = "1,1e-1,1e-2,1e-3,1e-4";
  std::string fractions = "0,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9";
  std::string rankings = "snr,fisher";
  CrossValidationOptions cv;
};

struct ClassifySubcommands {
  CLI::App *train = nullptr, *eval = nullptr, *predict = nullptr, *sweep = nullptr, *cv = nullptr,
           *prune = nullptr;
};
// Adds train, eval, predict, temperature-sweep, cross-validate and prune to
// `cmd`, their options bound to `o`.
ClassifySubcommands add_classify_subcommands(CLI::App* cmd, ClassifyOptions& o);

// --width, --depth and --stages of the resnet backbone (the flags and ranges of
// `pretrain` and `finetune`).
void add_resnet_options(CLI::App* c, ClassifierTrainOptions& t);

// DataError naming `dir` when a model folder's resnet width, depth or stages
// differ from what --width/--depth/--stages of eval, predict or prune expect.
void check_expected_model(const ClassifierConfig& cfg, const ClassifyOptions& o, const std::string& dir);

// Every training option that can be checked without data, with messages that
// name the flags; a bad one stops before the run folder exists.
void validate_train_options(const ClassifierTrainOptions& t);
// The data options that can be checked before reading anything.
void validate_data_options(const ClassifierDataOptions& d);

// Evaluation data default to the model's own data settings unless given on
// the command line of `app`; a cross-validation fold's model validates on its
// own fold (unless --val-fraction asks otherwise).
ClassifierDataOptions data_from_model(const ClassifierConfig& cfg, ClassifierDataOptions d, const CLI::App* app);

}  // namespace penumbra::cli
