// penumbra map: MAP / regularised maximum-likelihood image of a MeasurementSet
// or uvtable with a maximum-entropy (mem), total-variation (tv) or sparsity (l1)
// regulariser (samplers/map_estimate.hpp through src/pipelines/map_imaging.hpp).
//
// Energy minimised: ½ Σ w_k |y_k − A x|² − log p_reg(x), with the data weights
// (natural; --weighting only shapes the residual dirty image). Pixel units: the
// optimiser works in units of the dirty image's peak-brightness estimate (dirty
// peak / beam area), so --lambda means the same for faint and bright sources.
// Outputs (run folder): map.fits / map.png (Jy/pixel), residual.fits / residual.png
// (Jy/beam), start.fits (Jy/pixel), convergence.png, map.json.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "instruments/weighting.hpp"
#include "src/cli/commands.hpp"
#include "src/cli/deprecated_flags.hpp"
#include "src/cli/visibility_input.hpp"
#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/log.hpp"
#include "src/core/run_folder.hpp"
#include "src/pipelines/map_imaging.hpp"
#include "src/pipelines/planned_observation.hpp"
#include "src/pipelines/prior_registry.hpp"
#include "src/io/png.hpp"

namespace penumbra::cli::map_impl {

struct Options {
  VisibilityInput in;
  GridInput grid;
  WeightingInput weighting;
  MapImagingOptions map;
  std::string start = "dirty";
};

void run(Context& ctx, Options& o) {
  o.map.validate();
  require_in("start", o.start, {"dirty", "zero"});
  o.map.start_from_dirty = o.start == "dirty";
  ImageGrid grid = o.grid.grid();
  WeightingOptions wo = o.weighting.options();
  LoadedVisibilities data = load_visibilities(o.in, grid);
  PlannedObservation obs(data.vis, data.grid, o.map.nufft_epsilon);
  MapImagingResult r = map_image(obs, o.map);
  ImagingWeights iw = compute_imaging_weights(data.vis, data.grid, wo);
  auto residual = obs.residual_dirty_image(r.image, iw.weight);

  RunFolder& run = ctx.run("map");
  write_fits_image(run.path("map.fits"), make_fits(data, r.image, "Jy/pixel", "MAP image (" + o.map.prior + ")"));
  write_fits_image(run.path("start.fits"), make_fits(data, r.start, "Jy/pixel", "MAP starting image"));
  write_fits_image(run.path("residual.fits"), make_fits(data, residual, "Jy/beam", "MAP residual dirty image"));
  write_image_figure(run.path("map.png").string(), r.image, data.grid, "MAP (" + o.map.prior + ")", "Jy/pixel");
  write_image_figure(run.path("residual.png").string(), residual, data.grid, "MAP residual", "Jy/beam");
  Series e;
  for (std::size_t i = 0; i < r.energy.size(); ++i) {
    e.x.push_back(static_cast<double>(i));
    e.y.push_back(r.energy[i]);
  }
  e.label = "energy";
  if (e.x.empty()) {
    e.x = {0.0};
    e.y = {0.0};
  }
  write_line_plot_png(run.path("convergence.png"), {e},
                      LinePlot{"MAP convergence (" + o.map.prior + ")", "iteration", "energy −log p(x|y)"});
  double flux = 0;
  for (double p : r.image) flux += p;
  nlohmann::json summary = {
      {"input", o.in.label()},
      {"prior", o.map.prior},
      {"lambda", o.map.lambda},
      {"positive", o.map.positive},
      {"start", o.start},
      {"size", data.grid.nx},
      {"cell_rad", data.grid.cell},
      {"weighting_of_residual", weighting_name(wo.scheme)},
      {"pixel_unit_jy_per_pixel", r.pixel_unit},
      {"iterations", r.iterations},
      {"converged", r.converged},
      {"energy", r.energy},
      {"chi2_reduced_start", r.chi2_start},
      {"chi2_reduced", r.chi2},
      {"flux_jy", flux},
      {"files", {"map.fits", "map.png", "start.fits", "residual.fits", "residual.png", "convergence.png"}},
  };
  write_text_atomic(run.path("map.json"), summary.dump(2) + "\n");
  run.finish({{"iterations", r.iterations}, {"converged", r.converged}, {"chi2_reduced", r.chi2}});
  log().info("map: {} λ={} {} iterations ({}), χ²_red {:.4g} → {:.4g}, flux {:.4g} Jy -> {}", o.map.prior,
             o.map.lambda, r.iterations, r.converged ? "converged" : "not converged", r.chi2_start, r.chi2, flux,
             run.dir().string());
}

}  // namespace penumbra::cli::map_impl

namespace penumbra::cli {

Runner add_map(CLI::App& root) {
  auto o = std::make_shared<map_impl::Options>();
  auto* app = root.add_subcommand("map", "MAP / regularised maximum-likelihood image (MEM, TV or L1 regulariser)");
  o->in.add_to(app);
  o->grid.add_to(app, 256);
  o->weighting.add_to(app);
  app->add_option("--prior", o->map.prior, "Regulariser: " + prior_names(PriorRole::kRegulariser))
      ->capture_default_str();
  app->add_option("--lambda", o->map.lambda, "Regularisation weight (> 0, in units of the dirty peak brightness)")
      ->capture_default_str();
  app->add_flag("--positive", o->map.positive, "Constrain the image to be non-negative");
  app->add_option("--start", o->start, "Starting image: dirty (dirty image in Jy/pixel) or zero")->capture_default_str();
  app->add_option("--max-iterations", o->map.max_iterations, "Most L-BFGS iterations")->capture_default_str();
  app->add_option("--tolerance", o->map.tolerance, "Stop when the relative energy change is below this")
      ->capture_default_str();
  app->add_option("--nufft-epsilon", o->map.nufft_epsilon, "NUFFT accuracy")->capture_default_str();
  add_deprecated_alias(app, "--epsilon", o->map.nufft_epsilon, "--nufft-epsilon");
  return [o](Context& ctx) { map_impl::run(ctx, *o); };
}

}  // namespace penumbra::cli
