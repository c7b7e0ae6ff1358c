// penumbra image: dirty image and PSF of a MeasurementSet or a uvtable, with
// natural, uniform or Briggs weighting and an optional Gaussian taper.
// Writes dirty.fits, psf.fits (Jy/beam, PSF peak 1, SIN WCS), dirty.png,
// psf.png and image.json into the run folder.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "instruments/beam_fit.hpp"
#include "instruments/dirty_image.hpp"
#include "instruments/weighting.hpp"
#include "src/cli/commands.hpp"
#include "src/cli/deprecated_flags.hpp"
#include "src/core/checks.hpp"
#include "src/cli/visibility_input.hpp"
#include "src/core/errors.hpp"
#include "src/core/log.hpp"
#include "src/core/run_folder.hpp"
#include "src/core/units.hpp"
#include "src/io/fits_image.hpp"

namespace penumbra::cli {
namespace image_impl {

struct ImageOptions {
  VisibilityInput in;
  GridInput grid;
  WeightingInput weighting;
  double epsilon = 1e-6;
};

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// The beam the Jy/beam refers to; a PSF too narrow to fit is reported, not fatal.
std::optional<Beam> beam_of(const std::vector<double>& psf, const ImageGrid& grid) {
  try {
    Beam beam = fit_beam(psf, grid);
    log().info("fitted beam {:.4g} × {:.4g} mas, PA {:.1f}°", beam.bmaj / kArcsec * 1e3, beam.bmin / kArcsec * 1e3,
               beam.bpa / kDeg);
    return beam;
  } catch (const Error& e) {
    log().warn("no beam fitted to the PSF: {}", e.what());
    return std::nullopt;
  }
}

nlohmann::json beam_json(const std::optional<Beam>& beam) {
  if (!beam) return nullptr;
  return {{"bmaj_arcsec", beam->bmaj / kArcsec}, {"bmin_arcsec", beam->bmin / kArcsec}, {"bpa_deg", beam->bpa / kDeg}};
}

void run_image(Context& ctx, const ImageOptions& o) {
  // Options first: a bad option must not cost a read of the data.
  ImageGrid grid = o.grid.grid();
  WeightingOptions wo = o.weighting.options();
  require_in_range("nufft epsilon", o.epsilon, 1e-10, 1e-1);

  auto t_start = Clock::now();
  LoadedVisibilities data = load_visibilities(o.in, grid);
  const double t_read = seconds_since(t_start);
  const VisibilitySet& vis = data.vis;
  grid = data.grid;

  auto t1 = Clock::now();
  ImagingWeights iw = compute_imaging_weights(vis, grid, wo);
  const double t_weights = seconds_since(t1);
  if (iw.outside > 0)
    log().warn("{} visibilities fall outside the weight grid and get zero {} weight", iw.outside,
               weighting_name(wo.scheme));

  DirtyImageOptions dopt;
  dopt.epsilon = o.epsilon;
  DirtyImage d = make_dirty_image(vis, iw.weight, grid, dopt);
  const double t_image = seconds_since(t_start);

  std::optional<Beam> beam = beam_of(d.psf, grid);

  RunFolder& run = ctx.run("image");
  auto fits = [&](const std::vector<double>& px, const std::string& what) {
    FitsImage img = make_fits(data, px, "Jy/beam", fmt::format("image {} ({})", what, weighting_name(wo.scheme)));
    img.beam = beam;
    img.history["weighting"] = wo.scheme == WeightingScheme::kBriggs ? fmt::format("briggs {}", wo.robust)
                                                                     : weighting_name(wo.scheme);
    if (wo.taper_fwhm > 0) img.history["taper"] = format_angle(wo.taper_fwhm);
    return img;
  };
  write_fits_image(run.path("dirty.fits"), fits(d.dirty, "dirty"));
  write_fits_image(run.path("psf.fits"), fits(d.psf, "psf"));
  write_image_figure(run.path("dirty.png").string(), d.dirty, grid, "dirty image", "Jy/beam");
  write_image_figure(run.path("psf.png").string(), d.psf, grid, "PSF", "Jy/beam");

  ImageStats sd = image_stats(d.dirty, grid.nx, grid.ny);
  nlohmann::json summary = {
      {"input", o.in.label()},
      {"size", grid.nx},
      {"cell_rad", grid.cell},
      {"cell", format_angle(grid.cell)},
      {"weighting", weighting_name(wo.scheme)},
      {"robust", wo.scheme == WeightingScheme::kBriggs ? nlohmann::json(wo.robust) : nlohmann::json(nullptr)},
      {"taper_fwhm_rad", wo.taper_fwhm},
      {"epsilon", o.epsilon},
      {"rows", data.nrow},
      {"channels", data.nchan},
      {"visibilities", vis.size()},
      {"visibilities_imaged", d.nvis},
      {"flagged_fraction", data.flagged_fraction()},
      {"max_uv_lambda", vis.max_uv()},
      {"frequency_hz", data.freq_hz},
      {"weight_sum", iw.sum},
      {"weight_cells_occupied", iw.occupied_cells},
      {"noise_factor_vs_natural", iw.noise_factor},
      {"dirty_peak_jy_per_beam", sd.peak},
      {"dirty_peak_pixel", {sd.peak_x, sd.peak_y}},
      {"dirty_peak_offset_arcsec",
       {grid.l(sd.peak_x) / kArcsec, grid.m(sd.peak_y) / kArcsec}},  // (l towards East, m towards North)
      {"dirty_rms_jy_per_beam", sd.rms},
      {"beam", beam_json(beam)},
      {"dirty_min_jy_per_beam", sd.min},
      {"seconds", {{"read", t_read}, {"weights", t_weights}, {"plan", d.plan_seconds}, {"grid", d.grid_seconds},
                   {"total", t_image}}},
      {"files", {"dirty.fits", "psf.fits", "dirty.png", "psf.png"}},
  };
  write_text_atomic(run.path("image.json"), summary.dump(2) + "\n");
  run.finish(summary);
  log().info("dirty image: peak {:.6g} Jy/beam at pixel ({}, {}), rms {:.3g} Jy/beam; imaging took {:.2f} s -> {}",
             sd.peak, sd.peak_x, sd.peak_y, sd.rms, t_image, run.dir().string());
}

}  // namespace image_impl

Runner add_image(CLI::App& root) {
  auto o = std::make_shared<image_impl::ImageOptions>();
  auto* app = root.add_subcommand("image", "Dirty image and PSF (Jy/beam, PSF peak 1) of a MeasurementSet or uvtable");
  o->in.add_to(app);
  o->grid.add_to(app, 256);
  o->weighting.add_to(app);
  app->add_option("--nufft-epsilon", o->epsilon, "NUFFT accuracy (relative L2 error)")->capture_default_str();
  add_deprecated_alias(app, "--epsilon", o->epsilon, "--nufft-epsilon");
  return [o](Context& ctx) { image_impl::run_image(ctx, *o); };
}

}  // namespace penumbra::cli
