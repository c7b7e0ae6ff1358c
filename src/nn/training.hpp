#pragma once
// Training a classifier: variational inference (Bayes by Backprop) for a
// Bayesian model, MAP for a deterministic one. Both minimise the tempered loss
// of samplers/variational.hpp,
//   NLL_B/B + (prior term)/N,
// whose prior term is built here from the model's variational tensors: for a
// Bayesian model T·(CE − H) (partial tempering) or CE − T·H (full), with
// CE = E_q[−log p(w)] and H = H[q]; for a deterministic model −log p(μ), the
// weight prior's penalty at the point estimate (no entropy, so T scales it
// under partial tempering and leaves it alone under full tempering).
//
// The loop owns minibatch order and augmentation (both seeded), the learning-
// rate schedule and the progress bar; validation, logs and files are the
// caller's, through a callback after each epoch.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "samplers/variational.hpp"
#include "src/model/data_parallel.hpp"
#include "src/datasets/labelled_images.hpp"
#include "src/nn/classifier.hpp"

namespace penumbra {

class WeightPrior;

// Adds the weight-prior part of a minibatch's objective to `terms` (whose
// cross_entropy and entropy must be defined tensors): CE(q, p) and H[q] summed
// over every variational tensor of a Bayesian model (`mc_samples` Monte Carlo
// draws where CE has no closed form), or −log p(μ) as the cross entropy of a
// deterministic one.
void add_weight_prior_terms(Classifier& model, const WeightPrior& prior, int mc_samples, ElboTerms& terms);

// One minibatch's ElboTerms: the summed cross entropy of the model's logits on
// x [B, S, S] against the labels y [B] (the NLL), and the weight-prior terms;
// with `correct` set, the number of rows whose largest logit is their label is
// added to *correct.
ElboTerms classifier_elbo_terms(Classifier& model, const at::Tensor& x, const at::Tensor& y, const WeightPrior& prior,
                                int mc_samples = 1, std::int64_t* correct = nullptr);

// Multi-label targets (tags): one row of `tags` values in {0, 1} per training
// image, in the images' order.
struct MultiLabelTargets {
  int tags = 0;
  std::vector<float> values;  // [n][tags]
};

// One minibatch's ElboTerms of a multi-label model: binary cross entropy of
// each logit of x [B, S, S] against y [B, T] (sigmoid outputs, one per tag),
// summed over tags and images, and the weight-prior terms.
ElboTerms multilabel_elbo_terms(Classifier& model, const at::Tensor& x, const at::Tensor& y, const WeightPrior& prior,
                                int mc_samples = 1);

struct ClassifierTraining {
  std::string prior = "gaussian";  // weight-prior spec (priors/weight_priors.hpp)
  double temperature = 1.0;        // T > 0; T < 1 is a cold posterior
  ElboTempering tempering = ElboTempering::kPartial;
  int epochs = 10;
  int batch = 16;
  double learning_rate = 1e-3;  // Adam; decays linearly to 10 % over the run
  int mc_kl = 1;                // Monte Carlo draws for priors without a closed-form CE
  bool augment = true;          // random rotations and flips of every training image
};
// UsageError naming the quantity when a setting is out of range or the prior
// spec is unknown.
void validate(const ClassifierTraining& settings);

// The input normalisation of `config` (mean and standard deviation of the
// training pixels; the standard deviation at least 1e-8).
void set_input_normalisation(ClassifierConfig& config, const LabelledImages& train);

struct EpochSummary {
  int epoch = 0;         // 1-based
  double loss = 0;       // tempered loss per example, mean over the epoch's minibatches
  double nll = 0;        // NLL per example, mean over the epoch's minibatches
  double penalty = 0;    // the last minibatch's KL[q‖p] (Bayesian) or −log p(μ) (deterministic)
  double seconds = 0;    // training time of the epoch (without the callback)
  // Fraction of the epoch's training images whose largest logit was their
  // label in the step that used them: augmented views at that step's weights
  // (and weight draw, Bayesian), no separate pass. NaN where not counted
  // (multi-label targets, loops other than train_classifier's).
  double train_accuracy = std::numeric_limits<double>::quiet_NaN();
};
using EpochCallback = std::function<void(const EpochSummary&)>;

// Trains `model` on `train` for `settings.epochs` epochs from `seed` (torch
// generator, minibatch order and augmentation) and calls `after_epoch` (if
// set) after each epoch, with the model still holding the epoch's weights.
// Returns the mean training time per epoch in seconds. DataError on an empty
// training set; InternalError naming the step on a non-finite loss.
//
// With `dp` active, every process calls this with the same arguments: the
// model takes rank 0's weights, each process computes its shard of every
// minibatch and the gradients are summed (src/model/data_parallel.hpp), so the
// epochs' losses are those of one process within floating-point reduction
// differences; every process calls `after_epoch` (writing is the caller's
// choice), rank 0 alone shows progress.
double train_classifier(Classifier& model, const LabelledImages& train, const ClassifierTraining& settings,
                        std::uint64_t seed, const EpochCallback& after_epoch = {}, const DataParallel& dp = {});

// train_classifier with multi-label targets (one output per tag, binary cross
// entropy): the model's n_classes must equal targets.tags. DataError when the
// targets do not have one row per training image.
double train_multilabel_classifier(Classifier& model, const LabelledImages& train, const MultiLabelTargets& targets,
                                   const ClassifierTraining& settings, std::uint64_t seed,
                                   const EpochCallback& after_epoch = {}, const DataParallel& dp = {});

// The loop shared by every training objective: `steps_per_epoch` calls of
// `step_terms(global step)` per epoch, minimised by Bayes by Backprop / MAP
// over `n_train` examples with the learning-rate schedule of `settings`, and
// `after_step` (if set) after each optimiser step (e.g. an EMA update).
using StepTerms = std::function<ElboTerms(std::int64_t step)>;
double run_training_loop(Classifier& model, std::int64_t n_train, std::int64_t steps_per_epoch,
                         const ClassifierTraining& settings, std::uint64_t seed, const StepTerms& step_terms,
                         const EpochCallback& after_epoch, const DataParallel& dp,
                         const std::function<void()>& after_step = {});

}  // namespace penumbra
