#include "src/cli/visibility_input.hpp"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>

#include "src/core/errors.hpp"
#include "src/core/log.hpp"
#include "src/core/units.hpp"
#include "src/io/measurement_set.hpp"
#include "src/io/png.hpp"
#include "src/io/uvtable.hpp"

namespace penumbra::cli {

void VisibilityInput::add_to(CLI::App* app, bool input_required) {
  auto* opt = app->add_option("input", input, "MeasurementSet (directory) or uvtable (u v Re Im weight; .bz2/.gz)");
  if (input_required) opt->required();
  app->add_option("--column", column, "MS data column: DATA, CORRECTED_DATA or MODEL_DATA")->capture_default_str();
  app->add_option("--field", field, "MS FIELD_ID (default: the first field with rows)");
  app->add_option("--spw", spw, "MS spectral window (default: the first with rows)");
  app->add_option("--freq", freq, "Observing frequency of uvtable input, for headers (e.g. 240GHz)");
}

Observation VisibilityInput::read() const {
  std::filesystem::path p(input);
  require_exists(input, "input visibilities");
  if (std::filesystem::is_directory(p)) {
    MsSelection sel;
    sel.column = column;
    sel.field = field;
    sel.spw = spw;
    return read_measurement_set(p, sel);
  }
  if (column != "DATA" || field >= 0 || spw >= 0)
    throw UsageError(fmt::format("{} is a uvtable: --column, --field and --spw apply to MeasurementSets only", input));
  double wavelength = 0;
  if (!freq.empty()) wavelength = kSpeedOfLight / parse_frequency(freq, "GHz");
  return read_uvtable(p, wavelength);
}

void GridInput::add_to(CLI::App* app, int default_size, bool scale_required) {
  size = default_size;
  app->add_option("--size", size, "Image side in pixels")->capture_default_str();
  auto* s = app->add_option("--scale", scale, "Pixel size (angle; bare number: arcsec), e.g. 3mas");
  if (scale_required) s->required();
}

ImageGrid GridInput::grid() const {
  if (size < 2 || size > 65536) throw UsageError(fmt::format("--size {} must be between 2 and 65536", size));
  if (scale.empty()) throw UsageError("--scale is required (pixel size, e.g. 3mas or 0.01asec)");
  ImageGrid g;
  g.nx = g.ny = size;
  g.cell = parse_angle(scale, "asec");
  g.validate();
  return g;
}

void WeightingInput::add_to(CLI::App* app) {
  app->add_option("--weighting", weighting, "natural, uniform or briggs")->capture_default_str();
  app->add_option("--robust", robust, "Briggs robust parameter R in [-2, 2] (with --weighting briggs)")
      ->capture_default_str()
      ->each([this](const std::string&) { robust_given = true; });
  app->add_option("--taper", taper, "Gaussian uv taper given as its image-plane FWHM (angle; bare number: arcsec)");
}

WeightingOptions WeightingInput::options() const {
  WeightingOptions wo;
  wo.scheme = parse_weighting(weighting);
  if (robust_given && wo.scheme != WeightingScheme::kBriggs)
    throw UsageError(fmt::format("--robust applies to --weighting briggs, not {}", weighting));
  wo.robust = robust;
  if (!taper.empty()) wo.taper_fwhm = parse_angle(taper, "asec");
  wo.validate();
  return wo;
}

namespace {
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
}  // namespace

LoadedVisibilities read_visibilities(const VisibilityInput& in) {
  LoadedVisibilities d;
  d.obs = in.read();
  const Observation& obs = d.obs;
  obs.check_shapes(in.input);
  if (obs.nrow == 0) throw DataError(fmt::format("{}: no rows in the selected field and spectral window", in.input));
  d.vis = obs.stokes_i();
  if (d.vis.size() == 0)
    throw DataError(fmt::format("{}: all {} samples are flagged or have zero weight ({:.1f} % flagged); nothing to image",
                                in.input, obs.nrow * obs.nchan * obs.ncorr, 100 * obs.flagged_fraction()));
  d.vis.validate(in.input);
  if (obs.frequency_known && !obs.freq.empty()) {
    for (double f : obs.freq) d.freq_hz += f;
    d.freq_hz /= obs.freq.size();
  } else if (!in.freq.empty()) {
    d.freq_hz = parse_frequency(in.freq, "GHz");
  }
  return d;
}

void fit_grid(LoadedVisibilities& d, const VisibilityInput& in, ImageGrid grid) {
  grid.ra = d.obs.ra;
  grid.dec = d.obs.dec;
  check_cell_against_baselines(d.obs, grid, in.input);
  d.grid = grid;
  // Logged once the grid fits: a command that fails its checks prints one line, the error.
  log().info("{}: {} Stokes-I visibilities ({} rows × {} channels), longest baseline {:.4g} kλ", in.input, d.vis.size(),
             d.obs.nrow, d.obs.nchan, d.vis.max_uv() / 1e3);
}

LoadedVisibilities load_visibilities(const VisibilityInput& in, ImageGrid grid) {
  LoadedVisibilities d = read_visibilities(in);
  fit_grid(d, in, grid);
  return d;
}

FitsImage make_fits(const LoadedVisibilities& data, const std::vector<double>& pixels, const std::string& bunit,
                    const std::string& what) {
  return make_fits_image(pixels, data.grid, data.freq_hz, bunit, what);
}

void write_image_figure(const std::string& path, const std::vector<double>& pixels, const ImageGrid& g,
                        const std::string& title, const std::string& unit) {
  ImagePanel panel;
  panel.pixels = pixels;
  panel.nx = g.nx;
  panel.ny = g.ny;
  panel.title = title;
  panel.cmap = ColorMap::kInferno;
  panel.colorbar_label = unit;
  write_image_png(path, panel);
}

}  // namespace penumbra::cli
