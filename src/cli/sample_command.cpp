// penumbra sample: posterior samples of the sky image from visibilities under a
// score-based (or analytic) prior — the project's main job. The run itself is
// src/pipelines/posterior_run.hpp; this file parses, resolves the defaults and prints.
//
//   penumbra sample [INPUT] --prior CKPT --size N --scale CELL --nsamples K
//                   --sampler pc|ald|em|... --steps S --batch B [--truth FITS] [--resume]
//
// With no input it samples the embedded demo (data/demo/, made by `penumbra
// simulate`) with the shipped prior (data/prior/default.ckpt) and reports the RMSE
// of the posterior mean against the truth, the mean reduced χ² and the 68/95 %
// credible-interval coverage of the truth. --steps counts score evaluations
// (network forward passes) for every sampler. Under `mpirun -n K` the batches are
// split over the ranks and rank 0 writes the same files as one process would.
#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "priors/diffusion_prior.hpp"
#include "src/cli/commands.hpp"
#include "src/cli/gaussian_limit_flags.hpp"
#include "src/cli/deprecated_flags.hpp"
#include "src/cli/sampler_options.hpp"
#include "src/cli/shared_run_folder.hpp"
#include "src/cli/visibility_input.hpp"
#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/progress.hpp"
#include "src/core/units.hpp"
#include "src/io/fits_image.hpp"
#include "src/parallel/communicator.hpp"
#include "src/pipelines/posterior_model.hpp"
#include "src/pipelines/posterior_run.hpp"
#include "src/pipelines/truth_image.hpp"

namespace fs = std::filesystem;

