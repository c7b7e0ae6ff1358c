// sample_posterior (the `penumbra sample` posterior on an Observation) and
// sample (any prior with a likelihood written in Python, called from C++).
#include <ATen/ATen.h>
#include <fmt/format.h>
#include <pybind11/stl.h>

#include <chrono>
#include <memory>

#include "python/src/arrays.hpp"
#include "python/src/bindings.hpp"
#include "python/src/io_types.hpp"
#include "python/src/prior_types.hpp"
#include "src/core/checks.hpp"
#include "src/core/progress.hpp"
#include "src/pipelines/planned_observation.hpp"
#include "src/pipelines/posterior_model.hpp"
#include "src/pipelines/posterior_run.hpp"
#include "src/pipelines/sampler_registry.hpp"

namespace penumbra::python {

namespace {

// Keyword settings → PosteriorSettings; ValueError naming a keyword it does not know.
PosteriorSettings posterior_settings(const py::kwargs& kw) {
  PosteriorSettings s;
  SamplerSettings& sa = s.sampler;
  LikelihoodSettings& li = s.likelihood;
  for (const auto& [key, value] : kw) {
    const auto k = key.cast<std::string>();
    if (k == "sampler") sa.sampler = value.cast<std::string>();
    else if (k == "steps") sa.steps = value.cast<std::int64_t>();
    else if (k == "levels") sa.levels = value.cast<std::int64_t>();
    else if (k == "corrector") sa.corrector = value.cast<std::int64_t>();
    else if (k == "snr") sa.snr = value.cast<double>();
    else if (k == "step_size") sa.step_size = value.cast<double>();
    else if (k == "sigma_min") sa.sigma_min = value.cast<double>();
    else if (k == "sigma_max") sa.sigma_max = value.cast<double>();
    else if (k == "final_step") sa.final_step = value.cast<std::string>();
    else if (k == "final_probes") sa.final_probes = value.cast<std::int64_t>();
    else if (k == "prior_steps") sa.prior_steps = value.cast<std::int64_t>();
    else if (k == "anneal_fraction") sa.anneal_fraction = value.cast<double>();
    else if (k == "likelihood") li.likelihood = value.cast<std::string>();
    else if (k == "pad") li.pad = value.cast<int>();
    else if (k == "epsilon") li.nufft_epsilon = value.cast<double>();
    else if (k == "likelihood_weight") s.tempering.likelihood_weight = value.cast<double>();
    else if (k == "temperature") s.tempering.temperature = value.cast<double>();
    else
      throw py::value_error(fmt::format(
          "unknown setting '{}'; known: sampler, steps, levels, corrector, snr, step_size, sigma_min, sigma_max, "
          "final_step, final_probes, prior_steps, anneal_fraction, likelihood, pad, epsilon, likelihood_weight, "
          "temperature",
          k));
  }
  s.validate();
  return s;
}

// Per-batch reports to a Python callable progress(samples_done, nsamples), and the
// library's progress bar on stderr unless quiet.
struct Reporting {
  py::handle callback;  // borrowed from the caller's arguments: no reference counting without the GIL
  std::unique_ptr<Progress> bar;
  std::int64_t nsamples = 0;

