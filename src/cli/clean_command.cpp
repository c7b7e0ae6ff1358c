// penumbra clean: the CLEAN baseline (Högbom or Cotton–Schwab, point or
// multiscale minor cycles) of a MeasurementSet or uvtable. Writes model.fits (Jy/pixel), residual.fits and
// restored.fits (Jy/beam, fitted clean beam in BMAJ/BMIN/BPA), psf.fits, PNGs
// and clean.json into the run folder.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "instruments/clean.hpp"
#include "src/cli/commands.hpp"
#include "src/cli/deprecated_flags.hpp"
#include "src/cli/visibility_input.hpp"
#include "src/core/errors.hpp"
#include "src/core/log.hpp"
#include "src/core/units.hpp"

namespace penumbra::cli {
namespace {

struct CleanCommandOptions {
  VisibilityInput in;
  GridInput grid;
  WeightingInput weighting;
  CleanOptions clean;
  std::string algorithm = "cotton-schwab";
  std::string scale_shape = "paraboloid";
};

void run_clean(Context& ctx, CleanCommandOptions& o) {
  ImageGrid grid = o.grid.grid();
  WeightingOptions wo = o.weighting.options();
  if (o.algorithm != "cotton-schwab" && o.algorithm != "hogbom")
    throw UsageError(fmt::format("--algorithm '{}': expected hogbom or cotton-schwab", o.algorithm));
  o.clean.cotton_schwab = o.algorithm == "cotton-schwab";
  o.clean.scale_shape = parse_scale_shape(o.scale_shape);
  if (!o.clean.multiscale && !o.clean.scales.empty())
    throw UsageError("--scales needs --multiscale");

  LoadedVisibilities data = load_visibilities(o.in, grid);
  ImagingWeights iw = compute_imaging_weights(data.vis, data.grid, wo);
  CleanResult r = clean(data.vis, iw.weight, data.grid, o.clean);

  RunFolder& run = ctx.run("clean");
  auto fits = [&](const std::vector<double>& px, const std::string& unit, const std::string& what, bool beam) {
    FitsImage f = make_fits(data, px, unit, "clean " + what + " (" + o.algorithm + ")");
    if (beam) f.beam = r.beam;
    write_fits_image(run.path(what + ".fits"), f);
  };
  fits(r.model, "Jy/pixel", "model", false);
  fits(r.residual, "Jy/beam", "residual", true);
  fits(r.restored, "Jy/beam", "restored", true);
  fits(r.psf, "Jy/beam", "psf", false);
  write_image_figure(run.path("restored.png").string(), r.restored, data.grid, "CLEAN restored", "Jy/beam");
  write_image_figure(run.path("residual.png").string(), r.residual, data.grid, "CLEAN residual", "Jy/beam");
  write_image_figure(run.path("model.png").string(), r.model, data.grid, "CLEAN model", "Jy/pixel");

  double flux = 0;
  for (double m : r.model) flux += m;
  nlohmann::json summary = {
      {"input", o.in.label()},
      {"algorithm", o.algorithm},
      {"size", data.grid.nx},
      {"cell_rad", data.grid.cell},
      {"weighting", weighting_name(wo.scheme)},
      {"iterations", r.iterations},
      {"major_cycles", r.major_cycles},
      {"final_residual_peak_jy_per_beam", r.final_peak},
      {"model_flux_jy", flux},
      {"beam", {{"bmaj_arcsec", r.beam.bmaj / kArcsec}, {"bmin_arcsec", r.beam.bmin / kArcsec},
                {"bpa_deg", r.beam.bpa / kDeg}}},
      {"multiscale", o.clean.multiscale},
      {"files", {"model.fits", "residual.fits", "restored.fits", "psf.fits", "restored.png", "residual.png", "model.png"}},
  };
  if (o.clean.multiscale) {
    nlohmann::json per_scale = nlohmann::json::array();
    for (std::size_t i = 0; i < r.scales.size(); ++i)
      per_scale.push_back({{"scale_px", r.scales[i]}, {"components", r.scale_components[i]}, {"flux_jy", r.scale_flux[i]}});
    summary["scales"] = per_scale;
    summary["scale_shape"] = o.scale_shape;
    summary["scale_bias"] = o.clean.scale_bias;
  }
  write_text_atomic(run.path("clean.json"), summary.dump(2) + "\n");
  run.finish(summary);
  log().info("clean: model flux {:.4g} Jy, residual peak {:.3g} Jy/beam, beam {:.3g}\" × {:.3g}\" at {:.1f}° -> {}", flux,
             r.final_peak, r.beam.bmaj / kArcsec, r.beam.bmin / kArcsec, r.beam.bpa / kDeg, run.dir().string());
}

}  // namespace

Runner add_clean(CLI::App& root) {
  auto o = std::make_shared<CleanCommandOptions>();
  auto* app = root.add_subcommand("clean", "CLEAN deconvolution (Högbom or Cotton–Schwab, optionally multiscale) with a fitted clean beam");
  o->in.add_to(app);
  o->grid.add_to(app, 256);
  o->weighting.add_to(app);
  app->add_option("--algorithm", o->algorithm, "hogbom or cotton-schwab")->capture_default_str();
  app->add_option("--niter", o->clean.niter, "Minor-cycle iterations")->capture_default_str();
  app->add_option("--gain", o->clean.gain, "Loop gain")->capture_default_str();
  app->add_option("--threshold", o->clean.threshold, "Stop at this residual peak, Jy/beam")->capture_default_str();
  app->add_option("--major-cycles", o->clean.max_major_cycles, "Most major cycles (Cotton–Schwab)")->capture_default_str();
  app->add_option("--major-gain", o->clean.major_gain, "Fraction of the peak a minor cycle removes before a major cycle")
      ->capture_default_str();
  app->add_option("--nufft-epsilon", o->clean.epsilon, "NUFFT accuracy")->capture_default_str();
  add_deprecated_alias(app, "--epsilon", o->clean.epsilon, "--nufft-epsilon");
  app->add_flag("--multiscale", o->clean.multiscale, "Multiscale minor cycles (components of several sizes)");
  app->add_option("--scales", o->clean.scales,
                  "Multiscale scales, FWHM in pixels, comma-separated (0 = point, always included); default: 0, then "
                  "2× the beam doubling up to 1/8 of the image")
      ->delimiter(',');
  app->add_option("--scale-shape", o->scale_shape, "Multiscale component shape: paraboloid or gaussian")
      ->capture_default_str();
  app->add_option("--scale-bias", o->clean.scale_bias, "Multiscale small-scale bias β in [0, 1): scale s is weighted 1 − β·s/s_max")
      ->capture_default_str();
  return [o](Context& ctx) { run_clean(ctx, *o); };
}

}  // namespace penumbra::cli
