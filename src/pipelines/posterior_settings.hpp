#pragma once
// What a posterior run is asked for, in three parts: the sampler kernel, the
// likelihood (and the NUFFT accuracy of everything that touches the data), and
// the tempering. Validated as a whole before any data are read or any line is
// logged; messages name the quantity ("steps"), the CLI maps it to its flag.
#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>

#include "samplers/perturb_and_optimise.hpp"
#include "samplers/posterior.hpp"
#include "samplers/split_gibbs.hpp"

namespace penumbra {

struct SamplerSettings {
  std::string sampler = "pc";  // a name of sampler_registry()
  std::int64_t steps = 1000;   // score evaluations per sample (split-gibbs: steps / prior_steps iterations)
  std::int64_t levels = 10, corrector = 1;
  double snr = 0.16;
  double step_size = 0;        // ald: ε at the last level; mala/hmc: initial step (0: the sampler's default)
  double sigma_min = 0, sigma_max = 0;
  // pc's last step from σ_min: auto | mean | spread | exact (samplers/diffusion_samplers.hpp);
  // auto = PosteriorSettings::resolved_final_step().
  std::string final_step = "auto";
  std::int64_t final_probes = 8;     // pc: Rademacher probes of the spread and exact final steps
  std::int64_t prior_steps = 10;     // split-gibbs: reverse-diffusion levels of each prior step
  double anneal_fraction = SplitGibbsOptions{}.anneal_fraction;      // split-gibbs: share of iterations annealing ρ
  ConjugateGradientOptions split_gibbs_cg = SplitGibbsOptions{}.cg;  // split-gibbs: its likelihood step's CG
};

struct LikelihoodSettings {
  std::string likelihood = "convolved";  // a name of likelihood_registry() (split-gibbs: always exact)
  int pad = 2;                           // uv-grid padding of the convolved likelihood
  double nufft_epsilon = 1e-6;           // the run's one NUFFT accuracy (dirty image, likelihood, χ², residual)
  int threads = 0;                       // NUFFT threads (0: thread_count())
};

struct PosteriorSettings {
  SamplerSettings sampler;
  LikelihoodSettings likelihood;
  // Likelihood weight λ and temperature T (1, 1: the Bayesian posterior), and the
  // annealing of λ over the noise levels (pc, ald, em only; none by default).
  Tempering tempering;

  void validate() const;  // UsageError naming the quantity
  // `tempering` with the likelihood anneal's range resolved for this run: full weight
  // at and below --sigma-min (the prior's σ_min when 0), ramped from --sigma-max
  // (the prior's σ_max when 0). The sampler refuses a full-weight σ below its σ_min,
  // where λ would never reach its full value.
  Tempering resolved_tempering(double prior_sigma_min, double prior_sigma_max) const;
  // Whether the sampler runs on the exact NUFFT likelihood (asked for, or the sampler needs it).
  bool exact_sampling() const;
  // The final step a run uses: `sampler.final_step` unless it is "auto", which is
  // "exact" for pc on the convolved likelihood without tempering — the one setting
  // whose samples fit the demo's data (χ²_red 1.005 against 1.85 for the Tweedie
  // mean: docs/sampling.md) — and "mean" otherwise (other likelihoods, tempered runs,
  // and samplers without a final step).
  std::string resolved_final_step() const;
  // The settings that change the samples, as keys of a run's --resume fingerprint.
  // Keys added after runs existed are written only when they differ from their
  // default, so older run folders still resume.
  void add_to_fingerprint(nlohmann::json& j) const;
};

}  // namespace penumbra
