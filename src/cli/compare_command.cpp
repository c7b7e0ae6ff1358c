// penumbra compare: baselines against a known truth on one (simulated)
// observation — dirty image, CLEAN, MAP, the posterior mean (from a `penumbra
// sample` run folder, or by sampling here with --prior), and WSClean's CLEAN
// when wsclean is installed and the input is a MeasurementSet. Metrics: RMSE,
// SSIM, total-flux error, residual χ² (src/pipelines/comparison.hpp).
//
// Outputs (run folder): comparison.csv, comparison.md, comparison.png (truth and
// every method, Jy/pixel, one colour scale), compare.json, and wsclean/ when run.
#include <fmt/format.h>
#include <ATen/core/Tensor.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "src/cli/commands.hpp"
#include "src/cli/sampler_options.hpp"
#include "src/cli/visibility_input.hpp"
#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/log.hpp"
#include "src/core/run_folder.hpp"
#include "src/core/units.hpp"
#include "src/pipelines/comparison.hpp"
#include "src/pipelines/planned_observation.hpp"
#include "src/pipelines/posterior_model.hpp"
#include "src/pipelines/posterior_outputs.hpp"
#include "src/pipelines/profile_comparison.hpp"
#include "src/pipelines/prior_registry.hpp"
#include "src/pipelines/truth_image.hpp"
#include "src/pipelines/wsclean_baseline.hpp"
#include "src/diagnostics/posterior_summary.hpp"
#include "src/io/fits_image.hpp"

namespace fs = std::filesystem;

namespace penumbra::cli::compare_impl {

struct Options {
  VisibilityInput in;
  GridInput grid;
  WeightingInput weighting;
  BaselineOptions base;
  std::string truth, posterior_dir, prior;
  std::string disk;  // "INC,PA" of the radial profiles (empty: none)
  PosteriorSettings posterior;
  std::int64_t nsamples = 16, batch = 16;
  std::string wsclean = "auto";  // auto | off
  std::string scale_shape = "paraboloid";
  std::string algorithm = "cotton-schwab";
};

// Options checked before any data are read.
ImageGrid validated_grid(Options& o, const FitsImage& truth) {
  if (o.grid.scale.empty()) o.grid.scale = fmt::format("{}asec", truth.grid.cell / kArcsec);
  if (o.grid.size <= 0) o.grid.size = truth.grid.nx;
  require_in("wsclean", o.wsclean, {"auto", "off"});
  ImageGrid grid = o.grid.grid();
  check_truth_cell(truth, o.truth, grid.cell);
  o.base.weighting = o.weighting.options();
  require_in("algorithm", o.algorithm, {"hogbom", "cotton-schwab"});
  o.base.clean.cotton_schwab = o.algorithm == "cotton-schwab";
  o.base.clean.scale_shape = parse_scale_shape(o.scale_shape);
  if (!o.base.clean.multiscale && !o.base.clean.scales.empty()) throw UsageError("--scales needs --multiscale");
  o.base.map.nufft_epsilon = o.posterior.likelihood.nufft_epsilon;  // one ε for the whole comparison
  o.base.map.validate();
  if (o.posterior_dir.empty() && !o.prior.empty()) o.posterior.validate();
  if (!o.disk.empty()) parse_disk_orientation(o.disk);
  return grid;
}

FitsImage read_truth(const std::string& path) {
  if (path.empty()) throw UsageError("--truth FITS (Jy/pixel) is required");
  require_exists(path, "truth image");
  FitsImage truth = read_fits_image(path);
  if (truth.bunit != "Jy/pixel" && truth.bunit != "JY/PIXEL")
    throw DataError(fmt::format("{}: BUNIT is '{}', expected Jy/pixel for a truth image", path, truth.bunit));
  return truth;
}

// The posterior mean's row: from a `penumbra sample` folder, or sampled here with
// --prior. Returns the samples (for the radial profile's band), [K][ny·nx] Jy/pixel.
std::vector<std::vector<double>> add_posterior_row(const Options& o, const PlannedObservation& obs,
                                                   const std::vector<double>& truth, std::uint64_t seed,
                                                   std::vector<ComparisonRow>& rows, nlohmann::json& extra) {
  if (!o.posterior_dir.empty()) {
    auto mean = read_image_on((fs::path(o.posterior_dir) / "mean.fits").string(), obs.grid(), "posterior mean");
    rows.push_back(score_image("posterior mean", mean, truth, obs, {}, "from " + o.posterior_dir));
    const fs::path h5 = fs::path(o.posterior_dir) / "samples.h5";
    return fs::exists(h5) ? read_posterior_samples(h5, obs.grid()) : std::vector<std::vector<double>>{};
  }
  if (o.prior.empty()) {
    extra["posterior"] = "not run (give --posterior DIR or --prior)";
    return {};
  }
  PipelinePrior lp = load_pipeline_prior(o.prior, obs.grid().nx);
  auto pr = sample_observation(obs, lp, o.posterior, o.nsamples, o.batch, seed);
  rows.push_back(score_image("posterior mean", to_vector(summarize_posterior(pr.samples).mean), truth, obs, {},
                             fmt::format("{} samples, {} {} steps", o.nsamples, o.posterior.sampler.sampler,
                                         o.posterior.sampler.steps)));
  extra["posterior"] = pr.describe;
  std::vector<std::vector<double>> samples;
  for (std::int64_t k = 0; k < pr.samples.size(0); ++k) samples.push_back(to_vector(pr.samples[k]));
  return samples;
}

// Rings and gaps against the truth's (--disk): the beam is the CLEAN row's.
void add_radial_profiles(const Options& o, const std::vector<ComparisonRow>& rows, const std::vector<double>& truth,
                         const std::vector<std::vector<double>>& samples, const ImageGrid& grid,
                         const fs::path& dir, nlohmann::json& extra) {
  if (o.disk.empty()) return;
  ProfileRequest req;
  req.disk = parse_disk_orientation(o.disk);
  for (const auto& r : rows)
    if (r.beam && req.beam_fwhm == 0) req.beam_fwhm = std::sqrt(r.beam->bmaj * r.beam->bmin);
  std::vector<NamedImage> images;
  for (const auto& r : rows) images.push_back({r.method, r.image});
  extra["radial_profile"] = write_profile_comparison(dir, compare_profiles(truth, images, samples, grid, req));
}

void add_wsclean_row(const Options& o, const PlannedObservation& obs, const std::vector<double>& truth,
                     const fs::path& dir, std::vector<ComparisonRow>& rows, nlohmann::json& extra) {
  WscleanOutcome w;
  if (o.wsclean == "off") {
    w.skipped = "--wsclean off";
  } else {
    const ReadPlan plan = read_plan(o.in);  // time/channel averaging aside, wsclean reads what Penumbra read
    w = wsclean_baseline({o.in.inputs(), dir, o.base.weighting, o.base.clean, o.in.column, plan.spws, plan.uv}, obs,
                         truth);
  }
  if (w.row) {
    rows.push_back(*w.row);
    extra["wsclean_command"] = w.command;
  } else {
    extra["wsclean"] = "skipped: " + w.skipped;
    log().info("compare: wsclean skipped ({})", w.skipped);
  }
}

void run(Context& ctx, Options& o) {
  FitsImage truth = read_truth(o.truth);
  ImageGrid grid = validated_grid(o, truth);
  LoadedVisibilities data = load_visibilities(o.in, grid);
  PlannedObservation obs(data.vis, data.grid, o.posterior.likelihood.nufft_epsilon, o.posterior.likelihood.threads);
  const std::vector<double> truth_pixels = truth_on_grid(truth, o.truth, obs.grid());
  std::vector<ComparisonRow> rows = compare_baselines(obs, truth_pixels, o.base);

  RunFolder& run = ctx.run("compare");
  nlohmann::json extra = {{"input", o.in.label()}, {"truth", o.truth}, {"size", grid.nx},
                          {"cell_arcsec", grid.cell / kArcsec}};
  const auto samples = add_posterior_row(o, obs, truth_pixels, ctx.seed(), rows, extra);
  add_wsclean_row(o, obs, truth_pixels, run.path("wsclean"), rows, extra);
  add_radial_profiles(o, rows, truth_pixels, samples, obs.grid(), run.dir(), extra);
  nlohmann::json table = write_comparison(run.dir(), rows, truth_pixels, obs.grid(), extra);
  run.finish({{"rows", table}});
  fmt::print("{}", comparison_markdown(rows, truth_peak(truth_pixels)));
  fmt::print("outputs in {}\n", run.dir().string());
}

}  // namespace penumbra::cli::compare_impl

