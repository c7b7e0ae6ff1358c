#include "src/nn/training.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <vector>

#include "priors/weight_priors.hpp"
#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/progress.hpp"
#include "src/core/rng.hpp"
#include "src/datasets/augment.hpp"

namespace penumbra {

void add_weight_prior_terms(Classifier& model, const WeightPrior& prior, int mc_samples, ElboTerms& terms) {
  const bool bayesian = model.config().bayesian;
  for (auto& v : model.variational_tensors()) {
    if (bayesian) {
      terms.cross_entropy = terms.cross_entropy + prior.cross_entropy(v.mu, v.sigma, mc_samples);
      terms.entropy = terms.entropy + gaussian_entropy(v.sigma);
    } else {
      terms.cross_entropy = terms.cross_entropy - prior.log_prob(v.mu);  // MAP: −log p(μ)
    }
  }
}

ElboTerms classifier_elbo_terms(Classifier& model, const at::Tensor& x, const at::Tensor& y, const WeightPrior& prior,
                                int mc_samples, std::int64_t* correct) {
  ElboTerms e;
  e.batch_size = x.size(0);
  const auto logits = model.forward(x);
  e.nll_sum = torch::nn::functional::cross_entropy(
      logits, y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
  if (correct) *correct += logits.detach().argmax(1).eq(y).sum().item<std::int64_t>();
  e.cross_entropy = torch::zeros({});
  e.entropy = torch::zeros({});
  add_weight_prior_terms(model, prior, mc_samples, e);
  return e;
}

ElboTerms multilabel_elbo_terms(Classifier& model, const at::Tensor& x, const at::Tensor& y, const WeightPrior& prior,
                                int mc_samples) {
  ElboTerms e;
  e.batch_size = x.size(0);
  e.nll_sum = torch::nn::functional::binary_cross_entropy_with_logits(
      model.forward(x), y,
      torch::nn::functional::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kSum));
  e.cross_entropy = torch::zeros({});
  e.entropy = torch::zeros({});
  add_weight_prior_terms(model, prior, mc_samples, e);
  return e;
}

void validate(const ClassifierTraining& s) {
  make_weight_prior(s.prior);
  require_positive("temperature", s.temperature);
  require_at_least("epochs", s.epochs, 1);
  require_at_least("minibatch size", s.batch, 1);
  require_positive("learning rate", s.learning_rate);
  require_at_least("Monte Carlo draws of the prior term", s.mc_kl, 1);
}

void set_input_normalisation(ClassifierConfig& config, const LabelledImages& train) {
  double s = 0, s2 = 0;
  for (float v : train.pixels) s += v, s2 += static_cast<double>(v) * v;
  double n_pix = static_cast<double>(train.pixels.size());
  config.input_mean = s / n_pix;
  config.input_std = std::max(1e-8, std::sqrt(std::max(0.0, s2 / n_pix - config.input_mean * config.input_mean)));
}

namespace {

// The minibatches of an epoch: a seeded permutation of the images per epoch,
// each image augmented from its own stream (epoch, image index), so that the
// order and the views depend on the seed alone, never on the process.
class SeededMinibatches {
 public:
  SeededMinibatches(const LabelledImages& images, int batch, bool augment, std::uint64_t seed,
                    const MultiLabelTargets* targets = nullptr)
      : d_(images), t_(targets), batch_(batch), augment_(augment), seed_(seed),
        n_(static_cast<std::int64_t>(images.size())) {}

  std::int64_t steps_per_epoch() const { return (n_ + batch_ - 1) / batch_; }

