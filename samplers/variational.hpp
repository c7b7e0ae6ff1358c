#pragma once
// Variational inference with tempering (Bayes by Backprop, REFERENCE.md §3).
//
// With q(w) the variational family, CE = E_q[−log p(w)], H = H[q] and
// KL = CE − H, the loss per training example for a minibatch of B of N
// examples is
//   partial tempering ("partial"): NLL_B/B + T·(CE − H)/N
//       The KL term alone is weighted by λ = T (the usual "KL down-weighting").
//       For a Gaussian prior N(0, s²) this equals, up to a constant, full
//       tempering with the prior N(0, s²/T) (T·CE has the quadratic term of
//       N(0, s²/T)).
//   full tempering ("full"): NLL_B/B + (CE − T·H)/N
//       The variational objective of the tempered posterior
//       p_T(w|D) ∝ (p(D|w) p(w))^{1/T}: multiplying KL[q‖p_T] by T leaves the
//       data and prior terms at weight 1 and scales the entropy by T.
// T = 1 gives the ELBO in both forms; T < 1 is "cold". Dividing by N makes
// the loss an average per example, so the learning rate does not depend on N;
// summed over the N/B minibatches of an epoch it is −ELBO/N (minibatch scaling
// of the KL by 1/M, M = N/B minibatches).
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace penumbra {

enum class ElboTempering { kPartial, kFull };
ElboTempering parse_tempering(const std::string& name);  // "partial" | "full"; UsageError otherwise
std::string tempering_name(ElboTempering t);

struct ElboSettings {
  std::int64_t n_train = 0;  // N, examples in the training set
  double temperature = 1.0;  // T > 0
  ElboTempering tempering = ElboTempering::kPartial;
};

// One minibatch's pieces of the objective.
struct ElboTerms {
  at::Tensor nll_sum;        // Σ over the minibatch of −log p(y | x, w), w ~ q
  at::Tensor cross_entropy;  // E_q[−log p(w)] over all variational weights (0-dim)
  at::Tensor entropy;        // H[q] (0-dim)
  std::int64_t batch_size = 0;
};

// The tempered loss above (scalar tensor, differentiable).
at::Tensor tempered_loss(const ElboTerms& terms, const ElboSettings& settings);

struct VariationalStepInfo {
  std::int64_t step = 0;
  double loss = 0;  // tempered loss per example
  double nll = 0;   // NLL per example of the minibatch
  double kl = 0;    // KL[q‖p] = CE − H (nats, all weights)
};

// The VI driver kernel: Adam on the variational parameters, one minibatch per
// step. `terms` builds the next minibatch's ElboTerms (it owns data order and
// model). State is explicit (step count); the loop, progress and checkpoints
// live in the caller. A non-finite loss stops with InternalError naming the step.
class VariationalInference {
 public:
  using TermsFn = std::function<ElboTerms(std::int64_t step)>;
  VariationalInference(std::vector<at::Tensor> parameters, double learning_rate, ElboSettings settings, TermsFn terms);
  ~VariationalInference();
  VariationalStepInfo step();
  std::int64_t steps_done() const { return step_; }
  const ElboSettings& settings() const { return settings_; }
  void set_learning_rate(double lr);
  // Called between the backward pass and the optimiser step with the
  // parameters, their gradients set: data-parallel training sums the
  // processes' gradients here.
  using GradientHook = std::function<void(const std::vector<at::Tensor>& parameters)>;
  void set_gradient_hook(GradientHook hook) { gradient_hook_ = std::move(hook); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  ElboSettings settings_;
  TermsFn terms_;
  GradientHook gradient_hook_;
  std::int64_t step_ = 0;
};

}  // namespace penumbra
