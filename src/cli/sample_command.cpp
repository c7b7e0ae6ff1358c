// penumbra sample: posterior samples of the sky image from visibilities under a
// score-based (or analytic) prior — the project's main job.
//
//   penumbra sample --ms|--uvtable INPUT --prior CKPT --size N --scale CELL --nsamples K
//                   --sampler pc|ald|em --steps S --batch B --out DIR
//                   [--likelihood convolved|exact] [--truth FITS] [--resume]
//
// With no input it samples the embedded demo (data/demo/, made by `penumbra
// simulate`) with the shipped prior (data/prior/default.*) and reports the RMSE
// of the posterior mean against the truth, the mean reduced χ² and the 68/95 %
// credible-interval coverage of the truth.
//
// Outputs (run folder): samples.h5 (stack /samples [K, N, N] Jy/pixel, /chi2_reduced [K]),
// mean/std/q16/q50/q84.fits (Jy/pixel, SIN WCS), dirty.fits and residual.fits
// (Jy/beam), panel.png, summary.json, and batches/ (one file per finished batch:
// the checkpoint --resume continues from). --steps counts score evaluations
// (network forward passes) for every sampler.
#include <ATen/Parallel.h>
#include <fmt/format.h>
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "instruments/dirty_image.hpp"
#include "priors/diffusion_prior.hpp"
#include "samplers/sampler.hpp"
#include "src/cli/commands.hpp"
#include "src/cli/sampler_options.hpp"
#include "src/core/errors.hpp"
#include "src/core/log.hpp"
#include "src/core/progress.hpp"
#include "src/core/run_folder.hpp"
#include "src/core/units.hpp"
#include "src/pipelines/posterior_pipeline.hpp"
#include "src/diagnostics/posterior_summary.hpp"
#include "src/io/fits_image.hpp"
#include "src/io/hdf5_store.hpp"
#include "src/io/measurement_set.hpp"
#include "src/io/png.hpp"
#include "src/io/uvtable.hpp"

namespace fs = std::filesystem;

