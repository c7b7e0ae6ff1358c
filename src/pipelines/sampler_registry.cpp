#include "src/pipelines/sampler_registry.hpp"

#include <algorithm>

#include "samplers/diffusion_samplers.hpp"
#include "samplers/mcmc.hpp"
#include "samplers/split_gibbs.hpp"
#include "src/pipelines/posterior_settings.hpp"

namespace penumbra {

namespace {

using LikelihoodPtr = std::shared_ptr<const Likelihood>;
using PosteriorPtr = std::shared_ptr<const Posterior>;

NoiseLevels noise_levels(const SamplerSettings& s) { return NoiseLevels{s.sigma_max, s.sigma_min}; }

std::unique_ptr<Sampler> make_pc(const SamplerSettings& s, PosteriorPtr post, LikelihoodPtr exact) {
  PredictorCorrectorOptions p;
  p.noise = noise_levels(s);
  p.corrector_steps = s.corrector;
  p.levels = std::max<std::int64_t>(1, s.steps / (1 + s.corrector));
  p.snr = s.snr;
  p.final_step = s.final_step == "exact"    ? FinalStep::kExact
                 : s.final_step == "spread" ? FinalStep::kSpread
                                            : FinalStep::kMean;
  p.final_probes = s.final_probes;
  p.final_likelihood = std::move(exact);
  return std::make_unique<PredictorCorrector>(std::move(post), p);
}

std::unique_ptr<Sampler> make_split_gibbs(const SamplerSettings& s, PosteriorPtr post, LikelihoodPtr) {
  SplitGibbsOptions g;
  g.coupling = noise_levels(s);
  g.prior_steps = s.prior_steps;
  g.anneal_fraction = s.anneal_fraction;
  g.cg = s.split_gibbs_cg;
  g.iterations = std::max<std::int64_t>(1, s.steps / s.prior_steps);
  return std::make_unique<SplitGibbs>(std::move(post), g);
}

std::unique_ptr<Sampler> make_ald(const SamplerSettings& s, PosteriorPtr post, LikelihoodPtr) {
  AnnealedLangevinOptions a;
  a.noise = noise_levels(s);
  a.levels = std::min(s.levels, s.steps);
  a.steps_per_level = std::max<std::int64_t>(1, s.steps / a.levels);
  if (s.step_size > 0) a.epsilon = s.step_size;
  return std::make_unique<AnnealedLangevin>(std::move(post), a);
}

std::unique_ptr<Sampler> make_em(const SamplerSettings& s, PosteriorPtr post, LikelihoodPtr) {
  EulerMaruyamaOptions e;
  e.noise = noise_levels(s);
  e.steps = s.steps;
  return std::make_unique<EulerMaruyama>(std::move(post), e);
}

std::unique_ptr<Sampler> make_mala(const SamplerSettings& s, PosteriorPtr post, LikelihoodPtr) {
  MalaOptions m;
  m.steps = s.steps;
  m.adapt_steps = s.steps / 2;
  if (s.step_size > 0) m.step_size = s.step_size;
  return std::make_unique<Mala>(std::move(post), m);
}

std::unique_ptr<Sampler> make_hmc(const SamplerSettings& s, PosteriorPtr post, LikelihoodPtr) {
  HmcOptions h;
  h.leapfrog_steps = 10;
  h.steps = std::max<std::int64_t>(1, s.steps / h.leapfrog_steps);  // `steps` gradient evaluations in all
  h.adapt_steps = h.steps / 2;
  if (s.step_size > 0) h.step_size = s.step_size;
  return std::make_unique<Hmc>(std::move(post), h);
}

Registry<SamplerEntry> builtin_samplers() {
  Registry<SamplerEntry> r("sampler");
  r.add({"pc", "predictor-corrector", false, true, make_pc});
  r.add({"ald", "annealed Langevin", false, false, make_ald});
  r.add({"em", "Euler-Maruyama of the reverse SDE", false, false, make_em});
  r.add({"mala", "Metropolis-adjusted Langevin, analytic priors", false, false, make_mala});
  r.add({"hmc", "Hamiltonian Monte Carlo, analytic priors", false, false, make_hmc});
  r.add({"split-gibbs", "split Gibbs with exact NUFFT likelihood draws", true, false, make_split_gibbs});
  return r;
}

}  // namespace

Registry<SamplerEntry>& sampler_registry() {
  static Registry<SamplerEntry> registry = builtin_samplers();
  return registry;
}

}  // namespace penumbra
