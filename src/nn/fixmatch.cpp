#include "src/nn/fixmatch.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <vector>

#include "priors/weight_priors.hpp"
#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/rng.hpp"
#include "src/datasets/augment.hpp"

namespace penumbra {

void validate(const FixMatchSettings& s) {
  if (!(s.threshold > 0 && s.threshold <= 1)) fail_check("confidence threshold", "in (0, 1]", s.threshold);
  require_at_least("unlabelled ratio", s.mu, 1);
  require_non_negative("unlabelled loss weight", s.lambda_u);
  if (!(s.ema >= 0 && s.ema < 1)) fail_check("EMA decay", "in [0, 1)", s.ema);
}

std::pair<at::Tensor, at::Tensor> pseudo_labels(const at::Tensor& weak_probs, double threshold) {
  torch::NoGradGuard no_grad;
  auto [top, label] = weak_probs.max(1);
  return {label, (top >= threshold).to(torch::kFloat32)};
}

at::Tensor unlabelled_nll_sum(const at::Tensor& weak_logits, const at::Tensor& strong_logits, double threshold) {
  auto [label, mask] = pseudo_labels(torch::softmax(weak_logits.detach(), 1), threshold);
  auto ce = torch::nn::functional::cross_entropy(
      strong_logits, label, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
  return (ce * mask).sum();
}

namespace {

// One step's images: B labelled (augmented as in supervised training), μB
// unlabelled as weak and strong views, all from seeded streams of the step.
struct FixMatchBatch {
  std::vector<float> labelled, weak, strong;
  std::vector<std::int64_t> labels;
};

FixMatchBatch make_batch(const LabelledImages& lab, const LabelledImages& unl, const std::vector<std::size_t>& perm,
                         std::int64_t b0, std::int64_t b1, const FixMatchSettings& f, bool augment,
                         std::uint64_t seed, std::int64_t step) {
  const int n = lab.height;
  const std::size_t px = lab.image_size();
  FixMatchBatch b;
  for (std::int64_t i = b0; i < b1; ++i) {
    const std::size_t src = perm[i];
    b.labelled.insert(b.labelled.end(), lab.image(src), lab.image(src) + px);
    if (augment)
      augment_image(b.labelled.data() + (i - b0) * px, n, n, AugmentOptions{}, seed,
                    0xA000000ull + static_cast<std::uint64_t>(step) * lab.size() + src);
    b.labels.push_back(lab.labels[src]);
  }
  auto rng = make_rng(seed, 0xF1C0000ull + static_cast<std::uint64_t>(step));
  std::uniform_int_distribution<std::size_t> pick(0, unl.size() - 1);
  const std::int64_t nu = f.mu * (b1 - b0);
  b.weak.resize(nu * px);
  b.strong.resize(nu * px);
  for (std::int64_t i = 0; i < nu; ++i) {
    const std::size_t src = pick(rng);
    const auto stream = (static_cast<std::uint64_t>(step) << 20) + static_cast<std::uint64_t>(i);
    std::copy(unl.image(src), unl.image(src) + px, b.weak.data() + i * px);
    std::copy(unl.image(src), unl.image(src) + px, b.strong.data() + i * px);
    weak_view(b.weak.data() + i * px, n, f.views, seed, 0x3EA0000000ull + stream);
    strong_view(b.strong.data() + i * px, n, f.views, seed, 0x5700000000ull + stream);
  }
  return b;
}

// Copies: autograd may keep the tensors past the step's buffers.
at::Tensor images(std::vector<float>& v, int n) {
  return torch::from_blob(v.data(), {static_cast<std::int64_t>(v.size()) / (n * n), n, n}, torch::kFloat32).clone();
}

// The parameters' exponential moving average, swapped into the model at the
// end. The decay ramps up as min(decay, (1 + t)/(10 + t)) over the updates t, so
// that a short run's average is not dominated by the initial weights.
class ParameterEma {
 public:
  ParameterEma(std::vector<at::Tensor> params, double decay) : params_(std::move(params)), decay_(decay) {
    torch::NoGradGuard g;
    for (auto& p : params_) shadow_.push_back(p.detach().clone());
  }
  void update() {
    torch::NoGradGuard g;
    const double d = std::min(decay_, (1.0 + updates_) / (10.0 + updates_));
    ++updates_;
    for (std::size_t i = 0; i < params_.size(); ++i) shadow_[i].mul_(d).add_(params_[i].detach(), 1 - d);
  }
  void copy_into_model() {
    torch::NoGradGuard g;
    for (std::size_t i = 0; i < params_.size(); ++i) params_[i].copy_(shadow_[i]);
  }

 private:
  std::vector<at::Tensor> params_, shadow_;
  double decay_;
  std::int64_t updates_ = 0;
};

}  // namespace

double train_fixmatch(Classifier& model, const LabelledImages& lab, const LabelledImages& unl,
                      const ClassifierTraining& s, const FixMatchSettings& f, std::uint64_t seed,
                      const EpochCallback& after_epoch, FixMatchEpochStats* last_epoch) {
  validate(s);
  validate(f);
  if (lab.size() == 0) throw DataError("labelled training images: none");
  if (unl.size() == 0) throw DataError("unlabelled training images: none");
  if (unl.height != lab.height || unl.width != lab.width)
    throw DataError(fmt::format("unlabelled images are {}×{} px, the labelled ones {}×{}", unl.height, unl.width,
                                lab.height, lab.width));
  auto prior = make_weight_prior(s.prior);
  const auto n_lab = static_cast<std::int64_t>(lab.size());
  const std::int64_t steps = (n_lab + s.batch - 1) / s.batch;
  const int n = lab.height;
  std::vector<std::size_t> perm;
  double masked = 0, seen = 0;
  ParameterEma ema(model.parameters(), f.ema);
  auto step_terms = [&](std::int64_t step) {
    const std::int64_t epoch = step / steps, k = step % steps;
    if (k == 0) {
      perm = seeded_permutation(lab.size(), seed, 0xE90C + static_cast<std::uint64_t>(epoch));
      masked = seen = 0;
    }
    const std::int64_t b0 = k * s.batch, b1 = std::min(n_lab, b0 + s.batch);
    auto b = make_batch(lab, unl, perm, b0, b1, f, s.augment, seed, step);
    ElboTerms e = classifier_elbo_terms(model, images(b.labelled, n),
                                        torch::from_blob(b.labels.data(), {b1 - b0}, torch::kLong).clone(), *prior, s.mc_kl);
    at::Tensor weak_logits;
    {
      torch::NoGradGuard no_grad;
      weak_logits = model.forward(images(b.weak, n));
    }
    const auto strong_logits = model.forward(images(b.strong, n));
    auto [unused, mask] = pseudo_labels(torch::softmax(weak_logits, 1), f.threshold);
    masked += mask.sum().item<double>();
    seen += static_cast<double>(mask.numel());
    if (last_epoch) last_epoch->mask_rate = masked / seen;
    e.nll_sum = e.nll_sum + unlabelled_nll_sum(weak_logits, strong_logits, f.threshold) * (f.lambda_u / f.mu);
    return e;
  };
  const double seconds = run_training_loop(model, n_lab, steps, s, seed, step_terms, after_epoch, {},
                                           [&] { if (f.ema > 0) ema.update(); });
  if (f.ema > 0) ema.copy_into_model();
  return seconds;
}

}  // namespace penumbra
