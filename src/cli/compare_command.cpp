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
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "src/cli/commands.hpp"
#include "src/cli/sampler_options.hpp"
#include "src/cli/visibility_input.hpp"
#include "src/core/errors.hpp"
#include "src/core/log.hpp"
#include "src/core/run_folder.hpp"
#include "src/core/units.hpp"
#include "src/pipelines/comparison.hpp"
#include "src/diagnostics/posterior_summary.hpp"
#include "src/io/fits_image.hpp"
#include "src/io/png.hpp"

namespace fs = std::filesystem;

namespace penumbra::cli::compare_impl {

struct Options {
  VisibilityInput in;
  GridInput grid;
  WeightingInput weighting;
  BaselineOptions base;
  std::string truth, posterior, prior;
  SamplerSettings sampler;
  std::int64_t nsamples = 16, batch = 16;
  std::string wsclean = "auto";  // auto | off
  std::string scale_shape = "paraboloid";
  std::string algorithm = "cotton-schwab";
};

int run_shell(const std::string& cmd, std::string* out = nullptr) {
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return -1;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0)
    if (out) out->append(buf.data(), n);
  return pclose(p);
}

// The environment prefix under which wsclean starts (Debian's wsclean refuses an
// OpenMP OpenBLAS; the pthread build in openblas-pthread works), or "" with `why`.
std::string wsclean_launcher(std::string& why) {
  if (run_shell("command -v wsclean") != 0) {
    why = "wsclean is not installed";
    return "";
  }
  std::vector<std::string> cands = {"env OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 "};
  if (fs::exists("/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0"))
    cands.push_back("env OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread ");
  for (auto& c : cands) {
    std::string out;
    if (run_shell(c + "wsclean --version", &out) == 0 && out.find("WSClean version") != std::string::npos) return c;
  }
  why = "wsclean is installed but does not start";
  return "";
}

std::vector<double> read_image_on(const std::string& path, const ImageGrid& grid, const std::string& what) {
  require_exists(path, what);
  FitsImage f = read_fits_image(path);
  if (f.grid.nx != grid.nx || f.grid.ny != grid.ny)
    throw UsageError(fmt::format("{} {} is {}x{} but the comparison grid is {}x{}", what, path, f.grid.nx, f.grid.ny,
                                 grid.nx, grid.ny));
  if (std::abs(f.grid.cell - grid.cell) > 1e-6 * grid.cell)
    throw UsageError(fmt::format("{} {} has {} pixels but the comparison grid has {}", what, path,
                                 format_angle(f.grid.cell), format_angle(grid.cell)));
  return f.pixels;
}