namespace penumbra::cli {

Runner add_compare(CLI::App& root) {
  auto o = std::make_shared<compare_impl::Options>();
  auto* app = root.add_subcommand("compare", "Dirty, CLEAN, MAP, posterior mean (and WSClean) against a known truth");
  o->in.add_to(app);
  o->grid.size = 0;
  o->grid.add_to(app, 0, false);
  o->weighting.add_to(app);
  app->add_option("--truth", o->truth, "Truth image (FITS, Jy/pixel)")->required();
  app->add_option("--posterior", o->posterior_dir, "Run folder of `penumbra sample` (its mean.fits)");
  app->add_option("--prior", o->prior, "Sample here with this prior when no --posterior: a checkpoint or " +
                                              prior_syntax_list(PriorRole::kSampling));
  add_posterior_options(app, o->posterior);
  app->add_option("--nsamples", o->nsamples, "Posterior samples when sampling here")->capture_default_str();
  app->add_option("--niter", o->base.clean.niter, "CLEAN minor-cycle iterations")->capture_default_str();
  app->add_option("--gain", o->base.clean.gain, "CLEAN loop gain")->capture_default_str();
  app->add_option("--threshold", o->base.clean.threshold, "CLEAN threshold, Jy/beam")->capture_default_str();
  app->add_option("--algorithm", o->algorithm, "CLEAN: hogbom or cotton-schwab")->capture_default_str();
  app->add_flag("--multiscale", o->base.clean.multiscale,
                "Multiscale CLEAN (and WSClean's -multiscale with its own scales)");
  app->add_option("--scales", o->base.clean.scales, "Multiscale scales, FWHM in pixels (see penumbra clean)")
      ->delimiter(',');
  app->add_option("--scale-shape", o->scale_shape, "Multiscale component shape: paraboloid or gaussian")
      ->capture_default_str();
  app->add_option("--map-prior", o->base.map.prior, "MAP regulariser: " + prior_names(PriorRole::kRegulariser))
      ->capture_default_str();
  app->add_option("--lambda", o->base.map.lambda, "MAP regularisation weight")->capture_default_str();
  app->add_flag("--positive", o->base.map.positive, "Non-negative MAP image");
  app->add_option("--map-iterations", o->base.map.max_iterations, "Most L-BFGS iterations of the MAP image")
      ->capture_default_str();
  app->add_option("--disk", o->disk,
                  "Inclination,PA of a disk (e.g. 35deg,86deg; bare numbers: degrees): deprojected radial profiles, "
                  "posterior 68% band and ring/gap radii against the truth's (radial_profile.csv/png)");
  app->add_option("--wsclean", o->wsclean, "auto (run wsclean's CLEAN on an MS when installed) or off")
      ->capture_default_str();
  return [o](Context& ctx) { compare_impl::run(ctx, *o); };
}

}  // namespace penumbra::cli