  struct Batch {
    at::Tensor x, y;           // this process's rows: images [B_r, H, W] and labels [B_r] (or targets [B_r, T])
    std::int64_t global = 0;   // images in the step's global batch
    BatchShard shard;          // this process's rows of it
  };
  // Step `step`'s global batch, of which this process (`dp`) takes its shard;
  // the tensors view buffers that the next call overwrites.
  Batch at_step(std::int64_t step, const DataParallel& dp) {
    const std::int64_t epoch = step / steps_per_epoch(), k = step % steps_per_epoch();
    if (k == 0) perm_ = seeded_permutation(d_.size(), seed_, 0xE90C + static_cast<std::uint64_t>(epoch));
    const std::int64_t b0 = k * batch_, global = std::min(n_, b0 + batch_) - b0;
    const auto shard = dp.shard(global);
    const std::int64_t B = shard.size();
    const int H = d_.height, W = d_.width;
    const auto pixels = static_cast<std::size_t>(H) * W;
    x_.resize(static_cast<std::size_t>(B) * pixels);
    y_.resize(B);
    const int T = t_ ? t_->tags : 0;
    yt_.resize(static_cast<std::size_t>(B) * T);
    for (std::int64_t i = 0; i < B; ++i) {
      const std::size_t src = perm_[b0 + shard.begin + i];
      float* dst = x_.data() + static_cast<std::size_t>(i) * pixels;
      std::copy(d_.image(src), d_.image(src) + pixels, dst);
      if (augment_)
        augment_image(dst, H, W, AugmentOptions{}, seed_, 0xA000000ull + static_cast<std::uint64_t>(epoch) * n_ + src);
      y_[i] = d_.labels[src];
      if (T > 0) std::copy_n(t_->values.data() + src * T, T, yt_.data() + static_cast<std::size_t>(i) * T);
    }
    auto y = T > 0 ? torch::from_blob(yt_.data(), {B, T}, torch::kFloat32)
                   : torch::from_blob(y_.data(), {B}, torch::kLong);
    return {torch::from_blob(x_.data(), {B, H, W}, torch::kFloat32), y, global, shard};
  }

