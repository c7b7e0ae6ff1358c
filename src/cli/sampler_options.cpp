#include "src/cli/sampler_options.hpp"

#include "src/cli/deprecated_flags.hpp"
#include "src/pipelines/likelihood_registry.hpp"
#include "src/pipelines/prior_registry.hpp"
#include "src/pipelines/sampler_registry.hpp"

namespace penumbra::cli {

namespace {

void add_sampler_kernel_options(CLI::App* app, SamplerSettings& s) {
  app->add_option("--sampler", s.sampler, sampler_registry().help())->capture_default_str();
  app->add_option("--steps", s.steps, "Score evaluations per sample (sampler steps)")->capture_default_str();
  app->add_option("--snr", s.snr, "Langevin corrector signal-to-noise ratio (pc)")->capture_default_str();
  app->add_option("--corrector-steps", s.corrector, "Corrector steps per level (pc)")->capture_default_str();
  app->add_option("--final-step", s.final_step,
                  "pc: last step from sigma_min: mean (Tweedie), spread (+ the per-pixel spread below sigma_min), "
                  "exact (prior's spread x exact NUFFT likelihood; undoes the gridding) or auto (exact on the "
                  "convolved likelihood untempered, else mean)")
      ->capture_default_str();
  app->add_option("--final-probes", s.final_probes, "pc: Rademacher probes of the spread/exact final steps")
      ->capture_default_str();
  app->add_option("--levels", s.levels, "Noise levels (ald)")->capture_default_str();
  app->add_option("--step-size", s.step_size, "Kernel step size: ald epsilon, mala/hmc initial step (0 = default)");
  add_deprecated_alias(app, "--epsilon", s.step_size, "--step-size");
  app->add_option("--sigma-min", s.sigma_min,
                  "Smallest noise level, prior units (0 = the prior's; split-gibbs: smallest coupling rho, 0 = 4x the "
                  "prior's)");
  app->add_option("--sigma-max", s.sigma_max, "Largest noise level, prior units (0 = the prior's)");
}

void add_split_gibbs_options(CLI::App* app, SamplerSettings& s) {
  app->add_option("--prior-steps", s.prior_steps,
                  "split-gibbs: reverse-diffusion levels per prior step (iterations = steps / prior-steps)")
      ->capture_default_str();
  app->add_option("--anneal-fraction", s.anneal_fraction,
                  "split-gibbs: share of the iterations over which rho decreases to --sigma-min (then held there)")
      ->capture_default_str();
  app->add_option("--cg-max-iterations", s.split_gibbs_cg.max_iterations,
                  "split-gibbs: most conjugate-gradient iterations of a likelihood step")
      ->capture_default_str();
  app->add_option("--cg-tolerance", s.split_gibbs_cg.tolerance,
                  "split-gibbs: CG stops when the draw's error is below this many conditional standard deviations "
                  "per pixel")
      ->capture_default_str();
}

void add_anneal_options(CLI::App* app, LikelihoodAnneal& a) {
  app->add_option_function<std::string>(
         "--likelihood-anneal", [&a](const std::string& name) { a.kind = parse_anneal_kind(name); },
         "pc/ald/em: likelihood weight over the noise levels: none (constant), linear (in log sigma, from "
         "--likelihood-anneal-start x lambda at sigma_max to lambda at --likelihood-anneal-sigma) or sigma "
         "(lambda x min(1, (sigma_full/sigma)^2)); full lambda at sigma_min either way")
      ->check(CLI::IsMember({"none", "linear", "sigma"}))
      ->default_str("none");
  app->add_option("--likelihood-anneal-start", a.start, "linear anneal: share of lambda at sigma_max, in [0, 1]")
      ->capture_default_str();
  app->add_option("--likelihood-anneal-sigma", a.sigma_full,
                  "Noise level (prior units) at and below which the annealed weight is full (0 = --sigma-min)")
      ->capture_default_str();
}

}  // namespace

void add_posterior_options(CLI::App* app, PosteriorSettings& s) {
  add_sampler_kernel_options(app, s.sampler);
  add_split_gibbs_options(app, s.sampler);
  app->add_option("--likelihood", s.likelihood.likelihood, likelihood_registry().help())->capture_default_str();
  app->add_option("--pad", s.likelihood.pad, "Padding factor of the uv grid of the convolved likelihood")
      ->capture_default_str();
  app->add_option("--nufft-epsilon", s.likelihood.nufft_epsilon,
                  "NUFFT accuracy of everything that touches the data (dirty image, likelihood, chi2, residual)")
      ->capture_default_str();
  app->add_option("--likelihood-weight", s.tempering.likelihood_weight, "Likelihood weight lambda (tempering)")
      ->capture_default_str();
  app->add_option("--temperature", s.tempering.temperature, "Posterior temperature T")->capture_default_str();
  add_anneal_options(app, s.tempering.anneal);
}

void add_study_options(CLI::App* app, const StudyOptions& o) {
  app->add_option("--n", o.n, "Number of simulated observations")->capture_default_str();
  app->add_option("--prior", o.prior,
                  "Diffusion-prior checkpoint, or " + prior_syntax_list(PriorRole::kSampling) + " (Jy/pixel)");
  app->add_option("--size", o.size, "Image side, pixels")->capture_default_str();
  app->add_option("--scale", o.scale, "Pixel size (bare number: arcsec)")->capture_default_str();
  app->add_option("--nsamples", o.nsamples, "Posterior samples per simulation")->capture_default_str();
  app->add_option("--batch", o.batch, "Chains advanced together")->capture_default_str();
  add_posterior_options(app, o.posterior);
  app->add_option("--freq", o.freq, "Observing frequency")->capture_default_str();
  app->add_option("--integration", o.integration, "Integration time per dump")->capture_default_str();
}

}  // namespace penumbra::cli