  Reporting(py::handle cb, bool quiet, std::int64_t n, std::int64_t total_steps) : callback(cb), nsamples(n) {
    if (!quiet) bar = std::make_unique<Progress>("sample", total_steps, "step");
  }
  // After each batch: Ctrl-C (KeyboardInterrupt) and the caller's callback; an exception from
  // either stops the run and reaches the caller.
  BatchHooks hooks() {
    BatchHooks h;
    h.progress = bar.get();
    h.on_batch = [this](std::int64_t, const at::Tensor& x) {
      done += x.size(0);
      py::gil_scoped_acquire acquire;
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
      if (!callback.is_none()) callback(done, nsamples);
      return true;
    };
    return h;
  }
  std::int64_t done = 0;
};

py::tuple sample_posterior(const PyObservation& o, const py::handle& prior_arg, int npix, const py::handle& cell,
                           std::int64_t nsamples, std::int64_t batch, std::uint64_t seed, double flux_scale,
                           const py::object& progress, bool quiet, const py::kwargs& kw) {
  PosteriorRunRequest r;  // its checks are the CLI's
  r.settings = posterior_settings(kw);
  r.nsamples = nsamples;
  r.batch = batch;
  r.prior = pipeline_prior(prior_arg, npix);
  if (npix <= 0) npix = r.prior.prior->height();
  if (npix <= 0) throw UsageError("npix is required (the prior does not fix the image size)");
  r.flux_scale = flux_scale;
  r.grid = square_grid(o, npix, angle_radians(cell, "cell"));
  check_uv_fits_grid(o.vis.u, o.vis.v, r.grid);
  r.validate();
  if (flux_scale > 0) r.prior.units.scale = flux_scale;
  py::dict summary;
  at::Tensor samples, chi2;
  {
    py::gil_scoped_release release;
    const auto t0 = std::chrono::steady_clock::now();
    const LikelihoodSettings& ls = r.settings.likelihood;
    PlannedObservation obs(o.vis, r.grid, ls.nufft_epsilon, ls.threads);
    if (!(r.prior.units.scale > 0)) {
      DirtyImage d = obs.dirty_image(obs.vis().weight);
      set_units_from_dirty(r.prior.units, d.dirty, d.psf, o.source);
    }
    PosteriorModel model = make_posterior_model(obs, r.prior, r.settings);
    Reporting report(progress, quiet, nsamples, batch_count(nsamples, batch) * model.sampler->total_steps());
    samples = sample_batches(model, nsamples, batch, seed, report.hooks());
    if (report.bar) report.bar->finish();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    chi2 = obs.reduced_chi2(samples);
    py::gil_scoped_acquire acquire;
    summary["describe"] = model.describe();
    summary["likelihood"] = model.likelihood->name();
    summary["seconds"] = seconds;
  }
  summary["scale"] = r.prior.units.scale;
  summary["offset"] = r.prior.units.offset;
  summary["reduced_chi2"] = array_of_tensor(chi2);
  summary["reduced_chi2_mean"] = chi2.mean().item<double>();
  summary["nvis"] = o.vis.size();
  return py::make_tuple(array_of_tensor(samples), summary);
}

// A likelihood written in Python: obj.score(x, sigma) -> [B, H, W] and optionally
// obj.energy(x) -> [B], both in Jy/pixel. Chains run in the prior's units, so
// x_phys = scale·x + offset, σ_phys = scale·σ, and the score is scaled back
// (d/dx = scale · d/dx_phys). The sampler runs without the GIL; each call takes it.
class PythonLikelihood final : public Likelihood {
 public:
  PythonLikelihood(py::object obj, PixelUnits units) : obj_(std::move(obj)), units_(units) {}
  ~PythonLikelihood() override {
    py::gil_scoped_acquire acquire;
    obj_ = py::object();
  }

  at::Tensor score(const at::Tensor& x, const at::Tensor& sigma) const override {
    py::gil_scoped_acquire acquire;
    py::array xs = array_of_tensor(physical(x));
    py::array ss = array_of_tensor((sigma.to(at::kDouble) * units_.scale).contiguous());
    auto r = as_array<double>(obj_.attr("score")(xs, ss), "likelihood.score(x, sigma)");
    require_shape(r, "likelihood.score(x, sigma)", {{x.size(0), x.size(1), x.size(2)}},
                  fmt::format("[{}, {}, {}] like x", x.size(0), x.size(1), x.size(2)));
    at::Tensor score = tensor_view(r) * units_.scale;
    // Non-finite scores at a finite x are the likelihood's fault; at a diverged x the driver names the step.
    if (!at::isfinite(score).all().item<bool>() && at::isfinite(x).all().item<bool>())
      require_finite_values(r, "likelihood.score(x, sigma)");
    return score.to(x.scalar_type());
  }

  at::Tensor energy(const at::Tensor& x) const override {
    py::gil_scoped_acquire acquire;
    if (!py::hasattr(obj_, "energy"))
      throw UsageError("this sampler needs the likelihood's energy(x) (-log p(y | x), [B]); the likelihood has none");
    auto r = as_array<double>(obj_.attr("energy")(array_of_tensor(physical(x))), "likelihood.energy(x)");
    require_shape(r, "likelihood.energy(x)", {{x.size(0)}}, fmt::format("[{}]", x.size(0)));
    return tensor_view(r).clone();
  }

  std::string name() const override {
    py::gil_scoped_acquire acquire;
    return "python:" + py::str(py::type::of(obj_).attr("__name__")).cast<std::string>();
  }

