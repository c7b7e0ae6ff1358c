#pragma once
// Metropolis-adjusted samplers for posteriors with a tractable log density
// (analytic priors + a likelihood energy): the exact baselines the diffusion
// samplers are compared with. Both use the σ = 0 posterior score as the
// gradient of log p_T and accept/reject each chain independently.
//
// Step sizes are per chain; during the first `adapt_steps` steps each chain's
// log step size follows the Robbins–Monro rule log h += γ (a − a*) towards the
// target acceptance a* (then it is frozen, so the chain is a valid MCMC
// kernel afterwards). State aux: [0] log p_T(x) [B], [1] ∇ log p_T(x), [2] h [B].
#include <cstdint>
#include <string>

#include "samplers/sampler.hpp"

namespace penumbra {

struct MalaOptions {
  std::int64_t steps = 2000;
  std::int64_t adapt_steps = 1000;  // ≤ steps
  double step_size = 1e-3;          // initial h: x' = x + h ∇log p + √(2h) z
  double target_acceptance = 0.574;
  double init_scale = 1.0;          // chains start at `start` or N(0, init_scale²)
};

class Mala final : public Sampler {
 public:
  Mala(std::shared_ptr<const Posterior> posterior, MalaOptions opt);
  std::string name() const override { return "mala"; }
  std::string describe() const override;
  std::int64_t total_steps() const override { return opt_.steps; }
  // One score per proposal, plus the start's.
  std::int64_t score_evaluations() const override { return opt_.steps + 1; }
  SamplerState init(const SamplerShape& shape, at::Generator& gen, const at::Tensor& start = {}) const override;
  StepInfo step(SamplerState& state, at::Generator& gen) const override;

 private:
  MalaOptions opt_;
};

struct HmcOptions {
  std::int64_t steps = 500;          // HMC transitions
  std::int64_t adapt_steps = 250;
  std::int64_t leapfrog_steps = 10;
  double step_size = 1e-2;           // initial leapfrog step (identity mass matrix)
  double target_acceptance = 0.75;
  double init_scale = 1.0;
};

class Hmc final : public Sampler {
 public:
  Hmc(std::shared_ptr<const Posterior> posterior, HmcOptions opt);
  std::string name() const override { return "hmc"; }
  std::string describe() const override;
  std::int64_t total_steps() const override { return opt_.steps; }
  // One score per leapfrog step, plus the start's (the trajectory reuses the last).
  std::int64_t score_evaluations() const override { return opt_.steps * opt_.leapfrog_steps + 1; }
  SamplerState init(const SamplerShape& shape, at::Generator& gen, const at::Tensor& start = {}) const override;
  StepInfo step(SamplerState& state, at::Generator& gen) const override;

 private:
  HmcOptions opt_;
};

}  // namespace penumbra
