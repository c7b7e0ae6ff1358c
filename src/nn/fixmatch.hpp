#pragma once
// FixMatch semi-supervised training (Sohn et al. 2020; for radio galaxies
// Slijepcevic et al. 2022): each step takes B labelled images (the usual
// augmentation) and μ·B unlabelled ones, each seen twice — a weak view whose
// prediction, where its top probability reaches τ, becomes a pseudo-label, and
// a strong view trained to predict that label (src/datasets/ssl_augment.hpp).
// The minibatch NLL is
//   Σ_labelled CE + λ_u · (B/μB) Σ_unlabelled 1[max p_weak ≥ τ] CE(strong, argmax p_weak),
// so the loop's NLL per example is the labelled mean plus λ_u × the unlabelled
// mean; the weight-prior terms are those of training.hpp (Bayesian layers:
// every forward draws weights). The pseudo-labels carry no gradient. An
// exponential moving average of the parameters (decay `ema`, ramped up over
// the first updates) is kept and is what the model holds after training
// (FixMatch evaluates the EMA model).
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <utility>

#include "src/datasets/labelled_images.hpp"
#include "src/datasets/ssl_augment.hpp"
#include "src/nn/training.hpp"

namespace penumbra {

struct FixMatchSettings {
  double threshold = 0.95;  // τ
  int mu = 7;               // unlabelled images per labelled one in a step
  double lambda_u = 1.0;    // weight of the unlabelled loss
  double ema = 0.999;       // EMA decay of the parameters (0: no EMA)
  SslAugmentOptions views;
};
// UsageError naming the quantity when a setting is out of range.
void validate(const FixMatchSettings& s);

// Pseudo-labels from the weak view's probabilities [B, C]: (argmax [B] long,
// mask [B] float, 1 where the top probability is ≥ τ); no gradient.
std::pair<at::Tensor, at::Tensor> pseudo_labels(const at::Tensor& weak_probs, double threshold);

// The unlabelled part of the minibatch NLL: Σ mask·CE(strong_logits, pseudo-
// labels of softmax(weak_logits)), the weak logits detached.
at::Tensor unlabelled_nll_sum(const at::Tensor& weak_logits, const at::Tensor& strong_logits, double threshold);

struct FixMatchEpochStats {
  double mask_rate = 0;  // fraction of unlabelled images above τ over the epoch
};

// Trains `model` on `labelled` and `unlabelled` (labels ignored) for
// settings.epochs epochs, an epoch being one pass over the labelled images;
// one process. Returns the mean time per epoch; `after_epoch` sees each epoch
// (with the model's current, not EMA, weights). DataError for an empty set.
double train_fixmatch(Classifier& model, const LabelledImages& labelled, const LabelledImages& unlabelled,
                      const ClassifierTraining& settings, const FixMatchSettings& fixmatch, std::uint64_t seed,
                      const EpochCallback& after_epoch = {}, FixMatchEpochStats* last_epoch = nullptr);

}  // namespace penumbra
