#pragma once
// Annealing of the likelihood weight over the noise levels of a diffusion sampler:
// the data term enters as λ·a(σ) instead of λ, with a(σ) rising from a small share
// at σ_max to 1 at and below σ_full, so the early, high-σ steps are dominated by the
// prior and the data take over as the noise falls (a schedule common in score-based
// imaging). a = 1 wherever σ ≤ σ_full, and σ_full is at least the run's σ_min, so
// the last steps — and the distribution they sample — are the untempered ones:
// annealing changes the path to σ_min, not the posterior at its end.
//
//  * none:   a(σ) = 1 (the default; the posterior's score is computed as before).
//  * linear: a(σ) = start + (1 − start)·(1 − t), t = log(σ/σ_full) / log(σ_max/σ_full)
//            clamped to [0, 1]: linear in log σ, i.e. in the level index of the
//            geometric schedules of pc and ald and in the time of em.
//  * sigma:  a(σ) = min(1, (σ_full/σ)²): the data term falls off as 1/σ² above
//            σ_full, as the prior's precision does.
#include <ATen/core/Tensor.h>

#include <string>

namespace penumbra {

enum class AnnealKind { kNone, kLinear, kSigma };

// "none", "linear", "sigma"
std::string anneal_kind_name(AnnealKind kind);
// UsageError naming "likelihood anneal" for any other name.
AnnealKind parse_anneal_kind(const std::string& name);

struct LikelihoodAnneal {
  AnnealKind kind = AnnealKind::kNone;
  double start = 0.0;       // linear: a(σ_max), in [0, 1]
  double sigma_full = 0.0;  // σ at and below which a = 1 (0: the prior's σ_min)
  double sigma_max = 0.0;   // linear: σ where a = start (0: the prior's σ_max)

  bool active() const { return kind != AnnealKind::kNone; }
  // Zeros replaced by the prior's noise range, then validated (UsageError naming
  // the quantity: "likelihood anneal start", "likelihood anneal sigma").
  LikelihoodAnneal resolved(double prior_sigma_min, double prior_sigma_max) const;
  // a(σ) of a resolved schedule; σ = 0 (no noise) gives 1.
  double factor(double sigma) const;
  // a(σ) per chain, σ [B] → [B] in σ's dtype.
  at::Tensor factor(const at::Tensor& sigma) const;
  // "none", "linear(start=0, sigma=[0.01, 380])", "sigma(full=0.01)"
  std::string describe() const;
};

}  // namespace penumbra
