#include "src/pipelines/posterior_model.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "samplers/driver.hpp"
#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/log.hpp"
#include "src/core/rng.hpp"
#include "src/pipelines/likelihood_registry.hpp"
#include "src/pipelines/planned_observation.hpp"
#include "src/pipelines/sampler_registry.hpp"

namespace penumbra {

double psf_beam_area_pixels(const std::vector<double>& psf) {
  double above = 0;
  for (double p : psf) above += p > 0.5;
  return std::max(1.0, above / std::log(2.0));
}

double dirty_peak_jy_per_pixel(const std::vector<double>& dirty, const std::vector<double>& psf,
                               const std::string& where) {
  double peak = dirty.empty() ? 0.0 : *std::max_element(dirty.begin(), dirty.end());
  if (!(peak > 0))
    throw DataError(fmt::format("{}: the dirty image has no positive peak (max {:.3g} Jy/beam); cannot set the "
                                "flux scale",
                                where, peak));
  return peak / psf_beam_area_pixels(psf);
}

std::string set_units_from_dirty(PixelUnits& units, const std::vector<double>& dirty, const std::vector<double>& psf,
                                 const std::string& where) {
  if (units.scale > 0) return "prior";
  // Peak-normalised prior: one network unit ≈ the image peak.
  units.scale = dirty_peak_jy_per_pixel(dirty, psf, where);
  return fmt::format("dirty peak {:.4g} Jy/beam / beam area {:.1f} px",
                     *std::max_element(dirty.begin(), dirty.end()), psf_beam_area_pixels(psf));
}

std::string PosteriorModel::describe() const { return posterior->describe() + "; " + sampler->describe(); }

PosteriorModel make_posterior_model(const PlannedObservation& obs, const PipelinePrior& lp,
                                    const PosteriorSettings& s) {
  s.validate();
  const ImageGrid& grid = obs.grid();
  if (grid.nx != grid.ny) throw UsageError(fmt::format("square images only, got {}x{}", grid.nx, grid.ny));
  if (!(lp.units.scale > 0))
    throw InternalError(fmt::format("make_posterior_model: prior {} has no Jy/pixel scale", lp.spec));
  PosteriorModel m;
  m.size = grid.nx;
  m.units = lp.units;
  const bool exact_sampling = s.exact_sampling();
  std::shared_ptr<const Likelihood> exact;
  SamplerSettings kernel = s.sampler;
  kernel.final_step = s.resolved_final_step();
  if (exact_sampling || kernel.final_step == "exact")
    exact = likelihood_registry().get("exact").make(obs, lp.units, s.likelihood).likelihood;
  if (exact_sampling) {
    m.likelihood = exact;
  } else {
    auto built = likelihood_registry().get(s.likelihood.likelihood).make(obs, lp.units, s.likelihood);
    m.likelihood = built.likelihood;
    m.gridded_cells = built.gridded_cells;
  }
  auto post = std::make_shared<Posterior>(lp.prior, m.likelihood,
                                          s.resolved_tempering(lp.prior->sigma_min(), lp.prior->sigma_max()));
  m.sampler = sampler_registry()
                  .get(s.sampler.sampler)
                  .make(kernel, post, kernel.final_step == "exact" ? exact : nullptr);
  m.posterior = post;
  return m;
}

std::int64_t batch_count(std::int64_t nsamples, std::int64_t batch) {
  require_at_least<std::int64_t>("nsamples", nsamples, 1);
  require_at_least<std::int64_t>("batch", batch, 1);
  return (nsamples + batch - 1) / batch;
}

at::Tensor sample_batches(const PosteriorModel& m, std::int64_t nsamples, std::int64_t batch, std::uint64_t seed,
                          const BatchHooks& hooks) {
  const std::int64_t nbatch = batch_count(nsamples, batch);
  const int n = m.size;
  std::vector<at::Tensor> parts;
  for (std::int64_t b = hooks.first_batch; b < nbatch; ++b) {
    std::int64_t nb = std::min(batch, nsamples - b * batch);
    // One stream per batch: a resumed run draws exactly what an uninterrupted one would.
    auto gen = make_generator(derive_seed(seed, 1000 + static_cast<std::uint64_t>(b)));
    DriverOptions d;
    d.progress = hooks.progress;
    d.check_every = 10;
    d.on_step = [&hooks](const StepInfo& info, const SamplerState&) {
      if (info.solver_iterations == 0) return;
      if (hooks.solver_iterations) *hooks.solver_iterations += info.solver_iterations;
      log().debug("step {}: sigma {:.4g}, {} solver iterations", info.step, info.sigma, info.solver_iterations);
    };
    auto x = sample_chains(*m.sampler, {nb, n, n, torch::kFloat}, gen, d);
    parts.push_back(x.to(torch::kFloat64) * m.units.scale + m.units.offset);
    if (hooks.on_batch && !hooks.on_batch(b, parts.back())) break;
  }
  if (parts.empty()) return torch::empty({0, n, n}, torch::kFloat64);
  return torch::cat(parts, 0);
}

PosteriorDraws sample_observation(const PlannedObservation& obs, PipelinePrior lp, const PosteriorSettings& s,
                                  std::int64_t nsamples, std::int64_t batch, std::uint64_t seed, Progress* progress) {
  s.validate();
  batch_count(nsamples, batch);  // validates before the dirty image is made
  if (!(lp.units.scale > 0)) {
    auto d = obs.dirty_image(obs.vis().weight);
    set_units_from_dirty(lp.units, d.dirty, d.psf, "observation");
  }
  auto m = make_posterior_model(obs, lp, s);
  BatchHooks hooks;
  hooks.progress = progress;
  PosteriorDraws r;
  r.samples = sample_batches(m, nsamples, batch, seed, hooks);
  r.units = m.units;
  r.describe = m.describe();
  return r;
}

}  // namespace penumbra
