#pragma once
// Posterior = prior ⊕ likelihood ⊕ tempering, the one object samplers see.
//
//   log p_T(x | y) = [log p(x) + λ · log p(y | x)] / T
//   score(x, σ)    = [s_prior(x, σ) + λ · a(σ) · ∇ log p_σ(y | x)] / T
//
// a(σ) anneals the likelihood weight over the noise levels (samplers/likelihood_anneal.hpp);
// it is 1 by default and at every σ ≤ σ_full, so log_prob (σ = 0) never sees it.
// λ (likelihood_weight) and T (temperature) are explicit and default to 1 (the
// Bayesian posterior). The noise-level-aware likelihood score is whatever the
// Likelihood implements (convolved approximation, exact, ...); its name is
// recorded by describe() so every run states which one it used. Without a
// likelihood the posterior is the prior (unconditional sampling).
#include <ATen/core/Tensor.h>

#include <memory>
#include <string>

#include "samplers/likelihood_anneal.hpp"
#include "samplers/score_timing.hpp"
#include "src/model/model.hpp"

namespace penumbra {

struct Tempering {
  double likelihood_weight = 1.0;  // λ ≥ 0
  double temperature = 1.0;        // T > 0 (T < 1: "cold")
  LikelihoodAnneal anneal;         // a(σ); zeros in its range are the prior's
};

class Posterior {
 public:
  Posterior(std::shared_ptr<const Prior> prior, std::shared_ptr<const Likelihood> likelihood = nullptr,
            Tempering tempering = {});

  // x [B, H, W], sigma [B] (σ ≥ 0) → [B, H, W].
  at::Tensor score(const at::Tensor& x, const at::Tensor& sigma) const;
  // Same, with a scalar σ for every chain.
  at::Tensor score(const at::Tensor& x, double sigma) const;
  bool has_log_prob() const { return prior_->has_log_prob(); }
  // [B]; needs a prior with a tractable density.
  at::Tensor log_prob(const at::Tensor& x) const;

  double sigma_max() const { return prior_->sigma_max(); }
  double sigma_min() const { return prior_->sigma_min(); }
  int height() const { return prior_->height(); }
  int width() const { return prior_->width(); }
  const Prior& prior() const { return *prior_; }
  const Likelihood* likelihood() const { return likelihood_.get(); }
  const Tempering& tempering() const { return tempering_; }
  // "prior=<name> likelihood=<name> weight=λ temperature=T[ anneal=<schedule>]"
  std::string describe() const;
  // Time spent in the prior's and the likelihood's scores (shared by copies).
  ScoreTiming& timing() const { return *timing_; }

 private:
  std::shared_ptr<const Prior> prior_;
  std::shared_ptr<const Likelihood> likelihood_;
  Tempering tempering_;
  std::shared_ptr<ScoreTiming> timing_ = std::make_shared<ScoreTiming>();
};

}  // namespace penumbra