 private:
  at::Tensor physical(const at::Tensor& x) const { return (x.to(at::kDouble) * units_.scale + units_.offset).contiguous(); }
  py::object obj_;
  PixelUnits units_;
};

py::tuple sample_with_likelihood(const py::handle& prior_arg, const py::object& likelihood, int npix,
                                 std::int64_t nsamples, std::int64_t batch, std::uint64_t seed, double flux_scale,
                                 const py::object& progress, bool quiet, const py::kwargs& kw) {
  PosteriorSettings s = posterior_settings(kw);
  if (!py::hasattr(likelihood, "score"))
    throw py::value_error("likelihood must have a method score(x, sigma) (see penumbra.Likelihood)");
  const SamplerEntry& entry = sampler_registry().get(s.sampler.sampler);
  if (entry.exact_likelihood_only || s.sampler.final_step == "exact")
    throw UsageError(fmt::format("sampler {} (final step {}) needs Penumbra's exact likelihood; use sample_posterior",
                                 s.sampler.sampler, s.sampler.final_step));
  PipelinePrior lp = pipeline_prior(prior_arg, npix);
  if (npix <= 0) npix = lp.prior->height();
  require_at_least("npix", npix, 2);
  batch_count(nsamples, batch);
  if (flux_scale > 0) lp.units.scale = flux_scale;
  if (!(lp.units.scale > 0))
    throw UsageError(fmt::format("prior {} is peak-normalised: give flux_scale (Jy/pixel per prior unit)", lp.spec));
  PosteriorModel m;
  m.size = npix;
  m.units = lp.units;
  m.likelihood = std::make_shared<PythonLikelihood>(likelihood, lp.units);
  m.posterior = std::make_shared<Posterior>(lp.prior, m.likelihood, s.tempering);
  m.sampler = entry.make(s.sampler, m.posterior, nullptr);
  Reporting report(progress, quiet, nsamples, batch_count(nsamples, batch) * m.sampler->total_steps());
  at::Tensor samples;
  {
    py::gil_scoped_release release;
    samples = sample_batches(m, nsamples, batch, seed, report.hooks());
    if (report.bar) report.bar->finish();
  }
  py::dict summary;
  summary["describe"] = m.describe();
  summary["scale"] = m.units.scale;
  summary["offset"] = m.units.offset;
  return py::make_tuple(array_of_tensor(samples), summary);
}

}  // namespace

void bind_posterior(py::module_& m) {
  m.def("sample_posterior", &sample_posterior, py::arg("obs"), py::arg("prior"), py::arg("npix") = 0,
        py::arg("cell") = py::none(), py::arg("nsamples") = 16, py::arg("batch") = 16, py::arg("seed") = 0,
        py::arg("flux_scale") = 0.0, py::arg("progress") = py::none(), py::arg("quiet") = true,
        R"(Posterior samples of the sky image of an Observation, as `penumbra sample` draws them.

Returns (samples [nsamples, npix, npix] float64 Jy/pixel, summary dict: describe,
likelihood, seconds, scale/offset (Jy/pixel = scale * prior unit + offset),
reduced_chi2 [nsamples], reduced_chi2_mean, nvis).

prior: a Prior, DiffusionPrior, or a --prior spec string. npix: image side (0: the
prior's). cell: pixel size, arcsec (number) or a string with a unit ('8mas').
flux_scale: Jy/pixel per unit of a checkpoint prior (0: the checkpoint's, or the
dirty-image estimate for peak-normalised priors). progress: callable(done, nsamples)
after each batch; quiet=False shows the library's progress bar on stderr.
Keyword settings (the CLI's flags): sampler ('pc', 'ald', 'em', 'mala', 'hmc',
'split-gibbs', ...), steps, levels, corrector, snr, step_size, sigma_min, sigma_max,
final_step, final_probes, prior_steps, anneal_fraction, likelihood ('convolved',
'exact'), pad, epsilon (NUFFT accuracy), likelihood_weight, temperature.
The same seed and settings give the CLI's samples (`penumbra --seed S sample ...`).)");
  m.def("sample", &sample_with_likelihood, py::arg("prior"), py::arg("likelihood"), py::arg("npix") = 0,
        py::arg("nsamples") = 16, py::arg("batch") = 16, py::arg("seed") = 0, py::arg("flux_scale") = 0.0,
        py::arg("progress") = py::none(), py::arg("quiet") = true,
        R"(Posterior samples under a prior and a likelihood written in Python: (samples, summary).

likelihood: an object with score(x, sigma) -> grad_x log p_sigma(y | x) [B, H, W] and
optionally energy(x) -> -log p(y | x) [B] (see penumbra.Likelihood); x [B, H, W] float64
in Jy/pixel, sigma [B] float64 noise levels in Jy/pixel (0: the exact likelihood). Penumbra's
sampler calls it from C++ once per step. Samples: [nsamples, npix, npix] float64 Jy/pixel.
Settings as for sample_posterior (samplers that need Penumbra's exact likelihood excluded).)");
}

}  // namespace penumbra::python
