#include "src/pipelines/posterior_settings.hpp"

#include <nlohmann/json.hpp>

#include "src/core/checks.hpp"
#include "src/pipelines/likelihood_registry.hpp"
#include "src/pipelines/sampler_registry.hpp"

namespace penumbra {

namespace {

void validate_sampler(const SamplerSettings& s, const SamplerEntry& entry) {
  require_at_least<std::int64_t>("steps", s.steps, 1);
  require_at_least<std::int64_t>("prior steps", s.prior_steps, 1);
  require_in_range("anneal fraction", s.anneal_fraction, 0.0, 1.0);
  require_at_least<std::int64_t>("cg max iterations", s.split_gibbs_cg.max_iterations, 1);
  require_positive("cg tolerance", s.split_gibbs_cg.tolerance);
  require_in("final step", s.final_step, {"auto", "mean", "spread", "exact"});
  if (s.final_step != "mean" && s.final_step != "auto" && !entry.has_final_step)
    throw UsageError(fmt::format("final step {} applies to the pc sampler, not {}", s.final_step, s.sampler));
  require_at_least<std::int64_t>("final probes", s.final_probes, 1);
  require_non_negative("step size", s.step_size);
}

void validate_anneal(const SamplerSettings& s, const LikelihoodAnneal& a) {
  if (!a.active()) return;
  // Only the diffusion samplers evaluate the score at σ > 0, where the anneal acts.
  require_in("sampler with a likelihood anneal", s.sampler, {"pc", "ald", "em"});
  require_in_range("likelihood anneal start", a.start, 0.0, 1.0);
  require_non_negative("likelihood anneal sigma", a.sigma_full);
  // λ must be full at the last noise level (checked again by the sampler, which knows it).
  if (a.sigma_full > 0 && a.sigma_full < s.sigma_min)
    fail_check("likelihood anneal sigma", fmt::format(">= the smallest noise level {}", s.sigma_min), a.sigma_full);
}

}  // namespace

void PosteriorSettings::validate() const {
  const SamplerEntry& entry = sampler_registry().get(sampler.sampler);
  validate_sampler(sampler, entry);
  likelihood_registry().get(likelihood.likelihood);
  require_at_least("pad", likelihood.pad, 1);
  require_in_range("nufft epsilon", likelihood.nufft_epsilon, 1e-10, 1e-1);
  require_non_negative("likelihood weight", tempering.likelihood_weight);
  require_positive("temperature", tempering.temperature);
  validate_anneal(sampler, tempering.anneal);
  const bool tempered = tempering.likelihood_weight != 1.0 || tempering.temperature != 1.0;
  if (entry.exact_likelihood_only && tempered)
    throw UsageError(fmt::format("sampler {} samples the untempered posterior: drop the likelihood weight and "
                                 "temperature",
                                 sampler.sampler));
  if (sampler.final_step == "exact" && tempered)
    throw UsageError("final step exact samples the untempered posterior: drop the likelihood weight and temperature");
}

std::string PosteriorSettings::resolved_final_step() const {
  if (sampler.final_step != "auto") return sampler.final_step;
  const bool tempered = tempering.likelihood_weight != 1.0 || tempering.temperature != 1.0;
  const bool applies = sampler_registry().get(sampler.sampler).has_final_step && likelihood.likelihood == "convolved";
  return applies && !tempered ? "exact" : "mean";
}

Tempering PosteriorSettings::resolved_tempering(double prior_sigma_min, double prior_sigma_max) const {
  Tempering t = tempering;
  if (!t.anneal.active()) return t;
  if (t.anneal.sigma_full == 0) t.anneal.sigma_full = sampler.sigma_min > 0 ? sampler.sigma_min : prior_sigma_min;
  if (t.anneal.sigma_max == 0) t.anneal.sigma_max = sampler.sigma_max > 0 ? sampler.sigma_max : prior_sigma_max;
  t.anneal = t.anneal.resolved(prior_sigma_min, prior_sigma_max);
  return t;
}

bool PosteriorSettings::exact_sampling() const {
  return likelihood.likelihood == "exact" || sampler_registry().get(sampler.sampler).exact_likelihood_only;
}

void PosteriorSettings::add_to_fingerprint(nlohmann::json& j) const {
  const SamplerSettings& s = sampler;
  j["sampler"] = s.sampler;
  j["steps"] = s.steps;
  j["levels"] = s.levels;
  j["corrector"] = s.corrector;
  j["snr"] = s.snr;
  j["epsilon"] = s.step_size;  // the key of runs made when the step size was --epsilon
  j["sigma_min"] = s.sigma_min;
  j["sigma_max"] = s.sigma_max;
  j["likelihood"] = likelihood.likelihood;
  j["pad"] = likelihood.pad;
  if (const std::string final_step = resolved_final_step(); final_step != "mean") {
    j["final_step"] = final_step;
    j["final_probes"] = s.final_probes;
  }
  if (s.sampler == "split-gibbs") {
    j["prior_steps"] = s.prior_steps;
    const SamplerSettings d;
    if (s.anneal_fraction != d.anneal_fraction) j["anneal_fraction"] = s.anneal_fraction;
    if (s.split_gibbs_cg.max_iterations != d.split_gibbs_cg.max_iterations)
      j["cg_max_iterations"] = s.split_gibbs_cg.max_iterations;
    if (s.split_gibbs_cg.tolerance != d.split_gibbs_cg.tolerance) j["cg_tolerance"] = s.split_gibbs_cg.tolerance;
  }
  if (tempering.likelihood_weight != 1.0 || tempering.temperature != 1.0) {
    j["likelihood_weight"] = tempering.likelihood_weight;
    j["temperature"] = tempering.temperature;
  }
  if (const LikelihoodAnneal& a = tempering.anneal; a.active()) {
    j["likelihood_anneal"] = anneal_kind_name(a.kind);
    j["likelihood_anneal_start"] = a.start;
    j["likelihood_anneal_sigma"] = a.sigma_full;
  }
  if (likelihood.nufft_epsilon != LikelihoodSettings{}.nufft_epsilon) j["nufft_epsilon"] = likelihood.nufft_epsilon;
}

}  // namespace penumbra
