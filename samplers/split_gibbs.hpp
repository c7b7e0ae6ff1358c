#pragma once
// Split Gibbs with a score-based prior ("plug-and-play diffusion models", Wu et al.
// 2024, PnP-DM; after the split Gibbs sampler of Vono et al. 2019). The image is
// split into two copies coupled by a Gaussian of width ρ:
//
//   π(x, z) ∝ p(x) · N(z; x, ρ² I) · p(y | z)
//
// and the chain alternates exact draws from the two conditionals:
//
//  * likelihood step  z ~ N(x, ρ² I) · p(y | z): Gaussian for an interferometer,
//    drawn exactly by perturb-and-optimise with the exact NUFFT likelihood
//    (samplers/perturb_and_optimise.hpp) — visibilities at their true uv points, no
//    gridding, no convolved approximation;
//  * prior step       x ~ p(x) · N(z; x, ρ² I): z is a noisy image at noise level
//    ρ, so this is the prior's own denoising posterior, drawn by running the reverse
//    VE diffusion from σ = ρ (state z) down to the prior's σ_min (`prior_steps`
//    Euler–Maruyama steps, samplers/diffusion_samplers.hpp).
//
// x's marginal is p(x) · (p(y | ·) ∗ N(0, ρ²I))(x): the posterior with ρ² of extra
// image-plane noise in the likelihood, exact as ρ → 0. At small ρ the two copies
// move together in steps of about ρ, so ρ anneals geometrically from σ_max (where
// the chain forgets its start) to ρ_min over the first `anneal_fraction` of the
// iterations and stays at ρ_min for the rest. Each iteration costs `prior_steps`
// prior scores and one CG solve (a few to a few hundred exact likelihood scores,
// more at small ρ; warm-started from the previous z).
//
// Needs an exact likelihood (Likelihood::can_perturb_data) and the untempered
// posterior (λ = T = 1). aux[0]: z, the likelihood copy.
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "samplers/diffusion_samplers.hpp"
#include "samplers/perturb_and_optimise.hpp"
#include "samplers/sampler.hpp"

namespace penumbra {

struct SplitGibbsOptions {
  NoiseLevels coupling;            // ρ range; 0: the posterior's σ_max, and 4 × its σ_min
  std::int64_t iterations = 100;
  double anneal_fraction = 0.8;    // share of the iterations over which ρ decreases
  std::int64_t prior_steps = 10;   // reverse-diffusion steps of each prior step
  // CG: error ≤ 2 % of the conditional std per pixel; the cap binds only at large ρ
  // (burn-in), where the circulant preconditioner is poor and z need not be exact.
  ConjugateGradientOptions cg{100, 0.02};
};

class SplitGibbs final : public Sampler {
 public:
  SplitGibbs(std::shared_ptr<const Posterior> posterior, SplitGibbsOptions opt);
  std::string name() const override { return "split-gibbs"; }
  std::string describe() const override;
  std::int64_t total_steps() const override { return opt_.iterations; }
  // The prior steps' reverse diffusion; the likelihood step's CG iterations are
  // likelihood work (StepInfo::solver_iterations), not score evaluations.
  std::int64_t score_evaluations() const override { return opt_.iterations * opt_.prior_steps; }
  // x starts at `start` (broadcast) or 0: the first likelihood step, at ρ = σ_max,
  // hardly depends on it.
  SamplerState init(const SamplerShape& shape, at::Generator& gen, const at::Tensor& start = {}) const override;
  StepInfo step(SamplerState& state, at::Generator& gen) const override;
  // ρ at iteration k.
  double coupling(std::int64_t k) const;

 private:
  // The likelihood step's solver for images of H × W, built on first use (the
  // sampler learns the image size from its state) and shared by later steps.
  std::shared_ptr<const PerturbAndOptimise> solver(std::int64_t height, std::int64_t width) const;

  SplitGibbsOptions opt_;
  mutable std::mutex solver_mutex_;
  mutable std::shared_ptr<const PerturbAndOptimise> solver_;
  std::shared_ptr<const Posterior> prior_only_;
  double rho_max_ = 0, rho_min_ = 0;
};

}  // namespace penumbra