void run(Context& ctx, Options& o) {
  if (o.truth.empty()) throw UsageError("--truth FITS (Jy/pixel) is required");
  require_exists(o.truth, "truth image");
  FitsImage truth = read_fits_image(o.truth);
  if (truth.bunit != "Jy/pixel" && truth.bunit != "JY/PIXEL")
    throw DataError(fmt::format("{}: BUNIT is '{}', expected Jy/pixel for a truth image", o.truth, truth.bunit));
  if (o.grid.scale.empty()) o.grid.scale = fmt::format("{}asec", truth.grid.cell / kArcsec);
  if (o.grid.size <= 0) o.grid.size = truth.grid.nx;
  if (o.wsclean != "auto" && o.wsclean != "off")
    throw UsageError(fmt::format("--wsclean must be auto or off, got '{}'", o.wsclean));
  ImageGrid grid = o.grid.grid();
  if (truth.grid.nx != grid.nx || truth.grid.ny != grid.ny)
    throw UsageError(fmt::format("truth {} is {}x{} but --size is {}", o.truth, truth.grid.nx, truth.grid.ny, grid.nx));
  o.base.weighting = o.weighting.options();
  if (o.algorithm != "cotton-schwab" && o.algorithm != "hogbom")
    throw UsageError(fmt::format("--algorithm '{}': expected hogbom or cotton-schwab", o.algorithm));
  o.base.clean.cotton_schwab = o.algorithm == "cotton-schwab";
  o.base.clean.scale_shape = parse_scale_shape(o.scale_shape);
  if (!o.base.clean.multiscale && !o.base.clean.scales.empty()) throw UsageError("--scales needs --multiscale");
  o.base.map.validate();
  if (o.posterior.empty() && !o.prior.empty()) o.sampler.validate();

  LoadedVisibilities data = load_visibilities(o.in, grid);
  std::vector<ComparisonRow> rows = compare_baselines(data.vis, data.grid, truth.pixels, o.base);

  RunFolder& run = ctx.run("compare");
  nlohmann::json extra = nlohmann::json::object();
  if (!o.posterior.empty()) {
    auto mean = read_image_on((fs::path(o.posterior) / "mean.fits").string(), data.grid, "posterior mean");
    rows.push_back(score_image("posterior mean", mean, truth.pixels, data.vis, data.grid, {},
                               "from " + o.posterior));
  } else if (!o.prior.empty()) {
    PipelinePrior lp = load_pipeline_prior(o.prior, data.grid.nx);
    auto pr = sample_observation(data.vis, data.grid, lp, o.sampler, o.nsamples, o.batch, ctx.seed());
    auto mean = summarize_posterior(pr.samples).mean.contiguous();
    std::vector<double> m(mean.data_ptr<double>(), mean.data_ptr<double>() + mean.numel());
    rows.push_back(score_image("posterior mean", m, truth.pixels, data.vis, data.grid, {},
                               fmt::format("{} samples, {} {} steps", o.nsamples, o.sampler.sampler, o.sampler.steps)));
    extra["posterior"] = pr.describe;
  } else {
    extra["posterior"] = "not run (give --posterior DIR or --prior)";
  }

  // WSClean's CLEAN on the same MeasurementSet.
  std::string why;
  if (o.wsclean == "off") why = "--wsclean off";
  else if (!fs::is_directory(o.in.input)) why = "input is not a MeasurementSet";
  std::string launcher = why.empty() ? wsclean_launcher(why) : "";
  if (why.empty()) {
    fs::create_directories(run.path("wsclean"));
    std::string weight = weighting_name(o.base.weighting.scheme);
    if (weight == "briggs") weight = fmt::format("briggs {}", o.base.weighting.robust);
    auto prefix = run.path("wsclean") / "ws";
    std::string cmd = fmt::format("{}wsclean -quiet -j 1 -size {} {} -scale {}asec -weight {} -niter {} -gain {} "
                                  "-mgain {} -threshold {} {}-no-update-model-required -name '{}' '{}'",
                                  launcher, grid.nx, grid.ny, grid.cell / kArcsec, weight, o.base.clean.niter,
                                  o.base.clean.gain, o.base.clean.major_gain, o.base.clean.threshold,
                                  o.base.clean.multiscale ? "-multiscale " : "", prefix.string(), o.in.input);
    std::string out;
    int rc = run_shell(cmd, &out);
    auto image = prefix.string() + "-image.fits";
    if (rc != 0 || !fs::exists(image)) {
      why = fmt::format("wsclean failed (exit {}): {}", rc, out.substr(out.size() > 300 ? out.size() - 300 : 0));
    } else {
      FitsImage f = read_fits_image(image);
      if (!f.beam || f.grid.nx != grid.nx) {
        why = "wsclean image has no beam or another size";
      } else {
        double area = beam_area_pixels(*f.beam, data.grid);
        auto px = f.pixels;
        for (auto& p : px) p /= area;
        auto model = read_image_on(prefix.string() + "-model.fits", data.grid, "wsclean model");
        rows.push_back(score_image("wsclean", px, truth.pixels, data.vis, data.grid, model,
                                   fmt::format("restored / clean-beam area {:.2f} px; χ² of the components", area)));
        extra["wsclean_command"] = cmd;
      }
    }
  }
  if (!why.empty()) {
    extra["wsclean"] = "skipped: " + why;
    log().info("compare: wsclean skipped ({})", why);
  }

  double peak = *std::max_element(truth.pixels.begin(), truth.pixels.end());
  if (!(peak > 0)) peak = 1;
  write_text_atomic(run.path("comparison.csv"), comparison_csv(rows, peak));
  write_text_atomic(run.path("comparison.md"), comparison_markdown(rows, peak));
  std::vector<ImagePanel> panels;
  double vmin = *std::min_element(truth.pixels.begin(), truth.pixels.end());
  auto panel = [&](const std::vector<double>& px, const std::string& title) {
    ImagePanel p;
    p.pixels = px;
    p.nx = grid.nx;
    p.ny = grid.ny;
    p.title = title;
    p.vmin = std::min(0.0, vmin);
    p.vmax = peak;
    p.colorbar_label = "Jy/pixel";
    return p;
  };
  panels.push_back(panel(truth.pixels, "truth"));
  for (auto& r : rows) panels.push_back(panel(r.image, fmt::format("{} (RMSE {:.3f} peak)", r.method, r.rmse / peak)));
  write_panels_png(run.path("comparison.png"), panels, std::min<int>(3, static_cast<int>(panels.size())));

  nlohmann::json table = nlohmann::json::array();
  for (auto& r : rows)
    table.push_back({{"method", r.method}, {"rmse", r.rmse}, {"rmse_over_peak", r.rmse / peak}, {"ssim", r.ssim},
                     {"flux_error", r.flux_error}, {"chi2_reduced", r.chi2}, {"note", r.note}});
  nlohmann::json j = {{"input", o.in.input}, {"truth", o.truth}, {"truth_peak_jy_per_pixel", peak},
                      {"size", grid.nx}, {"cell_arcsec", grid.cell / kArcsec}, {"rows", table}};
  j.update(extra);
  write_text_atomic(run.path("compare.json"), j.dump(2) + "\n");
  run.finish({{"rows", table}});
  fmt::print("{}", comparison_markdown(rows, peak));
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
  app->add_option("--posterior", o->posterior, "Run folder of `penumbra sample` (its mean.fits)");
  app->add_option("--prior", o->prior, "Sample here with this prior when no --posterior (checkpoint or gaussian:M,S ...)");
  add_sampler_options(app, o->sampler);
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
  app->add_option("--map-prior", o->base.map.prior, "MAP regulariser: mem, tv or l1")->capture_default_str();
  app->add_option("--lambda", o->base.map.lambda, "MAP regularisation weight")->capture_default_str();
  app->add_flag("--positive", o->base.map.positive, "Non-negative MAP image");
  app->add_option("--wsclean", o->wsclean, "auto (run wsclean's CLEAN on an MS when installed) or off")
      ->capture_default_str();
  return [o](Context& ctx) { compare_impl::run(ctx, *o); };
}

}  // namespace penumbra::cli