 private:
  const LabelledImages& d_;
  const MultiLabelTargets* t_;
  std::int64_t batch_;
  bool augment_;
  std::uint64_t seed_;
  std::int64_t n_;
  std::vector<std::size_t> perm_;
  std::vector<float> x_;
  std::vector<std::int64_t> y_;
  std::vector<float> yt_;
};

// A shard's terms as its part of the global batch's objective: the NLL summed
// over the shard per global-batch example, the prior terms weighted by
// shard/global size, so that the processes' losses (and gradients) add up to
// the global batch's.
ElboTerms as_part_of_global_batch(ElboTerms e, std::int64_t shard, std::int64_t global) {
  const double w = static_cast<double>(shard) / static_cast<double>(global);
  e.cross_entropy = e.cross_entropy * w;
  e.entropy = e.entropy * w;
  e.batch_size = global;
  return e;
}

// The processes' gradients summed in place; a parameter without a gradient on
// this process gets zeros, so that every process sums the same tensors.
void sum_gradients(const DataParallel& dp, const std::vector<at::Tensor>& parameters) {
  std::vector<at::Tensor> grads;
  for (const auto& p : parameters) {
    if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
    grads.push_back(p.grad());
  }
  dp.sum(grads);
}

// A step's loss, NLL and KL summed over the processes (each holds its part).
void sum_step_info(const DataParallel& dp, VariationalStepInfo& info) {
  auto t = torch::tensor({info.loss, info.nll, info.kl}, torch::kFloat64);
  dp.sum({t});
  info.loss = t[0].item<double>();
  info.nll = t[1].item<double>();
  info.kl = t[2].item<double>();
}

}  // namespace

double run_training_loop(Classifier& model, std::int64_t n_train, std::int64_t steps, const ClassifierTraining& s,
                         std::uint64_t seed, const StepTerms& step_terms, const EpochCallback& after_epoch,
                         const DataParallel& dp, const std::function<void()>& after_step) {
  validate(s);
  const auto& cfg = model.config();
  if (dp.active()) dp.broadcast(model.parameters());
  torch::manual_seed(derive_seed(seed, 0x7EA1));
  const ElboSettings es{n_train, s.temperature, s.tempering};
  VariationalInference vi(model.parameters(), s.learning_rate, es, step_terms);
  if (dp.active()) vi.set_gradient_hook([&](const std::vector<at::Tensor>& p) { sum_gradients(dp, p); });
  std::optional<Progress> progress;
  if (dp.rank == 0)
    progress.emplace(fmt::format("train {}{}", cfg.bayesian ? "bayesian " : "", cfg.backbone), steps * s.epochs,
                     "step");
  double total_seconds = 0;
  for (int epoch = 0; epoch < s.epochs; ++epoch) {
    vi.set_learning_rate(s.learning_rate * (1.0 - 0.9 * epoch / std::max(1, s.epochs - 1)));
    model.set_train(true);
    model.set_sampling(true);
    auto t0 = std::chrono::steady_clock::now();
    EpochSummary e;
    e.epoch = epoch + 1;
    for (std::int64_t k = 0; k < steps; ++k) {
      auto info = vi.step();
      if (dp.active()) sum_step_info(dp, info);
      if (after_step) after_step();
      e.loss += info.loss / steps;
      e.nll += info.nll / steps;
      e.penalty = info.kl;
      if (progress) progress->tick(1, fmt::format("loss {:.4f}", info.loss));
    }
    e.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    total_seconds += e.seconds;
    model.set_batch_shard(0, 0);
    if (after_epoch) after_epoch(e);
  }
  if (progress) progress->finish();
  return total_seconds / s.epochs;
}

namespace {

// Images with their class labels (targets null) or multi-label targets.
double train_on_images(Classifier& model, const LabelledImages& train, const MultiLabelTargets* targets,
                       const ClassifierTraining& s, std::uint64_t seed, const EpochCallback& after_epoch,
                       const DataParallel& dp) {
  validate(s);
  if (train.size() == 0) throw DataError("training split is empty");
  auto prior = make_weight_prior(s.prior);
  SeededMinibatches batches(train, s.batch, s.augment, seed, targets);
  // The epoch's training accuracy as seen: this process's rows of each
  // minibatch, at the weights (and draws) of their step.
  std::int64_t correct = 0, seen = 0;
  const auto terms = [&](const at::Tensor& x, const at::Tensor& y) {
    seen += x.size(0);
    return targets ? multilabel_elbo_terms(model, x, y, *prior, s.mc_kl)
                   : classifier_elbo_terms(model, x, y, *prior, s.mc_kl, &correct);
  };
  const EpochCallback with_accuracy = [&](const EpochSummary& epoch) {
    EpochSummary e = epoch;
    auto counts = torch::tensor({static_cast<double>(correct), static_cast<double>(seen)}, torch::kFloat64);
    if (dp.active()) dp.sum({counts});
    const double n_seen = counts[1].item<double>();
    if (!targets && n_seen > 0) e.train_accuracy = counts[0].item<double>() / n_seen;
    correct = seen = 0;
    if (after_epoch) after_epoch(e);
  };
  return run_training_loop(
      model, static_cast<std::int64_t>(train.size()), batches.steps_per_epoch(), s, seed,
      [&](std::int64_t step) {
        auto b = batches.at_step(step, dp);
        if (!dp.active()) return terms(b.x, b.y);
        model.set_batch_shard(b.shard.begin, b.global);
        return as_part_of_global_batch(terms(b.x, b.y), b.shard.size(), b.global);
      },
      with_accuracy, dp);
}

}  // namespace

double train_classifier(Classifier& model, const LabelledImages& train, const ClassifierTraining& s,
                        std::uint64_t seed, const EpochCallback& after_epoch, const DataParallel& dp) {
  return train_on_images(model, train, nullptr, s, seed, after_epoch, dp);
}

double train_multilabel_classifier(Classifier& model, const LabelledImages& train, const MultiLabelTargets& targets,
                                   const ClassifierTraining& s, std::uint64_t seed, const EpochCallback& after_epoch,
                                   const DataParallel& dp) {
  if (targets.tags < 1 || targets.values.size() != train.size() * static_cast<std::size_t>(targets.tags))
    throw DataError(fmt::format("multi-label targets: {} values for {} images of {} tags", targets.values.size(),
                                train.size(), targets.tags));
  if (targets.tags != model.config().n_classes)
    throw DataError(fmt::format("multi-label targets have {} tags, the model {} outputs", targets.tags,
                                model.config().n_classes));
  return train_on_images(model, train, &targets, s, seed, after_epoch, dp);
}

}  // namespace penumbra
