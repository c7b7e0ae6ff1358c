// Library form of the posterior-sampling and MAP pipelines (see the header).
#include "src/pipelines/posterior_pipeline.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "instruments/dirty_image.hpp"
#include "instruments/gridded_visibilities.hpp"
#include "instruments/torch/convolved_likelihood.hpp"
#include "instruments/torch/nufft_operator.hpp"
#include "priors/analytic_priors.hpp"
#include "priors/diffusion_prior.hpp"
#include "samplers/diffusion_samplers.hpp"
#include "samplers/driver.hpp"
#include "samplers/map_estimate.hpp"
#include "samplers/mcmc.hpp"
#include "samplers/posterior.hpp"
#include "samplers/split_gibbs.hpp"
#include "src/core/errors.hpp"
#include "src/core/log.hpp"
#include "src/core/rng.hpp"
#include "src/diagnostics/posterior_summary.hpp"

namespace penumbra {
namespace pipeline_impl {

std::vector<double> spec_numbers(const std::string& spec, std::size_t n) {
  std::vector<double> v;
  auto rest = spec.substr(spec.find(':') + 1);
  std::size_t pos = 0;
  while (pos <= rest.size()) {
    auto comma = rest.find(',', pos);
    auto item = rest.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    try {
      std::size_t used = 0;
      v.push_back(std::stod(item, &used));
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      throw UsageError(fmt::format("--prior {}: '{}' is not a number", spec, item));
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  if (v.size() != n)
    throw UsageError(fmt::format("--prior {}: expected {} numbers after ':', got {}", spec, n, v.size()));
  return v;
}

at::Tensor complex_data(const VisibilitySet& vis) {
  auto y = torch::empty({static_cast<std::int64_t>(vis.size())}, torch::kComplexDouble);
  auto* p = y.data_ptr<c10::complex<double>>();
  for (std::size_t k = 0; k < vis.size(); ++k) p[k] = c10::complex<double>(vis.vis[k].real(), vis.vis[k].imag());
  return y;
}

std::vector<double> to_vec(const at::Tensor& t) {
  auto c = t.to(torch::kFloat64).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

}  // namespace pipeline_impl

PipelinePrior load_pipeline_prior(const std::string& spec, int size) {
  using pipeline_impl::spec_numbers;
  PipelinePrior lp;
  lp.spec = spec;
  if (spec.empty()) throw UsageError("--prior is empty: give gaussian:MEAN,STD, laplace:LOC,SCALE, "
                                     "spectrum:VARIANCE,SLOPE or a checkpoint");
  if (spec.rfind("gaussian:", 0) == 0) {
    auto v = spec_numbers(spec, 2);
    if (!(v[1] > 0)) throw UsageError(fmt::format("--prior {}: STD must be > 0", spec));
    // Sampled in units of STD (x_phys = STD·x ~ N(MEAN, STD²)): the samplers' default
    // step sizes and initial states N(0, 1) are then on the posterior's scale.
    lp.prior = std::make_shared<GaussianPrior>(v[0] / v[1], 1.0);
    lp.units.scale = v[1];
  } else if (spec.rfind("laplace:", 0) == 0) {
    auto v = spec_numbers(spec, 2);
    if (!(v[1] > 0)) throw UsageError(fmt::format("--prior {}: SCALE must be > 0", spec));
    lp.prior = std::make_shared<LaplacePrior>(v[0] / v[1], 1.0);  // in units of SCALE, as above
    lp.units.scale = v[1];
  } else if (spec.rfind("spectrum:", 0) == 0) {
    auto v = spec_numbers(spec, 2);
    if (size <= 0) throw UsageError("--prior spectrum:... needs --size");
    if (!(v[0] > 0)) throw UsageError(fmt::format("--prior {}: VARIANCE must be > 0", spec));
    lp.prior = std::make_shared<StationaryGaussianPrior>(0.0, power_law_spectrum(size, size, 1.0, v[1]));
    lp.units.scale = std::sqrt(v[0]);  // unit per-pixel variance in prior units, as above
  } else {
    require_exists(spec, "prior checkpoint");
    auto dp = DiffusionPrior::load(spec);
    lp.prior = dp;
    lp.units.scale = dp->data_info().unit == "Jy/pixel" ? dp->data_info().scale : 0.0;
  }
  if (size > 0 && lp.prior->height() > 0 && (lp.prior->height() != size || lp.prior->width() != size))
    throw UsageError(fmt::format("prior {} is defined on {}x{} images but --size is {}", spec,
                                 lp.prior->width(), lp.prior->height(), size));
  return lp;
}

void SamplerSettings::validate() const {
  static const char* kSamplers[] = {"pc", "ald", "em", "mala", "hmc", "split-gibbs"};
  if (std::find(std::begin(kSamplers), std::end(kSamplers), sampler) == std::end(kSamplers))
    throw UsageError(fmt::format("--sampler must be pc, ald, em, mala, hmc or split-gibbs, got '{}'", sampler));
  if (prior_steps < 1) throw UsageError(fmt::format("--prior-steps must be >= 1, got {}", prior_steps));
  if (!(anneal_fraction >= 0 && anneal_fraction <= 1))
    throw UsageError(fmt::format("--anneal-fraction must be in [0, 1], got {}", anneal_fraction));
  if (split_gibbs_cg.max_iterations < 1)
    throw UsageError(fmt::format("--cg-max-iterations must be >= 1, got {}", split_gibbs_cg.max_iterations));
  if (!(split_gibbs_cg.tolerance > 0))
    throw UsageError(fmt::format("--cg-tolerance must be > 0, got {}", split_gibbs_cg.tolerance));
  if (sampler == "split-gibbs" && (tempering.likelihood_weight != 1.0 || tempering.temperature != 1.0))
    throw UsageError("--sampler split-gibbs samples the untempered posterior: drop --likelihood-weight/--temperature");
  if (steps < 1) throw UsageError(fmt::format("--steps must be >= 1, got {}", steps));
  if (likelihood != "convolved" && likelihood != "exact")
    throw UsageError(fmt::format("--likelihood must be convolved or exact, got '{}'", likelihood));
  if (pad < 1) throw UsageError(fmt::format("--pad must be >= 1, got {}", pad));
  if (final_step != "mean" && final_step != "spread" && final_step != "exact")
    throw UsageError(fmt::format("--final-step must be mean, spread or exact, got '{}'", final_step));
  if (final_step != "mean" && sampler != "pc")
    throw UsageError(fmt::format("--final-step {} applies to the pc sampler, not {}", final_step, sampler));
  if (final_probes < 1) throw UsageError(fmt::format("--final-probes must be >= 1, got {}", final_probes));
  if (final_step == "exact" && (tempering.likelihood_weight != 1.0 || tempering.temperature != 1.0))
    throw UsageError("--final-step exact samples the untempered posterior: drop --likelihood-weight/--temperature");
}

void SamplerSettings::add_to_fingerprint(nlohmann::json& j) const {
  j["sampler"] = sampler;
  j["steps"] = steps;
  j["levels"] = levels;
  j["corrector"] = corrector;
  j["snr"] = snr;
  j["epsilon"] = epsilon;
  j["sigma_min"] = sigma_min;
  j["sigma_max"] = sigma_max;
  j["likelihood"] = likelihood;
  j["pad"] = pad;
  if (final_step != "mean") {
    j["final_step"] = final_step;
    j["final_probes"] = final_probes;
  }
  if (sampler == "split-gibbs") {
    j["prior_steps"] = prior_steps;
    const SamplerSettings d;
    if (anneal_fraction != d.anneal_fraction) j["anneal_fraction"] = anneal_fraction;
    if (split_gibbs_cg.max_iterations != d.split_gibbs_cg.max_iterations)
      j["cg_max_iterations"] = split_gibbs_cg.max_iterations;
    if (split_gibbs_cg.tolerance != d.split_gibbs_cg.tolerance) j["cg_tolerance"] = split_gibbs_cg.tolerance;
  }
  if (tempering.likelihood_weight != 1.0 || tempering.temperature != 1.0) {
    j["likelihood_weight"] = tempering.likelihood_weight;
    j["temperature"] = tempering.temperature;
  }
  if (nufft_epsilon != SamplerSettings{}.nufft_epsilon) j["nufft_epsilon"] = nufft_epsilon;
}

std::unique_ptr<Sampler> make_pipeline_sampler(const SamplerSettings& o, std::shared_ptr<const Posterior> post,
                                               std::shared_ptr<const Likelihood> exact) {
  o.validate();
  NoiseLevels noise{o.sigma_max, o.sigma_min};
  if (o.sampler == "pc") {
    PredictorCorrectorOptions p;
    p.noise = noise;
    p.corrector_steps = o.corrector;
    p.levels = std::max<std::int64_t>(1, o.steps / (1 + o.corrector));
    p.snr = o.snr;
    p.final_step = o.final_step == "exact"    ? FinalStep::kExact
                   : o.final_step == "spread" ? FinalStep::kSpread
                                              : FinalStep::kMean;
    p.final_probes = o.final_probes;
    p.final_likelihood = std::move(exact);
    return std::make_unique<PredictorCorrector>(post, p);
  }
  if (o.sampler == "split-gibbs") {
    SplitGibbsOptions g;
    g.coupling = noise;
    g.prior_steps = o.prior_steps;
    g.anneal_fraction = o.anneal_fraction;
    g.cg.max_iterations = o.split_gibbs_cg.max_iterations;
    g.cg.tolerance = o.split_gibbs_cg.tolerance;
    g.iterations = std::max<std::int64_t>(1, o.steps / o.prior_steps);
    return std::make_unique<SplitGibbs>(post, g);
  }
  if (o.sampler == "ald") {
    AnnealedLangevinOptions a;
    a.noise = noise;
    a.levels = std::min(o.levels, o.steps);
    a.steps_per_level = std::max<std::int64_t>(1, o.steps / a.levels);
    if (o.epsilon > 0) a.epsilon = o.epsilon;
    return std::make_unique<AnnealedLangevin>(post, a);
  }
  if (o.sampler == "em") {
    EulerMaruyamaOptions e;
    e.noise = noise;
    e.steps = o.steps;
    return std::make_unique<EulerMaruyama>(post, e);
  }
  if (o.sampler == "mala") {
    MalaOptions m;
    m.steps = o.steps;
    m.adapt_steps = o.steps / 2;
    if (o.epsilon > 0) m.step_size = o.epsilon;
    return std::make_unique<Mala>(post, m);
  }
  HmcOptions h;
  h.leapfrog_steps = 10;
  h.steps = std::max<std::int64_t>(1, o.steps / h.leapfrog_steps);
  h.adapt_steps = h.steps / 2;
  if (o.epsilon > 0) h.step_size = o.epsilon;
  return std::make_unique<Hmc>(post, h);
}

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

PosteriorModel make_posterior_model(const VisibilitySet& vis, const ImageGrid& grid, const PipelinePrior& lp,
                                    const SamplerSettings& s) {
  s.validate();
  if (grid.nx != grid.ny) throw UsageError(fmt::format("square images only, got {}x{}", grid.nx, grid.ny));
  if (!(lp.units.scale > 0))
    throw InternalError(fmt::format("make_posterior_model: prior {} has no Jy/pixel scale", lp.spec));
  PosteriorModel m;
  m.size = grid.nx;
  m.units = lp.units;
  const int n = grid.nx;
  // split-gibbs always samples with the exact likelihood (its likelihood step is an exact Gaussian draw).
  const bool exact_sampling = s.likelihood == "exact" || s.sampler == "split-gibbs";
  if (!exact_sampling) {
    int pad = s.pad * n;
    if ((pad - n) % 2) ++pad;  // the image sits centred in the padded grid
    auto g = grid_visibilities(vis, ImageGrid{pad, pad, grid.cell, grid.ra, grid.dec});
    auto c = std::make_shared<ConvolvedGriddedLikelihood>(g, n, lp.units, torch::kFloat);
    m.gridded_cells = c->occupied_cells();
    m.likelihood = c;
  }
  std::shared_ptr<const Likelihood> exact;
  if (exact_sampling || s.final_step == "exact") {
    auto op = std::make_shared<NufftOperator>(vis.u, vis.v, grid, s.nufft_epsilon, s.threads);
    exact = std::make_shared<NufftLikelihood>(op, vis, lp.units);
    if (exact_sampling) m.likelihood = exact;
  }
  auto post = std::make_shared<Posterior>(lp.prior, m.likelihood, s.tempering);
  m.sampler = make_pipeline_sampler(s, post, s.final_step == "exact" ? exact : nullptr);
  m.posterior = post;
  return m;
}

std::int64_t batch_count(std::int64_t nsamples, std::int64_t batch) {
  if (nsamples < 1 || batch < 1) throw UsageError("--nsamples and --batch must be >= 1");
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

PosteriorRun sample_observation(const VisibilitySet& vis, const ImageGrid& grid, PipelinePrior lp,
                                const SamplerSettings& s, std::int64_t nsamples, std::int64_t batch,
                                std::uint64_t seed, Progress* progress) {
  s.validate();
  batch_count(nsamples, batch);  // validates before the dirty image is made
  if (!(lp.units.scale > 0)) {
    DirtyImageOptions dopt;
    dopt.epsilon = s.nufft_epsilon;
    dopt.threads = s.threads;
    auto d = make_dirty_image(vis, vis.weight, grid, dopt);
    set_units_from_dirty(lp.units, d.dirty, d.psf, "observation");
  }
  auto m = make_posterior_model(vis, grid, lp, s);
  BatchHooks hooks;
  hooks.progress = progress;
  PosteriorRun r;
  r.samples = sample_batches(m, nsamples, batch, seed, hooks);
  r.units = m.units;
  r.describe = m.describe();
  r.score_evaluations = m.sampler->total_steps();
  return r;
}

void MapImagingOptions::validate() const {
  if (prior != "mem" && prior != "tv" && prior != "l1")
    throw UsageError(fmt::format("--prior must be mem, tv or l1, got '{}'", prior));
  if (!(lambda > 0) || !std::isfinite(lambda))
    throw UsageError(fmt::format("--lambda must be a positive number, got {}", lambda));
  if (max_iterations < 1) throw UsageError(fmt::format("--max-iterations must be >= 1, got {}", max_iterations));
  if (!(tolerance > 0)) throw UsageError(fmt::format("--tolerance must be > 0, got {}", tolerance));
}

at::Tensor images_reduced_chi2(const VisibilitySet& vis, const ImageGrid& grid, const at::Tensor& images,
                               double eps) {
  NufftOperator op(vis.u, vis.v, grid, eps);
  auto y = pipeline_impl::complex_data(vis);
  auto w = torch::tensor(vis.weight, torch::kFloat64);
  auto x = images.to(torch::kFloat64);
  std::vector<at::Tensor> chis;
  for (std::int64_t k = 0; k < x.size(0); k += 16)
    chis.push_back(reduced_chi2(op.apply(x.narrow(0, k, std::min<std::int64_t>(16, x.size(0) - k))), y, w));
  return torch::cat(chis);
}

double image_reduced_chi2(const VisibilitySet& vis, const ImageGrid& grid, const std::vector<double>& image,
                          double eps) {
  if (image.size() != grid.size())
    throw InternalError(fmt::format("image_reduced_chi2: {} pixels for a {}x{} grid", image.size(), grid.nx, grid.ny));
  auto x = torch::from_blob(const_cast<double*>(image.data()), {1, grid.ny, grid.nx}, torch::kFloat64).clone();
  return images_reduced_chi2(vis, grid, x, eps)[0].item<double>();
}

std::vector<double> residual_dirty_image(const VisibilitySet& vis, const std::vector<double>& imaging_weight,
                                         const ImageGrid& grid, const std::vector<double>& image, double eps) {
  NufftOperator op(vis.u, vis.v, grid, eps);
  auto x = torch::from_blob(const_cast<double*>(image.data()), {1, grid.ny, grid.nx}, torch::kFloat64).clone();
  auto m = op.apply(x).squeeze(0).contiguous();
  const auto* p = m.data_ptr<c10::complex<double>>();
  VisibilitySet r = vis;
  for (std::size_t k = 0; k < r.size(); ++k) r.vis[k] -= std::complex<double>(p[k].real(), p[k].imag());
  DirtyImageOptions dopt;
  dopt.epsilon = eps;
  dopt.make_psf = false;
  return make_dirty_image(r, imaging_weight, grid, dopt).dirty;
}

MapImagingResult map_image(const VisibilitySet& vis, const ImageGrid& grid, const MapImagingOptions& o) {
  o.validate();
  DirtyImageOptions dopt;
  dopt.epsilon = o.nufft_epsilon;
  auto d = make_dirty_image(vis, vis.weight, grid, dopt);
  MapImagingResult r;
  r.pixel_unit = dirty_peak_jy_per_pixel(d.dirty, d.psf, "observation");
  const double beam = psf_beam_area_pixels(d.psf);

  std::shared_ptr<const Prior> prior;
  if (o.prior == "mem") prior = std::make_shared<MaxEntropyPrior>(o.lambda, 1e-3);
  else if (o.prior == "tv") prior = std::make_shared<TotalVariationPrior>(o.lambda, 1e-3);
  else prior = std::make_shared<LaplacePrior>(0.0, 1.0 / o.lambda);
  auto op = std::make_shared<NufftOperator>(vis.u, vis.v, grid, o.nufft_epsilon);
  auto lik = std::make_shared<NufftLikelihood>(op, vis, PixelUnits{r.pixel_unit, 0.0});
  Posterior post(prior, lik);

  // Start: the dirty image in Jy/pixel (Jy/beam over the beam area), or zero.
  auto x0 = torch::zeros({grid.ny, grid.nx}, torch::kFloat64);
  if (o.start_from_dirty) {
    x0 = torch::tensor(d.dirty, torch::kFloat64).reshape({grid.ny, grid.nx}) / (beam * r.pixel_unit);
    if (o.positive || o.prior == "mem") x0 = x0.clamp_min(0.0);
  }
  r.start = pipeline_impl::to_vec(x0 * r.pixel_unit);
  r.chi2_start = image_reduced_chi2(vis, grid, r.start, o.nufft_epsilon);
  MapOptions mo;
  mo.max_iterations = o.max_iterations;
  mo.tolerance = o.tolerance;
  mo.nonnegative = o.positive;
  auto res = map_estimate(post, x0, mo);
  auto img = res.image;
  if (o.prior == "mem") img = img.clamp_min(0.0);  // MEM's image is the positive part (x̃ → x for x ≫ ε)
  r.image = pipeline_impl::to_vec(img * r.pixel_unit);
  r.energy = res.energy;
  r.iterations = res.iterations;
  r.converged = res.converged;
  r.chi2 = image_reduced_chi2(vis, grid, r.image, o.nufft_epsilon);
  return r;
}

}  // namespace penumbra
