// penumbra image: dirty image and PSF of a MeasurementSet or a uvtable, with
// natural, uniform or Briggs weighting and an optional Gaussian taper.
// Writes dirty.fits, psf.fits (Jy/beam, PSF peak 1, SIN WCS), dirty.png,
// psf.png and image.json into the run folder.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "instruments/dirty_image.hpp"
#include "instruments/weighting.hpp"
#include "src/cli/commands.hpp"
#include "src/core/errors.hpp"
#include "src/core/log.hpp"
#include "src/core/run_folder.hpp"
#include "src/core/units.hpp"
#include "src/io/fits_image.hpp"
#include "src/io/measurement_set.hpp"
#include "src/io/png.hpp"
#include "src/io/uvtable.hpp"

namespace penumbra::cli {
// Named, not anonymous: the CLI is a unity build, so helpers of different
// commands share one translation unit.
namespace image_impl {

struct ImageOptions {
  std::string input;
  int size = 256;
  std::string scale;
  std::string weighting = "natural";
  double robust = 0.0;
  bool robust_given = false;
  std::string taper;
  std::string column = "DATA";
  int field = -1, spw = -1;
  double epsilon = 1e-6;
  std::string freq;  // for uvtables, which carry no frequency
};

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// An MS is a directory; anything else is read as a uvtable (text, .bz2, .gz).
Observation read_input(const ImageOptions& o) {
  std::filesystem::path p(o.input);
  require_exists(o.input, "input visibilities");
  if (std::filesystem::is_directory(p)) {
    MsSelection sel;
    sel.column = o.column;
    sel.field = o.field;
    sel.spw = o.spw;
    return read_measurement_set(p, sel);
  }
  if (o.column != "DATA" || o.field >= 0 || o.spw >= 0)
    throw UsageError(fmt::format("{} is a uvtable: --column, --field and --spw apply to MeasurementSets only", o.input));
  double wavelength = 0;
  if (!o.freq.empty()) wavelength = kSpeedOfLight / parse_frequency(o.freq, "GHz");
  return read_uvtable(p, wavelength);
}

// The longest unflagged baseline along u or v, by row and channel, so that the
// error can say which baseline does not fit the cell.
void check_cell_against_baselines(const Observation& obs, const ImageGrid& grid, const std::string& input) {
  double worst = -1;
  std::size_t wr = 0, wc = 0;
  for (std::size_t r = 0; r < obs.nrow; ++r)
    for (std::size_t ch = 0; ch < obs.nchan; ++ch) {
      bool any = false;
      for (std::size_t c = 0; c < obs.ncorr; ++c) any |= !obs.flag[obs.index(r, ch, c)];
      if (!any) continue;
      double a = std::max(std::abs(obs.u_lambda(r, ch)), std::abs(obs.v_lambda(r, ch)));
      if (a > worst) worst = a, wr = r, wc = ch;
    }
  if (worst < grid.max_uv()) return;
  std::string which = obs.antenna1.size() == obs.nrow
                          ? fmt::format("baseline {}-{} (row {}, channel {})", obs.antenna1[wr], obs.antenna2[wr], wr, wc)
                          : fmt::format("row {}", wr);
  throw UsageError(fmt::format(
      "{}: {} reaches |u| or |v| = {:.4g} kλ (|uv| = {:.4g} kλ), beyond the {:.4g} kλ a cell of {} resolves; use "
      "--scale {} or smaller",
      input, which, worst / 1e3, std::hypot(obs.u_lambda(wr, wc), obs.v_lambda(wr, wc)) / 1e3, grid.max_uv() / 1e3,
      format_angle(grid.cell), format_angle(0.999 / (2 * worst))));
}

void write_png(const std::filesystem::path& path, const std::vector<double>& pixels, const ImageGrid& g,
               const std::string& title) {
  ImagePanel panel;
  panel.pixels = pixels;
  panel.nx = g.nx;
  panel.ny = g.ny;
  panel.title = title;
  panel.cmap = ColorMap::kInferno;
  panel.colorbar_label = "Jy/beam";
  write_image_png(path, panel);
}

void run_image(Context& ctx, const ImageOptions& o) {
  // Options first: a bad option must not cost a read of the data.
  if (o.size < 2 || o.size > 65536) throw UsageError(fmt::format("--size {} must be between 2 and 65536", o.size));
  if (o.scale.empty()) throw UsageError("--scale is required (pixel size, e.g. 3mas or 0.01asec)");
  ImageGrid grid;
  grid.nx = grid.ny = o.size;
  grid.cell = parse_angle(o.scale, "asec");
  grid.validate();
  WeightingOptions wo;
  wo.scheme = parse_weighting(o.weighting);
  if (o.robust_given && wo.scheme != WeightingScheme::kBriggs)
    throw UsageError(fmt::format("--robust applies to --weighting briggs, not {}", o.weighting));
  wo.robust = o.robust;
  if (!o.taper.empty()) wo.taper_fwhm = parse_angle(o.taper, "asec");
  wo.validate();
  if (!(o.epsilon >= 1e-10 && o.epsilon <= 1e-1))
    throw UsageError(fmt::format("--epsilon {} is outside [1e-10, 1e-1]", o.epsilon));

  auto t_start = Clock::now();
  Observation obs = read_input(o);
  obs.check_shapes(o.input);
  const double t_read = seconds_since(t_start);
  if (obs.nrow == 0) throw DataError(fmt::format("{}: no rows in the selected field and spectral window", o.input));
  VisibilitySet vis = obs.stokes_i();
  if (vis.size() == 0)
    throw DataError(fmt::format("{}: all {} samples are flagged or have zero weight ({:.1f} % flagged); nothing to image",
                                o.input, obs.nrow * obs.nchan * obs.ncorr, 100 * obs.flagged_fraction()));
  vis.validate(o.input);
  grid.ra = obs.ra;
  grid.dec = obs.dec;
  check_cell_against_baselines(obs, grid, o.input);
  log().info("{}: {} Stokes-I visibilities ({} rows × {} channels), longest baseline {:.4g} kλ", o.input, vis.size(),
             obs.nrow, obs.nchan, vis.max_uv() / 1e3);

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

  // The beam the Jy/beam refers to; a PSF too narrow to fit is reported, not fatal.
  std::optional<Beam> beam;
  try {
    FittedBeam fb = fit_beam(d.psf, grid);
    beam = Beam{fb.bmaj, fb.bmin, fb.bpa};
    log().info("fitted beam {:.4g} × {:.4g} mas, PA {:.1f}°", fb.bmaj / kArcsec * 1e3, fb.bmin / kArcsec * 1e3,
               fb.bpa / kDeg);
  } catch (const Error& e) {
    log().warn("no beam fitted to the PSF: {}", e.what());
  }

  RunFolder& run = ctx.run("image");
  double freq = 0;
  if (obs.frequency_known && !obs.freq.empty()) {
    for (double f : obs.freq) freq += f;
    freq /= obs.freq.size();
  } else if (!o.freq.empty()) {
    freq = parse_frequency(o.freq, "GHz");
  }
  auto fits = [&](const std::vector<double>& px, const std::string& what) {
    FitsImage img;
    img.pixels = px;
    img.grid = grid;
    img.freq_hz = freq;
    img.bunit = "Jy/beam";
    img.beam = beam;
    img.history["penumbra"] = fmt::format("image {} ({})", what, weighting_name(wo.scheme));
    img.history["weighting"] = wo.scheme == WeightingScheme::kBriggs ? fmt::format("briggs {}", wo.robust)
                                                                     : weighting_name(wo.scheme);
    if (wo.taper_fwhm > 0) img.history["taper"] = format_angle(wo.taper_fwhm);
    return img;
  };
  write_fits_image(run.path("dirty.fits"), fits(d.dirty, "dirty"));
  write_fits_image(run.path("psf.fits"), fits(d.psf, "psf"));
  write_png(run.path("dirty.png"), d.dirty, grid, "dirty image");
  write_png(run.path("psf.png"), d.psf, grid, "PSF");

  ImageStats sd = image_stats(d.dirty, grid.nx, grid.ny);
  nlohmann::json summary = {
      {"input", o.input},
      {"size", o.size},
      {"cell_rad", grid.cell},
      {"cell", format_angle(grid.cell)},
      {"weighting", weighting_name(wo.scheme)},
      {"robust", wo.scheme == WeightingScheme::kBriggs ? nlohmann::json(wo.robust) : nlohmann::json(nullptr)},
      {"taper_fwhm_rad", wo.taper_fwhm},
      {"epsilon", o.epsilon},
      {"rows", obs.nrow},
      {"channels", obs.nchan},
      {"visibilities", vis.size()},
      {"visibilities_imaged", d.nvis},
      {"flagged_fraction", obs.flagged_fraction()},
      {"max_uv_lambda", vis.max_uv()},
      {"frequency_hz", freq},
      {"weight_sum", iw.sum},
      {"weight_cells_occupied", iw.occupied_cells},
      {"noise_factor_vs_natural", iw.noise_factor},
      {"dirty_peak_jy_per_beam", sd.peak},
      {"dirty_peak_pixel", {sd.peak_x, sd.peak_y}},
      {"dirty_peak_offset_arcsec",
       {grid.l(sd.peak_x) / kArcsec, grid.m(sd.peak_y) / kArcsec}},  // (l towards East, m towards North)
      {"dirty_rms_jy_per_beam", sd.rms},
      {"beam", beam ? nlohmann::json{{"bmaj_arcsec", beam->bmaj / kArcsec},
                                     {"bmin_arcsec", beam->bmin / kArcsec},
                                     {"bpa_deg", beam->bpa / kDeg}}
                    : nlohmann::json(nullptr)},
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
  app->add_option("input", o->input, "MeasurementSet (directory) or uvtable (u v Re Im weight; .bz2/.gz)")->required();
  app->add_option("--size", o->size, "Image side in pixels")->capture_default_str();
  app->add_option("--scale", o->scale, "Pixel size (angle; bare number: arcsec), e.g. 3mas")->required();
  app->add_option("--weighting", o->weighting, "natural, uniform or briggs")->capture_default_str();
  app->add_option("--robust", o->robust, "Briggs robust parameter R in [-2, 2] (with --weighting briggs)")
      ->capture_default_str()
      ->each([o](const std::string&) { o->robust_given = true; });
  app->add_option("--taper", o->taper, "Gaussian uv taper given as its image-plane FWHM (angle; bare number: arcsec)");
  app->add_option("--column", o->column, "MS data column: DATA, CORRECTED_DATA or MODEL_DATA")->capture_default_str();
  app->add_option("--field", o->field, "MS FIELD_ID (default: the first field with rows)");
  app->add_option("--spw", o->spw, "MS spectral window (default: the first with rows)");
  app->add_option("--epsilon", o->epsilon, "NUFFT accuracy (relative L2 error)")->capture_default_str();
  app->add_option("--freq", o->freq, "Observing frequency written to the FITS header for uvtable input (e.g. 240GHz)");
  return [o](Context& ctx) { image_impl::run_image(ctx, *o); };
}

}  // namespace penumbra::cli
