#include "src/cli/visibility_input.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>

#include "src/core/errors.hpp"
#include "src/core/log.hpp"
#include "src/core/units.hpp"
#include "src/io/describe.hpp"
#include "src/io/measurement_set.hpp"
#include "src/io/png.hpp"
#include "src/io/uvtable.hpp"

namespace penumbra::cli {

void VisibilityInput::add_to(CLI::App* app, bool input_required) {
  auto* opt = app->add_option("input", input,
                              "MeasurementSet (directory) or uvtable (u v Re Im weight; .bz2/.gz); more may follow");
  if (input_required) opt->required();
  app->add_option("more-inputs", more_inputs,
                  "Further MeasurementSets or uvtables, imaged together with the first (one phase centre)");
  app->add_option("--column", column, "MS data column: DATA, CORRECTED_DATA or MODEL_DATA")->capture_default_str();
  app->add_option("--field", field, "MS FIELD_ID (default: the first field with unflagged rows)");
  app->add_option("--spw", spw, "MS spectral windows: all (every window with rows) or a list such as 0,2")
      ->capture_default_str();
  app->add_option("--freq", freq, "Observing frequency of uvtable input, for headers (e.g. 240GHz)");
  app->add_option("--uv-min", uv_min,
                  "Drop baselines shorter than this |uv| (e.g. 50klambda, 800lambda, bare number: λ; or 10m)");
  app->add_option("--uv-max", uv_max, "Drop baselines longer than this |uv| (e.g. 2000klambda, 1.5Mlambda, 3km)");
  app->add_option("--average-time", average_time, "Average each baseline over bins of this length on read (e.g. 30s)");
  app->add_option("--average-channels", average_channels, "Average groups of N adjacent channels on read")
      ->capture_default_str();
}

std::vector<std::string> VisibilityInput::inputs() const {
  std::vector<std::string> all{input};
  all.insert(all.end(), more_inputs.begin(), more_inputs.end());
  return all;
}

std::string VisibilityInput::label() const { return fmt::format("{}", fmt::join(inputs(), ", ")); }

ReadPlan read_plan(const VisibilityInput& in) {
  ReadPlan p;
  if (in.spw != "all")
    for (double s : parse_number_list(in.spw, "--spw")) {
      if (s < 0 || s != std::floor(s) || s > 1e6)
        throw UsageError(fmt::format("--spw '{}': expected all or spectral window numbers such as 0,2", in.spw));
      p.spws.push_back(static_cast<int>(s));
    }
  if (!in.uv_min.empty()) p.uv.min = parse_uv_distance(in.uv_min, "--uv-min");
  if (!in.uv_max.empty()) p.uv.max = parse_uv_distance(in.uv_max, "--uv-max");
  if (p.uv.min && p.uv.max && p.uv.min->wavelengths == p.uv.max->wavelengths && p.uv.min->value >= p.uv.max->value)
    throw UsageError(fmt::format("--uv-min {} must be below --uv-max {}", in.uv_min, in.uv_max));
  if (!in.average_time.empty()) {
    p.average_seconds = parse_duration(in.average_time, "s");
    if (!(p.average_seconds > 0)) throw UsageError(fmt::format("--average-time {} must be positive", in.average_time));
  }
  if (in.average_channels < 1)
    throw UsageError(fmt::format("--average-channels {} must be at least 1", in.average_channels));
  p.average_channels = static_cast<std::size_t>(in.average_channels);
  return p;
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

// Hands each spectral window of one input to `take` as it is read (one
// window's samples in memory at a time); a uvtable is one window.
void read_input(const VisibilityInput& in, const ReadPlan& plan, const std::string& path,
                const std::function<void(MsWindow&&)>& take) {
  require_exists(path, "input visibilities");
  if (std::filesystem::is_directory(path)) {
    MsSelection sel;
    sel.column = in.column;
    sel.field = in.field;
    for_each_measurement_set_window(path, sel, plan.spws, take);
    return;
  }
  if (in.column != "DATA" || in.field >= 0 || in.spw != "all")
    throw UsageError(fmt::format("{} is a uvtable: --column, --field and --spw apply to MeasurementSets only", path));
  double wavelength = 0;
  if (!in.freq.empty()) wavelength = kSpeedOfLight / parse_frequency(in.freq, "GHz");
  MsWindow one;
  one.obs = read_uvtable(path, wavelength);
  take(std::move(one));
}

// What reading accumulates besides the samples.
struct ReadState {
  const ReadPlan& plan;
  std::string first_centre;  // the input whose phase centre the others must share
  std::size_t uv_dropped = 0, nfreq = 0;
  double freq_sum = 0;
  std::vector<std::string> skipped;  // windows flagged everywhere
  std::vector<std::string> dead;     // "<window>: channels …" flagged in every row of a window with data
};

// Inputs are combined only on one phase centre: the first MS's.
void check_phase_centre(LoadedVisibilities& d, const Observation& obs, const std::string& where, std::string& first) {
  if (!obs.frequency_known) return;  // uvtables carry no phase centre
  if (first.empty()) {
    first = where, d.ra = obs.ra, d.dec = obs.dec;
    return;
  }
  // Haversine: acos of a cosine near 1 loses milliarcseconds.
  const double sd = std::sin(0.5 * (obs.dec - d.dec)), sr = std::sin(0.5 * (obs.ra - d.ra));
  const double sep = 2 * std::asin(std::min(1.0, std::sqrt(sd * sd + std::cos(d.dec) * std::cos(obs.dec) * sr * sr)));
  if (sep > 1e-3 * kArcsec)
    throw DataError(fmt::format("{}: phase centre RA {}, Dec {} differs from {}'s (RA {}, Dec {}) by {}; combine inputs "
                                "of one phase centre (phase-rotate them first)",
                                where, format_ra(obs.ra), format_dec(obs.dec), first, format_ra(d.ra),
                                format_dec(d.dec), format_angle(sep)));
}

// The unflagged sample with the largest |u| or |v|, for the cell check.
void track_longest(LoadedVisibilities& d, const Observation& obs, const std::string& where) {
  for (std::size_t r = 0; r < obs.nrow; ++r)
    for (std::size_t ch = 0; ch < obs.nchan; ++ch) {
      bool any = false;
      for (std::size_t c = 0; c < obs.ncorr; ++c) any |= !obs.flag[obs.index(r, ch, c)];
      if (!any) continue;
      const double u = obs.u_lambda(r, ch), v = obs.v_lambda(r, ch), a = std::max(std::abs(u), std::abs(v));
      if (a <= d.worst_uv) continue;
      d.worst_uv = a, d.worst_u = u, d.worst_v = v;
      d.worst_where = obs.antenna1.size() == obs.nrow
                          ? fmt::format("{}: baseline {}-{} (row {}, channel {})", where, obs.antenna1[r],
                                        obs.antenna2[r], r, ch)
                          : fmt::format("{}: row {}", where, r);
    }
}

// The channels flagged in every row of a window that has data in others ("" when
// none, or when the whole window is flagged: that case has its own message). They
// drop out like any flagged sample, but a channel dead in every row is usually a
// correlator or RFI fault the user should hear about.
std::string dead_channel_list(const Observation& obs) {
  std::string list;
  std::size_t dead = 0;
  for (std::size_t ch = 0; ch < obs.nchan; ++ch) {
    bool any = false;
    for (std::size_t r = 0; r < obs.nrow && !any; ++r)
      for (std::size_t c = 0; c < obs.ncorr; ++c) any |= !obs.flag[obs.index(r, ch, c)];
    if (any) continue;
    list += (list.empty() ? "" : ",") + std::to_string(ch);
    ++dead;
  }
  return dead == obs.nchan ? "" : list;
}

std::size_t count_flagged(const Observation& obs) {
  return static_cast<std::size_t>(std::count_if(obs.flag.begin(), obs.flag.end(), [](std::uint8_t f) { return f; }));
}

// Channel and time averaging, and what they smear over.
void average_window(LoadedVisibilities& d, Observation& obs, const ReadPlan& plan, const std::string& where) {
  if (obs.frequency_known && obs.nchan > 1) {
    const double spacing = std::abs(obs.freq[1] - obs.freq[0]);
    const double width = spacing * static_cast<double>(std::min(plan.average_channels, obs.nchan));
    d.fractional_width = std::max(d.fractional_width, width / obs.freq[0]);
  }
  if (plan.average_channels > 1) obs = average_channels(obs, plan.average_channels);
  if (plan.average_seconds > 0) obs = average_time(obs, plan.average_seconds, where);
  d.integration_s = std::max(d.integration_s, obs.interval);
}

// Adds one window's Stokes-I samples, averaged and uv-selected. A window with
// nothing unflagged is an error when asked for by number, else skipped.
void add_window(LoadedVisibilities& d, MsWindow&& w, ReadState& st, const std::string& path) {
  Observation obs = std::move(w.obs);
  obs.check_shapes(path);
  const std::string where = w.spw >= 0 ? fmt::format("{} spw {}", path, w.spw) : path;
  check_phase_centre(d, obs, path, st.first_centre);
  // The reference frequency: the mean over every channel read, before averaging.
  if (obs.frequency_known)
    for (double f : obs.freq) st.freq_sum += f, ++st.nfreq;
  if (obs.nrow > 0) {
    const std::string dead = dead_channel_list(obs);
    if (!dead.empty()) st.dead.push_back(fmt::format("{}: channel(s) {} flagged in every row; dropped", where, dead));
  }
  average_window(d, obs, st.plan, where);
  if (obs.nrow > 0 && count_flagged(obs) == obs.flag.size()) {
    if (!st.plan.spws.empty())
      throw DataError(fmt::format("{}: every channel is flagged in every row; choose other windows with --spw", where));
    st.skipped.push_back(where);
  }
  st.uv_dropped += flag_outside_uv_range(obs, st.plan.uv);
  d.nrow += obs.nrow;
  d.nchan += obs.nchan;
  d.nsamples += obs.flag.size();
  d.nflagged += count_flagged(obs);
  track_longest(d, obs, where);
  VisibilitySet s = obs.stokes_i();
  d.vis.u.insert(d.vis.u.end(), s.u.begin(), s.u.end());
  d.vis.v.insert(d.vis.v.end(), s.v.begin(), s.v.end());
  d.vis.vis.insert(d.vis.vis.end(), s.vis.begin(), s.vis.end());
  d.vis.weight.insert(d.vis.weight.end(), s.weight.begin(), s.weight.end());
}

// Throws the one line that says why nothing is left to image.
void require_samples(const LoadedVisibilities& d, const VisibilityInput& in, const ReadPlan& plan,
                     std::size_t uv_dropped) {
  if (d.vis.size() > 0) return;
  if (d.nrow == 0) throw DataError(fmt::format("{}: no rows in the selected field and spectral windows", in.label()));
  if (uv_dropped > 0)
    throw DataError(fmt::format("{}: no unflagged visibilities within the uv range {} ({} samples dropped by it)",
                                in.label(), plan.uv.describe(), uv_dropped));
  throw DataError(fmt::format("{}: all {} samples are flagged or have zero weight ({:.1f} % flagged); nothing to image",
                              in.label(), d.nsamples, 100 * d.flagged_fraction()));
}

// The cell must resolve the longest kept baseline along u and v.
void check_cell_against_baselines(const LoadedVisibilities& d, const ImageGrid& grid) {
  if (d.worst_uv < grid.max_uv()) return;
  throw UsageError(fmt::format(
      "{} reaches |u| or |v| = {:.4g} kλ (|uv| = {:.4g} kλ), beyond the {:.4g} kλ a cell of {} resolves; use "
      "--scale {} or smaller, or drop the longer baselines with --uv-max {:.4g}klambda",
      d.worst_where, d.worst_uv / 1e3, std::hypot(d.worst_u, d.worst_v) / 1e3, grid.max_uv() / 1e3,
      format_angle(grid.cell), format_angle(0.999 / (2 * d.worst_uv)), 0.999 * grid.max_uv() / 1e3));
}

// The amplitude that averaging (or the data's own integration and channel
// width) costs a source at the edge of the field on the longest baseline.
void log_smearing(const LoadedVisibilities& d) {
  if (!(d.integration_s > 0) && !(d.fractional_width > 0)) return;
  const double radius = 0.5 * d.grid.nx * d.grid.cell, uv = d.vis.max_uv();
  const double lt = time_smearing_loss(uv, d.integration_s, radius);
  const double lb = bandwidth_smearing_loss(uv, d.fractional_width, radius);
  auto& l = log();
  const std::string line = fmt::format(
      "smearing at the field edge ({} from the centre) on the longest baseline ({:.4g} kλ): {:.2g} % amplitude loss "
      "from {:.4g} s integrations, {:.2g} % from channels of Δν/ν = {:.3g}",
      format_angle(radius), uv / 1e3, 100 * lt, d.integration_s, 100 * lb, d.fractional_width);
  if (lt > 0.05 || lb > 0.05)
    l.warn("{}; average less (--average-time, --average-channels) or image a smaller field", line);
  else
    l.info("{}", line);
}

}  // namespace

LoadedVisibilities read_visibilities(const VisibilityInput& in) {
  const ReadPlan plan = read_plan(in);
  LoadedVisibilities d;
  ReadState st{plan, {}, 0, 0, 0, {}, {}};
  for (const std::string& path : in.inputs())
    read_input(in, plan, path, [&](MsWindow&& w) { add_window(d, std::move(w), st, path); });
  if (st.nfreq > 0) d.freq_hz = st.freq_sum / static_cast<double>(st.nfreq);
  if (plan.uv.active())
    log().info("{}: uv range {} dropped {} samples", in.label(), plan.uv.describe(), st.uv_dropped);
  require_samples(d, in, plan, st.uv_dropped);
  // Said only when something else is left: otherwise the error above is the one line.
  for (const auto& w : st.skipped) log().warn("{}: every channel is flagged in every row; skipped", w);
  for (const auto& line : st.dead) log().warn("{}", line);
  d.vis.validate(in.label());
  if (st.nfreq == 0 && !in.freq.empty()) d.freq_hz = parse_frequency(in.freq, "GHz");
  return d;
}

void fit_grid(LoadedVisibilities& d, const VisibilityInput& in, ImageGrid grid) {
  grid.ra = d.ra;
  grid.dec = d.dec;
  check_cell_against_baselines(d, grid);
  d.grid = grid;
  // Logged once the grid fits: a command that fails its checks prints one line, the error.
  log().info("{}: {} Stokes-I visibilities ({} rows × {} channels), longest baseline {:.4g} kλ", in.label(),
             d.vis.size(), d.nrow, d.nchan, d.vis.max_uv() / 1e3);
  log_smearing(d);
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