namespace penumbra::cli {
// A named namespace (not an anonymous one): the CLI is a unity build, and other
// commands' file-local helpers must not collide with these.
namespace sample_detail {

struct SampleOptions {
  std::string ms, uvtable, prior, scale, truth, column = "DATA";
  int size = 0;
  std::int64_t nsamples = 16, batch = 16;
  SamplerSettings sampler;  // sampler, steps, likelihood, pad, snr, …, tempering (posterior_pipeline.hpp)
  double flux_scale = 0;
  std::string wavelength;
  bool resume = false;
  int stop_after = 0;  // testing aid: stop after this many batches (simulates an interruption)
};

// data/ of the installation: $PENUMBRA_DATA_DIR, ./data, or <exe>/../data.
fs::path data_dir() {
  if (const char* env = std::getenv("PENUMBRA_DATA_DIR")) return env;
  if (fs::exists("data/demo") || fs::exists("data/prior")) return "data";
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (auto p = exe.parent_path(); !p.empty() && p != p.parent_path(); p = p.parent_path())
      if (fs::exists(p / "data" / "demo") || fs::exists(p / "data" / "prior")) return p / "data";
  }
  return "data";
}

fs::path first_existing(const fs::path& dir, const std::vector<std::string>& names) {
  for (auto& n : names)
    if (fs::exists(dir / n)) return dir / n;
  return {};
}

std::string fingerprint(const SampleOptions& o, std::uint64_t seed, const std::string& input) {
  nlohmann::json j = {{"input", input}, {"prior", o.prior},         {"size", o.size},
                      {"scale", o.scale}, {"nsamples", o.nsamples}, {"batch", o.batch},
                      {"flux_scale", o.flux_scale}, {"seed", seed}};
  o.sampler.add_to_fingerprint(j);
  return j.dump();
}

FitsImage fits_of(const std::vector<double>& pix, const ImageGrid& grid, double freq, const std::string& bunit,
                  const std::string& what) {
  FitsImage f;
  f.pixels = pix;
  f.grid = grid;
  f.freq_hz = freq;
  f.bunit = bunit;
  f.history["penumbra"] = "sample " + what;
  return f;
}

std::vector<double> to_vec(const at::Tensor& t) {
  auto c = t.to(torch::kFloat64).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

void run_sample(Context& ctx, SampleOptions o) {
  auto t_start = std::chrono::steady_clock::now();
  // ---- input
  fs::path demo = data_dir() / "demo";
  std::string input;
  Observation obs;
  bool demo_mode = o.ms.empty() && o.uvtable.empty();
  if (!o.ms.empty() && !o.uvtable.empty()) throw UsageError("give either --ms or --uvtable, not both");
  o.sampler.validate();  // bad sampler settings fail before any input is read
  if (demo_mode) {
    auto ms = first_existing(demo, {"observation.ms"});
    auto uvt = first_existing(demo, {"observation.txt.gz", "observation.txt.bz2", "observation.txt"});
    if (ms.empty() && uvt.empty())
      throw MissingInputError(fmt::format("no --ms/--uvtable given and no demo observation in {} (make it with "
                                          "`penumbra simulate --out {}`)",
                                          demo.string(), demo.string()));
    if (!ms.empty()) o.ms = ms.string(); else o.uvtable = uvt.string();
    if (o.truth.empty()) {
      auto t = first_existing(demo, {"truth.fits"});
      if (!t.empty()) o.truth = t.string();
    }
  }
  if (!o.ms.empty()) {
    require_exists(o.ms, "MeasurementSet");
    MsSelection sel;
    sel.column = o.column;
    obs = read_measurement_set(o.ms, sel);
    input = o.ms;
  } else {
    require_exists(o.uvtable, "uvtable");
    double wl = o.wavelength.empty() ? 0.0 : parse_length(o.wavelength, "m");
    obs = read_uvtable(o.uvtable, wl);
    input = o.uvtable;
  }
  VisibilitySet vis = obs.stokes_i();
  vis.validate(input);  // non-finite data → DataError naming the index

  // ---- truth (optional) fixes the grid when --size/--scale are not given
  std::optional<FitsImage> truth;
  if (!o.truth.empty()) {
    require_exists(o.truth, "truth image");
    truth = read_fits_image(o.truth);
  }

  // ---- prior
  if (o.prior.empty()) {
    auto p = first_existing(data_dir() / "prior", {"default.ckpt"});
    o.prior = p.empty() ? DiffusionPrior::default_checkpoint_path().string() : p.string();
  }
  PipelinePrior lp = load_pipeline_prior(o.prior, o.size);  // a checkpoint's size ≠ --size → UsageError
  if (o.size == 0) o.size = lp.prior->height() > 0 ? lp.prior->height() : (truth ? truth->grid.nx : 0);
  if (o.size <= 0) throw UsageError("--size is required (the prior does not fix the image size)");
  double cell = 0;
  if (!o.scale.empty()) cell = parse_angle(o.scale, "asec");
  else if (truth) cell = truth->grid.cell;
  else throw UsageError("--scale is required (pixel size, e.g. 0.01asec)");
  ImageGrid grid{o.size, o.size, cell, obs.ra, obs.dec};
  grid.validate();
  check_uv_fits_grid(vis.u, vis.v, grid);  // cell too coarse → UsageError with the cell that fits
  if (truth && (truth->grid.nx != o.size || truth->grid.ny != o.size))
    throw UsageError(fmt::format("truth image {} is {}x{} but --size is {}", o.truth, truth->grid.nx,
                                 truth->grid.ny, o.size));
  const std::int64_t nbatch = batch_count(o.nsamples, o.batch);
  double freq = obs.freq.empty() ? 0.0 : obs.freq[0];
  DirtyImageOptions dopt;
  dopt.epsilon = o.sampler.nufft_epsilon;
  auto dirty = make_dirty_image(vis, vis.weight, grid, dopt);
  std::string scale_source;
  if (o.flux_scale > 0) {
    if (!std::dynamic_pointer_cast<const DiffusionPrior>(lp.prior))
      throw UsageError(fmt::format("--flux-scale applies to checkpoint priors; {} is already in Jy/pixel", o.prior));
    lp.units.scale = o.flux_scale;
    scale_source = "--flux-scale";
  } else {
    scale_source = set_units_from_dirty(lp.units, dirty.dirty, dirty.psf, input);
  }
  log().info("sample: prior units -> Jy/pixel: x = {:.5g} * u + {:.3g} ({})", lp.units.scale, lp.units.offset,
             scale_source);

  RunFolder& run = ctx.run("sample");
  log().info("sample: {} visibilities from {}, grid {}x{} of {}, prior {} ({})", vis.size(), input, o.size, o.size,
             format_angle(cell), o.prior, lp.prior->name());
  PosteriorModel model = make_posterior_model(vis, grid, lp, o.sampler);
  const Likelihood& lik = *model.likelihood;
  const std::int64_t steps_per_batch = model.sampler->total_steps();
  log().info("sample: {}", model.describe());

  // ---- batches with checkpoints (one HDF5 file per finished batch)
  fs::path bdir = run.path("batches");
  fs::path state_path = run.path("sample_state.json");
  auto batch_file = [&](std::int64_t b) { return bdir / fmt::format("batch_{:05}.h5", b); };
  std::string fp = fingerprint(o, ctx.seed(), input);
  BatchHooks hooks;
  if (o.resume && fs::exists(state_path)) {
    auto st = nlohmann::json::parse(read_text(state_path));
    if (st.value("fingerprint", "") != fp)
      throw UsageError(fmt::format("--resume: {} was made with other options or seed; rerun without --resume or "
                                   "with the same options",
                                   state_path.string()));
    while (hooks.first_batch < nbatch && fs::exists(batch_file(hooks.first_batch))) ++hooks.first_batch;
    log().info("sample: resuming after {} finished batches", hooks.first_batch);
  } else {
    std::error_code ec;
    fs::remove_all(bdir, ec);
  }
  const std::int64_t first = hooks.first_batch;
  fs::create_directories(bdir);
  write_text_atomic(state_path, nlohmann::json{{"fingerprint", fp}}.dump(2) + "\n");

  Progress bar("sample", nbatch * steps_per_batch, "step");
  bar.set_done(first * steps_per_batch);
  hooks.progress = &bar;
  std::int64_t solver_iterations = 0;  // this run's batches only (not those before a --resume)
  hooks.solver_iterations = &solver_iterations;
  bool interrupted = false;
  hooks.on_batch = [&](std::int64_t b, const at::Tensor& x) {
    auto jy = x.to(torch::kFloat).contiguous();
    write_atomic(batch_file(b), [&](const fs::path& tmp) {
      Hdf5Store s(tmp, Hdf5Store::Mode::kCreate);
      Array<float> a;
      a.data.assign(jy.data_ptr<float>(), jy.data_ptr<float>() + jy.numel());
      a.shape = {static_cast<std::size_t>(jy.size(0)), static_cast<std::size_t>(o.size),
                 static_cast<std::size_t>(o.size)};
      s.write("/samples", a, "Jy/pixel");
    });
    interrupted = o.stop_after > 0 && b + 1 - first >= o.stop_after && b + 1 < nbatch;
    return !interrupted;
  };
  sample_batches(model, o.nsamples, o.batch, ctx.seed(), hooks);
  if (interrupted) {
    log().info("sample: stopping after {} batches (--stop-after)", o.stop_after);
    return;
  }
  bar.finish();
  double sample_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();

  // ---- gather (the checkpoints, so a resumed run summarises exactly what an uninterrupted one would)
  std::vector<at::Tensor> parts;
  for (std::int64_t b = 0; b < nbatch; ++b) {
    Hdf5Store s(batch_file(b), Hdf5Store::Mode::kRead);
    auto a = s.read_float("/samples");
    parts.push_back(torch::from_blob(a.data.data(), {static_cast<std::int64_t>(a.shape[0]), o.size, o.size},
                                     torch::kFloat)
                        .clone());
  }
  auto samples = torch::cat(parts, 0).to(torch::kFloat64);  // [K, N, N] Jy/pixel

  // ---- diagnostics
  const double eps = o.sampler.nufft_epsilon;
  PosteriorSummary sum = summarize_posterior(samples);
  auto chi2 = images_reduced_chi2(vis, grid, samples, eps);
  auto mean = to_vec(sum.mean);
  auto residual = residual_dirty_image(vis, vis.weight, grid, mean, eps);

  // ---- write
  write_atomic(run.path("samples.h5"), [&](const fs::path& tmp) {
    Hdf5Store s(tmp, Hdf5Store::Mode::kCreate);
    s.create_stack("/samples", {static_cast<std::size_t>(o.size), static_cast<std::size_t>(o.size)}, "Jy/pixel");
    auto f = samples.to(torch::kFloat).contiguous();
    s.append("/samples", f.data_ptr<float>(), static_cast<std::size_t>(f.size(0)));
    Array<double> c;
    c.data = to_vec(chi2);
    c.shape = {c.data.size()};
    s.write("/chi2_reduced", c, "");
    s.set_attr("/samples", "sampler", model.sampler->describe());
    s.set_attr("/samples", "posterior", model.posterior->describe());
    s.set_attr("/samples", "likelihood", lik.name());
    s.set_attr("/samples", "cell_rad", cell);
    s.set_attr("/samples", "ra_rad", obs.ra);
    s.set_attr("/samples", "dec_rad", obs.dec);
  });
  write_fits_image(run.path("mean.fits"), fits_of(mean, grid, freq, "Jy/pixel", "posterior mean"));
  write_fits_image(run.path("std.fits"), fits_of(to_vec(sum.std), grid, freq, "Jy/pixel", "posterior std"));
  write_fits_image(run.path("q16.fits"), fits_of(to_vec(sum.q16), grid, freq, "Jy/pixel", "16% quantile"));
  write_fits_image(run.path("q50.fits"), fits_of(to_vec(sum.q50), grid, freq, "Jy/pixel", "median"));
  write_fits_image(run.path("q84.fits"), fits_of(to_vec(sum.q84), grid, freq, "Jy/pixel", "84% quantile"));
  write_fits_image(run.path("dirty.fits"), fits_of(dirty.dirty, grid, freq, "Jy/beam", "dirty image"));
  write_fits_image(run.path("residual.fits"),
                   fits_of(residual, grid, freq, "Jy/beam", "residual dirty image of the mean"));

  std::vector<ImagePanel> panels;
  auto panel = [&](const std::vector<double>& pix, const std::string& title, ColorMap cm, const std::string& unit) {
    ImagePanel p;
    p.pixels = pix;
    p.nx = p.ny = o.size;
    p.title = title;
    p.cmap = cm;
    p.colorbar_label = unit;
    return p;
  };
  if (truth) panels.push_back(panel(truth->pixels, "truth", ColorMap::kInferno, "Jy/pixel"));
  panels.push_back(panel(dirty.dirty, "dirty", ColorMap::kInferno, "Jy/beam"));
  panels.push_back(panel(mean, "posterior mean", ColorMap::kInferno, "Jy/pixel"));
  panels.push_back(panel(to_vec(sum.std), "posterior std", ColorMap::kViridis, "Jy/pixel"));
  panels.push_back(panel(residual, "residual (mean)", ColorMap::kCoolwarm, "Jy/beam"));
  for (std::int64_t k = 0; k < std::min<std::int64_t>(3, samples.size(0)); ++k)
    panels.push_back(panel(to_vec(samples[k]), fmt::format("sample {}", k), ColorMap::kInferno, "Jy/pixel"));
  write_panels_png(run.path("panel.png"), panels, 4);

  nlohmann::json summary = {
      {"input", input},
      {"nvis", vis.size()},
      {"prior", o.prior},
      {"prior_name", lp.prior->name()},
      {"prior_units",
       {{"scale_jy_per_pixel", lp.units.scale}, {"offset_jy_per_pixel", lp.units.offset}, {"source", scale_source}}},
      {"likelihood", lik.name()},
      {"likelihood_weight", o.sampler.tempering.likelihood_weight},
      {"temperature", o.sampler.tempering.temperature},
      {"gridded_cells", model.gridded_cells},
      {"pad", o.sampler.pad},
      {"final_step", o.sampler.final_step},
      {"sampler", model.sampler->describe()},
      {"score_evaluations_per_sample", steps_per_batch},
      {"solver_iterations_per_batch",  // CG iterations (split-gibbs' likelihood steps), mean over this run's batches
       nbatch > first ? static_cast<double>(solver_iterations) / static_cast<double>(nbatch - first) : 0.0},
      {"nsamples", samples.size(0)},
      {"size", o.size},
      {"cell_arcsec", cell / kArcsec},
      {"reduced_chi2", to_vec(chi2)},
      {"reduced_chi2_mean", chi2.mean().item<double>()},
      {"reduced_chi2_of_mean", images_reduced_chi2(vis, grid, sum.mean.unsqueeze(0), eps)[0].item<double>()},
      {"flux_mean_jy", sum.mean.sum().item<double>()},
      {"flux_std_jy", samples.sum({1, 2}).std().item<double>()},
      {"seconds_sampling", sample_seconds},
      {"seconds_per_sample", sample_seconds / static_cast<double>(samples.size(0))},
      {"seed", ctx.seed()},
      {"resumed_after_batches", first},
  };
  if (truth) {
    auto t = torch::from_blob(truth->pixels.data(), {o.size, o.size}, torch::kFloat64).clone();
    auto tc = truth_comparison(samples, sum, t);
    summary["truth"] = o.truth;
    summary["rmse_vs_truth"] = tc.rmse;
    summary["rmse_vs_truth_relative_to_peak"] = tc.rmse / t.max().item<double>();
    summary["coverage_68"] = tc.coverage_68;
    summary["coverage_95"] = tc.coverage_95;
    summary["flux_truth_jy"] = t.sum().item<double>();
  }
  write_text_atomic(run.path("summary.json"), summary.dump(2) + "\n");
  nlohmann::json results = {{"reduced_chi2_mean", summary["reduced_chi2_mean"]}, {"likelihood", lik.name()}};
  if (truth) {
    results["rmse_vs_truth"] = summary["rmse_vs_truth"];
    results["coverage_68"] = summary["coverage_68"];
    results["coverage_95"] = summary["coverage_95"];
  }
  run.finish(results);
  fmt::print("samples: {} of {}x{} in {} ({} per sample), likelihood {}, sampler {}\n", samples.size(0), o.size,
             o.size, format_seconds(sample_seconds), format_seconds(sample_seconds / samples.size(0)), lik.name(),
             o.sampler.sampler);
  fmt::print("reduced chi2 (mean over samples): {:.4f}\n", summary["reduced_chi2_mean"].get<double>());
  if (truth)
    fmt::print("rmse vs truth: {:.4g} Jy/pixel ({:.2f}% of peak); coverage 68%: {:.3f}, 95%: {:.3f}\n",
               summary["rmse_vs_truth"].get<double>(),
               100 * summary["rmse_vs_truth_relative_to_peak"].get<double>(), summary["coverage_68"].get<double>(),
               summary["coverage_95"].get<double>());
  fmt::print("outputs in {}\n", run.dir().string());
}

}  // namespace sample_detail

Runner add_sample(CLI::App& root) {
  auto o = std::make_shared<sample_detail::SampleOptions>();
  auto* app = root.add_subcommand(
      "sample",
      "Posterior samples of the sky image from visibilities under a score-based prior (no input: the embedded demo)");
  auto* ms = app->add_option("--ms", o->ms, "Input MeasurementSet");
  auto* uvt = app->add_option("--uvtable", o->uvtable, "Input uvtable (u v Re Im weight; .txt, .gz, .bz2)");
  ms->excludes(uvt);
  app->add_option("--column", o->column, "MS data column")->capture_default_str();
  app->add_option("--wavelength", o->wavelength, "Observing wavelength of a uvtable (for the FITS FREQ axis)");
  app->add_option("--prior", o->prior,
                  "Prior: a diffusion-prior checkpoint, or gaussian:MEAN,STD | laplace:LOC,SCALE | "
                  "spectrum:VARIANCE,SLOPE (analytic, Jy/pixel). Default: data/prior/default");
  app->add_option("--size", o->size, "Image size N (pixels per side); default: the prior's");
  app->add_option("--scale", o->scale, "Pixel size (e.g. 0.008asec; a bare number is arcsec)");
  app->add_option("--nsamples", o->nsamples, "Number of posterior samples")->capture_default_str();
  add_sampler_options(app, o->sampler);
  app->add_option("--batch", o->batch, "Chains advanced together (one checkpoint per batch)")->capture_default_str();
  app->add_option("--flux-scale", o->flux_scale,
                  "Jy/pixel per prior unit (default: from the checkpoint, or estimated from the dirty image for "
                  "peak-normalised priors)");
  app->add_option("--truth", o->truth, "Truth image (FITS, Jy/pixel) for RMSE and coverage");
  app->add_flag("--resume", o->resume, "Continue an interrupted run in the same --out folder");
  app->add_option("--stop-after", o->stop_after, "Stop after this many batches (testing --resume)")
      ->group("");
  return [o](Context& ctx) { sample_detail::run_sample(ctx, *o); };
}

}  // namespace penumbra::cli