namespace penumbra::cli {
namespace sample_detail {

struct SampleOptions {
  VisibilityInput in;
  std::string prior, scale, truth, wavelength;
  int size = 0;
  std::int64_t nsamples = 16, batch = 16;
  PosteriorSettings posterior;
  GaussianLimitSettings gaussian_limit;
  double flux_scale = 0;      // 0: not given (the prior's, or the dirty-image estimate)
  bool flux_scale_given = false;
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

// No input: the demo observation, its truth, and the shipped prior.
void resolve_defaults(SampleOptions& o) {
  if (o.in.input.empty()) {
    const fs::path demo = data_dir() / "demo";
    auto input = first_existing(demo, {"observation.ms", "observation.txt.gz", "observation.txt.bz2", "observation.txt"});
    if (input.empty())
      throw MissingInputError(fmt::format("no input given and no demo observation in {} (make it with "
                                          "`penumbra simulate --out {}`)",
                                          demo.string(), demo.string()));
    o.in.input = input.string();
    if (o.truth.empty()) o.truth = first_existing(demo, {"truth.fits"}).string();
  }
  if (o.prior.empty()) {
    auto p = first_existing(data_dir() / "prior", {"default.ckpt"});
    o.prior = p.empty() ? DiffusionPrior::default_checkpoint_path().string() : p.string();
  }
  if (!o.wavelength.empty())  // the deprecated --wavelength of uvtables, as a frequency
    o.in.freq = fmt::format("{}Hz", kSpeedOfLight / parse_length(o.wavelength, "m"));
}

// Everything the run needs, read and checked; the grid from --size/--scale, the prior or the truth.
PosteriorRunRequest make_request(SampleOptions& o, std::uint64_t seed) {
  PosteriorRunRequest r;
  r.settings = o.posterior;
  r.nsamples = o.nsamples;
  r.batch = o.batch;
  r.settings.validate();  // bad settings fail before any input is read
  batch_count(r.nsamples, r.batch);
  resolve_defaults(o);
  std::optional<FitsImage> truth;
  if (!o.truth.empty()) {
    require_exists(o.truth, "truth image");
    truth = read_fits_image(o.truth);
  }
  r.prior = load_pipeline_prior(o.prior, o.size, o.gaussian_limit);  // a checkpoint's size ≠ --size → UsageError
  if (o.flux_scale_given) require_positive("flux scale", o.flux_scale);
  r.flux_scale = o.flux_scale;
  r.validate_units();
  int size = o.size > 0 ? o.size : r.prior.prior->height() > 0 ? r.prior.prior->height() : (truth ? truth->grid.nx : 0);
  if (size <= 0) throw UsageError("--size is required (the prior does not fix the image size)");
  double cell = !o.scale.empty() ? parse_angle(o.scale, "asec") : truth ? truth->grid.cell : 0.0;
  if (!(cell > 0)) throw UsageError("--scale is required (pixel size, e.g. 0.01asec)");
  if (truth) check_truth_cell(*truth, o.truth, cell);
  // Read last: a prior, truth or size that cannot work is refused before millions of rows are.
  LoadedVisibilities data = read_visibilities(o.in);
  fit_grid(data, o.in, ImageGrid{size, size, cell, 0, 0});
  r.input = o.in.label();
  r.vis = std::move(data.vis);
  r.grid = data.grid;
  r.freq_hz = data.freq_hz;
  r.scale_spec = o.scale;
  r.seed = seed;
  if (truth) r.truth = truth_on_grid(*truth, o.truth, r.grid);
  r.truth_path = o.truth;
  r.resume = o.resume;
  r.stop_after = o.stop_after;
  r.validate();
  return r;
}

void print_report(const nlohmann::json& s, const PosteriorRunRequest& r, const fs::path& dir) {
  const double secs = s["seconds_sampling"].get<double>();
  const auto k = s["nsamples"].get<std::int64_t>();
  fmt::print("samples: {} of {}x{} in {} ({} per sample), likelihood {}, sampler {}\n", k, r.grid.nx, r.grid.ny,
             format_seconds(secs), format_seconds(secs / static_cast<double>(k)), s["likelihood"].get<std::string>(),
             r.settings.sampler.sampler);
  fmt::print("reduced chi2 (mean over samples): {:.4f}\n", s["reduced_chi2_mean"].get<double>());
  const auto& pp = s["posterior_predictive"];
  std::string bins;
  for (const auto& b : pp["uv_bins"]) bins += fmt::format(" {:.2f}", b["chi2_of_mean"].get<double>());
  fmt::print("posterior predictive: {} the data (chi2 in [{}, {}]); chi2 of the mean per uv bin, short to long:{} "
             "(chi2_uv.csv)\n",
             pp["fits"].get<bool>() ? "fits" : "does NOT fit", pp["chi2_fit_range"][0].get<double>(),
             pp["chi2_fit_range"][1].get<double>(), bins);
  if (!r.truth.empty())
    fmt::print("rmse vs truth: {:.4g} Jy/pixel ({:.2f}% of peak); coverage 68%: {:.3f}, 95%: {:.3f} (on the emission: "
               "{:.3f}, {:.3f})\n",
               s["rmse_vs_truth"].get<double>(), 100 * s["rmse_vs_truth_relative_to_peak"].get<double>(),
               s["coverage_68"].get<double>(), s["coverage_95"].get<double>(),
               s["coverage_emission"]["coverage_68"].get<double>(), s["coverage_emission"]["coverage_95"].get<double>());
  fmt::print("outputs in {}\n", dir.string());
}

void run_sample(Context& ctx, SampleOptions o) {
  PosteriorRunRequest request = make_request(o, ctx.seed());
  PosteriorRunReport report = run_posterior(request, shared_run_dir(ctx, "sample"));
  if (!report.written) return;  // interrupted, or a rank other than 0 (which wrote the outputs)
  RunFolder& run = ctx.run("sample");
  const nlohmann::json& s = report.summary;
  nlohmann::json results = {{"reduced_chi2_mean", s["reduced_chi2_mean"]}, {"likelihood", s["likelihood"]},
                             {"ranks", parallel::size()}};
  for (const char* key : {"rmse_vs_truth", "coverage_68", "coverage_95"})
    if (s.contains(key)) results[key] = s[key];
  run.finish(results);
  print_report(s, request, run.dir());
}

void add_deprecated_input_flags(CLI::App* app, SampleOptions& o) {
  add_deprecated_alias(app, "--ms", o.in.input, "the positional INPUT");
  add_deprecated_alias(app, "--uvtable", o.in.input, "the positional INPUT");
  add_deprecated_alias(app, "--wavelength", o.wavelength, "--freq");
}

}  // namespace sample_detail

Runner add_sample(CLI::App& root) {
  auto o = std::make_shared<sample_detail::SampleOptions>();
  auto* app = root.add_subcommand(
      "sample",
      "Posterior samples of the sky image from visibilities under a score-based prior (no input: the embedded demo)");
  o->in.add_to(app, false);
  sample_detail::add_deprecated_input_flags(app, *o);
  app->add_option("--prior", o->prior,
                  "Prior: a diffusion-prior checkpoint, or " + prior_syntax_list(PriorRole::kSampling) +
                      " (analytic, Jy/pixel). Default: data/prior/default.ckpt");
  add_gaussian_limit_flags(app, o->gaussian_limit);
  app->add_option("--size", o->size, "Image size N (pixels per side); default: the prior's");
  app->add_option("--scale", o->scale, "Pixel size (e.g. 0.008asec; a bare number is arcsec)");
  app->add_option("--nsamples", o->nsamples, "Number of posterior samples")->capture_default_str();
  add_posterior_options(app, o->posterior);
  app->add_option("--batch", o->batch, "Chains advanced together (one checkpoint per batch)")->capture_default_str();
  app->add_option("--flux-scale", o->flux_scale,
                  "Jy/pixel per prior unit (default: from the checkpoint, or estimated from the dirty image for "
                  "peak-normalised priors)")
      ->each([o](const std::string&) { o->flux_scale_given = true; });
  app->add_option("--truth", o->truth, "Truth image (FITS, Jy/pixel) for RMSE and coverage");
  app->add_flag("--resume", o->resume, "Continue an interrupted run in the same --out folder");
  app->add_option("--stop-after", o->stop_after, "Stop after this many batches (testing --resume)")->group("");
  return [o](Context& ctx) { sample_detail::run_sample(ctx, *o); };
}

}  // namespace penumbra::cli
