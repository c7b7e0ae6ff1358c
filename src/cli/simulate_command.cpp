// penumbra simulate: an interferometric observation of a sky model.
//
// Array layout (built-in alma-long, a CASA .cfg or an OSKAR layout.txt) →
// earth-rotation UVW tracks over an hour-angle range → model visibilities of the
// truth image (exact direct Fourier transform for small problems, NUFFT at ε = 1e-8
// otherwise) → thermal noise of a stated rms → observation.ms (MeasurementSet),
// observation.txt.gz (Stokes-I uvtable), truth.fits / truth.png (Jy/pixel) and
// summary.json, in the run folder. With no options: the demo observation
// (an AS 209-like disk at 240 GHz with ALMA-like long-baseline coverage; docs/simulate.md).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "instruments/array_layout.hpp"
#include "instruments/dft.hpp"
#include "instruments/noise.hpp"
#include "instruments/nufft.hpp"
#include "instruments/uvw_simulation.hpp"
#include "src/cli/commands.hpp"
#include "src/core/errors.hpp"
#include "src/core/log.hpp"
#include "src/core/progress.hpp"
#include "src/core/rng.hpp"
#include "src/core/run_folder.hpp"
#include "src/core/threads.hpp"
#include "src/core/units.hpp"
#include "src/datasets/protoplanetary_disk.hpp"
#include "src/io/fits_image.hpp"
#include "src/io/measurement_set.hpp"
#include "src/io/png.hpp"
#include "src/io/uvtable.hpp"

// A named namespace: the CLI is a unity build, anonymous namespaces of several
// command files would merge.
namespace penumbra::cli::simulate_impl {

// Random streams of a simulate run (derive_seed(seed, stream)).
constexpr std::uint64_t kNoiseStream = 1;
constexpr std::uint64_t kDiskStream = 2;
// Above this many visibility × pixel products the exact DFT gives way to the NUFFT.
constexpr double kDftBudget = 4e9;

struct Options {
  std::string layout = "alma-long";
  std::string site = "ALMA";
  std::string ra = "16:49:15.30";  // AS 209 (J2000)
  std::string dec = "-14:22:08.6";
  std::string date = "2017-09-24";
  std::string ha_start = "-1h", ha_end = "1h", duration;
  std::string integration = "120s";
  std::string min_elevation;
  std::string freq = "240GHz";
  int nchan = 1;
  std::string chan_width = "7.5GHz";
  std::string sky = "disk";
  std::string disk_preset = "as209";
  std::string disk_radius = "0.28asec", disk_inclination = "35deg", disk_pa = "86deg", disk_flux = "0.3Jy";
  int size = 64;
  std::string scale = "10mas";
  std::string noise_rms = "auto";
  std::string sefd = "2900Jy";
  double efficiency = 0.88;
  std::string uvtable = "observation.txt.gz";
  bool no_ms = false;
  std::string model_method = "auto";
};

// "0.3", "0.3Jy", "300mJy", "40uJy" → Jy.
double parse_flux(const std::string& text, const char* what) {
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    throw UsageError(fmt::format("{} '{}' is not a flux density (e.g. 0.3Jy, 2mJy)", what, text));
  }
  std::string unit = text.substr(used);
  unit.erase(std::remove(unit.begin(), unit.end(), ' '), unit.end());
  std::transform(unit.begin(), unit.end(), unit.begin(), [](unsigned char c) { return std::tolower(c); });
  double f = 1.0;
  if (unit.empty() || unit == "jy")
    f = 1.0;
  else if (unit == "mjy")
    f = 1e-3;
  else if (unit == "ujy" || unit == "µjy")
    f = 1e-6;
  else
    throw UsageError(fmt::format("{} '{}': unknown unit '{}' (Jy, mJy, uJy)", what, text, unit));
  if (!std::isfinite(v)) throw UsageError(fmt::format("{} '{}' is not finite", what, text));
  return v * f;
}

// Sexagesimal "HH:MM:SS.s" / "12h34m56.7s" (hours) or an angle with a unit (bare: degrees).
double parse_ra(const std::string& text) {
  static const std::regex hms(R"(^\s*(\d+)[:h ](\d+)[:m ](\d+(?:\.\d*)?)s?\s*$)");
  std::smatch m;
  if (std::regex_match(text, m, hms)) {
    double h = std::stod(m[1]), mi = std::stod(m[2]), s = std::stod(m[3]);
    if (h >= 24 || mi >= 60 || s >= 60) throw UsageError(fmt::format("--ra '{}' is not a valid HH:MM:SS", text));
    return (h + mi / 60 + s / 3600) * 15 * kDeg;
  }
  if (text.find(':') != std::string::npos) throw UsageError(fmt::format("--ra '{}' is not HH:MM:SS.s", text));
  return parse_angle(text, "deg");
}

// Sexagesimal "±DD:MM:SS.s" / "-14d22m08.6s" or an angle with a unit (bare: degrees).
double parse_dec(const std::string& text) {
  static const std::regex dms(R"(^\s*([+-]?)(\d+)[:d ](\d+)[:m ](\d+(?:\.\d*)?)s?\s*$)");
  std::smatch m;
  double d;
  if (std::regex_match(text, m, dms)) {
    double deg = std::stod(m[2]), mi = std::stod(m[3]), s = std::stod(m[4]);
    if (mi >= 60 || s >= 60) throw UsageError(fmt::format("--dec '{}' is not a valid ±DD:MM:SS", text));
    d = (m[1] == "-" ? -1.0 : 1.0) * (deg + mi / 60 + s / 3600) * kDeg;
  } else {
    if (text.find(':') != std::string::npos) throw UsageError(fmt::format("--dec '{}' is not ±DD:MM:SS.s", text));
    d = parse_angle(text, "deg");
  }
  if (std::abs(d) > kPi / 2) throw UsageError(fmt::format("--dec '{}' is outside −90°…+90°", text));
  return d;
}

// "YYYY-MM-DD" → MJD (days), proleptic Gregorian.
double parse_date_mjd(const std::string& text) {
  static const std::regex ymd(R"(^\s*(\d{4})-(\d{2})-(\d{2})\s*$)");
  std::smatch m;
  if (!std::regex_match(text, m, ymd)) throw UsageError(fmt::format("--date '{}' is not YYYY-MM-DD", text));
  int y = std::stoi(m[1]), mo = std::stoi(m[2]), d = std::stoi(m[3]);
  if (mo < 1 || mo > 12 || d < 1 || d > 31) throw UsageError(fmt::format("--date '{}' is not a valid date", text));
  // Days from 1970-01-01 (H. Hinnant's days_from_civil), MJD 40587 = 1970-01-01.
  y -= mo <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return 40587.0 + era * 146097.0 + doe - 719468.0;
}

// Hour angles: a bare number is hours; "30min", "-1.5h", "-15deg" also work.
double parse_hour_angle(const std::string& text, const char* what) {
  try {
    return parse_duration(text, "h") * 2 * kPi / 86400.0;
  } catch (const UsageError&) {
  }
  try {
    return parse_angle(text, "deg");
  } catch (const UsageError&) {
  }
  throw UsageError(fmt::format("{} '{}' is not an hour angle (e.g. -1h, 30min, -15deg)", what, text));
}

using Clock = std::chrono::steady_clock;
double elapsed(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

struct Sky {
  std::vector<double> pixels;  // Jy/pixel, [y][x]
  ImageGrid grid;
  std::string description;
  std::string field;
  double flux = 0;
};

Sky make_sky(const Options& o, CLI::App& app, std::uint64_t seed) {
  Sky s;
  const bool grid_given = app.count("--size") + app.count("--scale") > 0;
  if (o.sky == "disk") {
    s.grid.nx = s.grid.ny = o.size;
    if (o.size < 8 || o.size > 8192) throw UsageError(fmt::format("--size {} must be between 8 and 8192", o.size));
    s.grid.cell = parse_angle(o.scale, "asec");
    s.grid.validate();
    ProtoplanetaryDisk d;
    if (o.disk_preset == "as209") {
      d = as209_like_disk(parse_angle(o.disk_radius, "asec"));
      d.inclination = parse_angle(o.disk_inclination, "deg");
      d.position_angle = parse_angle(o.disk_pa, "deg");
      d.flux = parse_flux(o.disk_flux, "--disk-flux");
      s.field = "AS209-like disk";
    } else if (o.disk_preset == "random") {
      for (const char* opt : {"--disk-radius", "--disk-inclination", "--disk-pa", "--disk-flux"})
        if (app.count(opt) > 0)
          throw UsageError(fmt::format("{} applies to --disk-preset as209; a random disk draws its own (from --seed)",
                                       opt));
      d = random_disk(derive_seed(seed, kDiskStream), s.grid);
      s.field = "random disk";
    } else {
      throw UsageError(fmt::format("--disk-preset '{}' is not one of: as209, random", o.disk_preset));
    }
    d.validate();
    s.pixels = render_disk(d, s.grid);
    s.description = d.describe();
    s.flux = d.flux;
    return s;
  }
  // A FITS image: its own grid, in Jy/pixel (or Jy/beam with a beam, converted).
  if (grid_given)
    throw UsageError("--size and --scale set the grid of the built-in disk; a --sky FITS image brings its own grid");
  for (const char* opt : {"--disk-preset", "--disk-radius", "--disk-inclination", "--disk-pa", "--disk-flux"})
    if (app.count(opt) > 0) throw UsageError(fmt::format("{} applies to --sky disk, not to a FITS sky", opt));
  require_exists(o.sky, "sky model FITS image");
  FitsImage img = read_fits_image(o.sky);
  std::string unit = img.bunit;
  std::transform(unit.begin(), unit.end(), unit.begin(), [](unsigned char c) { return std::tolower(c); });
  unit.erase(std::remove(unit.begin(), unit.end(), ' '), unit.end());
  double factor = 1.0;
  if (unit == "jy/pixel" || unit == "jy/pix") {
    factor = 1.0;
  } else if (unit == "jy/beam" && img.beam && img.beam->bmaj > 0 && img.beam->bmin > 0) {
    // Beam solid angle of a Gaussian in pixels: π·bmaj·bmin / (4 ln 2 · cell²).
    factor = 4 * std::log(2.0) * img.grid.cell * img.grid.cell / (kPi * img.beam->bmaj * img.beam->bmin);
  } else {
    throw DataError(fmt::format("{}: BUNIT is '{}', expected Jy/pixel (or Jy/beam with BMAJ/BMIN)", o.sky, img.bunit));
  }
  s.grid = img.grid;
  s.grid.validate();
  s.pixels = std::move(img.pixels);
  for (std::size_t k = 0; k < s.pixels.size(); ++k) {
    if (!std::isfinite(s.pixels[k]))
      throw DataError(fmt::format("{}: pixel ({}, {}) is not finite ({})", o.sky, k % s.grid.nx, k / s.grid.nx,
                                  s.pixels[k]));
    s.pixels[k] *= factor;
    s.flux += s.pixels[k];
  }
  s.description = fmt::format("FITS image {} ({}×{}, cell {})", o.sky, s.grid.nx, s.grid.ny, format_angle(s.grid.cell));
  s.field = std::filesystem::path(o.sky).stem().string();
  return s;
}

void run(Context& ctx, CLI::App& app, const Options& o) {
  auto t_start = Clock::now();
  // Everything that can be checked before any work.
  if (o.nchan < 1 || o.nchan > 65536) throw UsageError(fmt::format("--nchan {} must be between 1 and 65536", o.nchan));
  const double freq0 = parse_frequency(o.freq, "GHz");
  const double chan_width = parse_frequency(o.chan_width, "GHz");
  if (!(freq0 > 0)) throw UsageError(fmt::format("--freq {} must be positive", o.freq));
  if (!(chan_width > 0)) throw UsageError(fmt::format("--chan-width {} must be positive", o.chan_width));
  if (chan_width * o.nchan >= 2 * freq0)
    throw UsageError(fmt::format("--nchan {} × --chan-width {} reaches below 0 Hz around --freq {}", o.nchan,
                                 o.chan_width, o.freq));
  const bool noise_auto = o.noise_rms == "auto";
  double sigma_i = 0;
  if (!noise_auto) {
    sigma_i = parse_flux(o.noise_rms, "--noise-rms");
    if (!(sigma_i >= 0))
      throw UsageError(fmt::format("--noise-rms {} must be ≥ 0 Jy (rms of one Stokes-I visibility)", o.noise_rms));
  }
  const double sefd = parse_flux(o.sefd, "--sefd");
  if (noise_auto && !(sefd > 0)) throw UsageError(fmt::format("--sefd {} must be positive", o.sefd));
  if (o.model_method != "auto" && o.model_method != "dft" && o.model_method != "nufft")
    throw UsageError(fmt::format("--model-method '{}' is not one of: auto, dft, nufft", o.model_method));
  if (!(o.efficiency > 0 && o.efficiency <= 1))
    throw UsageError(fmt::format("--efficiency {} must lie in (0, 1]", o.efficiency));

  UvwSimulationConfig cfg;
  cfg.ra = parse_ra(o.ra);
  cfg.dec = parse_dec(o.dec);
  cfg.date_mjd = parse_date_mjd(o.date);
  if (!o.duration.empty()) {
    double d = parse_hour_angle(o.duration, "--duration");
    if (!(d > 0)) throw UsageError(fmt::format("--duration {} must be positive", o.duration));
    cfg.ha_start = -d / 2;
    cfg.ha_end = d / 2;
  } else {
    cfg.ha_start = parse_hour_angle(o.ha_start, "--ha-start");
    cfg.ha_end = parse_hour_angle(o.ha_end, "--ha-end");
  }
  cfg.integration = parse_duration(o.integration, "s");
  if (!o.min_elevation.empty()) cfg.min_elevation = parse_angle(o.min_elevation, "deg");

  Site site = site_by_name(o.site);
  ArrayLayout layout = load_array_layout(o.layout, site);
  UvwTracks tracks = simulate_uvw(layout, cfg);
  if (tracks.dropped_dumps > 0)
    log().info("elevation limit {}: dropped {} of {} integrations", format_angle(*cfg.min_elevation),
               tracks.dropped_dumps, tracks.dropped_dumps + tracks.ndump);
  double min_el = *std::min_element(tracks.elevation.begin(), tracks.elevation.end());
  if (min_el < 0)
    log().warn("the source is below the horizon (elevation {}) for part of the track; use --min-elevation 0deg to "
               "drop those integrations",
               format_angle(min_el));

  Sky sky = make_sky(o, app, ctx.seed());
  if (!app.count("--ra") && !app.count("--dec") && o.sky != "disk") {
    // A FITS sky's own reference direction becomes the phase centre unless --ra/--dec say otherwise.
    if (sky.grid.ra != 0 || sky.grid.dec != 0) {
      cfg.ra = sky.grid.ra;
      cfg.dec = sky.grid.dec;
      tracks = simulate_uvw(layout, cfg);
    }
  }
  sky.grid.ra = cfg.ra;
  sky.grid.dec = cfg.dec;

  // The observation.
  Observation obs;
  obs.nrow = tracks.rows();
  obs.nchan = static_cast<std::size_t>(o.nchan);
  obs.ncorr = 2;
  obs.corr = {int(Corr::XX), int(Corr::YY)};
  for (int c = 0; c < o.nchan; ++c) obs.freq.push_back(freq0 + (c - 0.5 * (o.nchan - 1)) * chan_width);
  obs.allocate();
  obs.uvw = tracks.uvw;
  obs.antenna1 = tracks.antenna1;
  obs.antenna2 = tracks.antenna2;
  obs.time = tracks.time;
  obs.interval = tracks.interval;
  obs.ra = cfg.ra;
  obs.dec = cfg.dec;
  obs.telescope = layout.site.name.empty() ? "UNKNOWN" : layout.site.name;
  obs.field = sky.field;
  obs.antenna_xyz = layout.itrf();
  obs.dish_diameter = layout.diameter[0];

  // Flattened (row, channel) uv in wavelengths; the cell must resolve the longest.
  const std::size_t nvis = obs.nrow * obs.nchan;
  std::vector<double> u(nvis), v(nvis);
  double uvmax = 0, uvmin = INFINITY;
  std::size_t worst = 0;
  for (std::size_t r = 0; r < obs.nrow; ++r)
    for (std::size_t ch = 0; ch < obs.nchan; ++ch) {
      std::size_t k = r * obs.nchan + ch;
      u[k] = obs.u_lambda(r, ch);
      v[k] = obs.v_lambda(r, ch);
      double q = std::hypot(u[k], v[k]);
      if (q > uvmax) uvmax = q, worst = k;
      uvmin = std::min(uvmin, q);
    }
  if (uvmax > sky.grid.max_uv()) {
    std::size_t r = worst / obs.nchan, ch = worst % obs.nchan;
    double fit = 0.999 / (2 * uvmax);
    throw UsageError(fmt::format(
        "the truth image's cell {} is too coarse: baseline {}-{} reaches |uv| = {:.5g} kλ at {} (row {}), beyond "
        "the {:.5g} kλ the cell resolves; use --scale {:.4g}mas or finer (and --size {} to keep the field)",
        format_angle(sky.grid.cell), layout.antenna[obs.antenna1[r]], layout.antenna[obs.antenna2[r]], uvmax / 1e3,
        format_frequency(obs.freq[ch]), r, sky.grid.max_uv() / 1e3, fit / (1e-3 * kArcsec),
        static_cast<int>(std::ceil(sky.grid.nx * sky.grid.cell / fit / 2) * 2)));
  }

  // Model visibilities of the truth image (internal sign convention).
  std::vector<std::complex<double>> model(nvis);
  const double work = static_cast<double>(nvis) * static_cast<double>(sky.grid.size());
  std::string method;
  auto t_model = Clock::now();
  if (o.model_method == "dft" || (o.model_method == "auto" && work <= kDftBudget)) {
    method = "dft";
    Progress bar("simulate: model visibilities (DFT)", static_cast<std::int64_t>(nvis), "vis");
    const std::size_t chunk = 8192;
    for (std::size_t k0 = 0; k0 < nvis; k0 += chunk) {
      std::size_t n = std::min(chunk, nvis - k0);
      dft_degrid(std::span<const double>(u).subspan(k0, n), std::span<const double>(v).subspan(k0, n), sky.grid,
                 sky.pixels, std::span<std::complex<double>>(model).subspan(k0, n));
      bar.tick(static_cast<std::int64_t>(n));
    }
    bar.finish();
  } else {
    method = "nufft(1e-8)";
    log().info("model visibilities: NUFFT at ε = 1e-8 for {} visibilities on a {}×{} image", nvis, sky.grid.nx,
               sky.grid.ny);
    NufftPlan<double> plan(u, v, sky.grid, 1e-8);
    plan.degrid(sky.pixels, model);
  }
  const double model_seconds = elapsed(t_model);
  for (std::size_t r = 0; r < obs.nrow; ++r)
    for (std::size_t ch = 0; ch < obs.nchan; ++ch) {
      auto m = std::complex<float>(model[r * obs.nchan + ch]);
      for (std::size_t c = 0; c < obs.ncorr; ++c) obs.vis[obs.index(r, ch, c)] = m;  // unpolarised: XX = YY = I
    }

  // Thermal noise.
  std::string noise_source = noise_auto ? "radiometer" : "given";
  double sigma_corr = 0;
  if (noise_auto) {
    sigma_corr = radiometer_sigma(sefd, chan_width, tracks.interval, o.efficiency);
    sigma_i = sigma_corr / std::sqrt(2.0);
  } else {
    sigma_corr = correlation_sigma_for_stokes_i(sigma_i, obs);
  }
  add_thermal_noise(obs, sigma_corr, ctx.seed(), kNoiseStream);

  // Outputs.
  RunFolder& runf = ctx.run("simulate");
  Progress bar("simulate: writing outputs", o.no_ms ? 3 : 4, "files");
  if (!o.no_ms) {
    write_measurement_set(runf.path("observation.ms"), obs);
    bar.tick(1, "observation.ms");
  }
  VisibilitySet vis = obs.stokes_i();
  write_uvtable(runf.path(o.uvtable), vis);
  bar.tick(1, o.uvtable);
  FitsImage truth;
  truth.pixels = sky.pixels;
  truth.grid = sky.grid;
  truth.freq_hz = freq0;
  truth.bunit = "Jy/pixel";
  truth.history["penumbra"] = "simulate truth image";
  truth.history["sky"] = sky.description;
  write_fits_image(runf.path("truth.fits"), truth);
  bar.tick(1, "truth.fits");
  ImagePanel panel;
  panel.pixels = sky.pixels;
  panel.nx = sky.grid.nx;
  panel.ny = sky.grid.ny;
  panel.title = "truth";
  panel.colorbar_label = "Jy/pixel";
  write_image_png(runf.path("truth.png"), panel);
  bar.tick(1, "truth.png");
  bar.finish();

  // Signal-to-noise figures: natural-weight point-source sensitivity, and the
  // median per-visibility S/N of the model.
  std::vector<double> amp(nvis);
  for (std::size_t k = 0; k < nvis; ++k) amp[k] = std::abs(model[k]);
  std::nth_element(amp.begin(), amp.begin() + nvis / 2, amp.end());
  const double median_amp = amp[nvis / 2];
  const double image_sigma = sigma_i / std::sqrt(static_cast<double>(nvis));
  nlohmann::json noise = {
      {"rms_stokes_i_jy", sigma_i},
      {"rms_per_correlation_jy", sigma_corr},
      {"convention", "rms of the real (and of the imaginary) part of one visibility; WEIGHT = 1/rms^2"},
      {"source", noise_source},
      {"weight_per_correlation", sigma_corr > 0 ? 1.0 / (sigma_corr * sigma_corr) : 1.0},
      {"weight_stokes_i", vis.weight.empty() ? 0.0 : vis.weight[0]},
      {"image_rms_natural_jy_per_beam", image_sigma},
  };
  if (noise_auto)
    noise["radiometer"] = {{"sefd_jy", sefd},
                           {"bandwidth_hz", chan_width},
                           {"integration_s", tracks.interval},
                           {"efficiency", o.efficiency}};
  nlohmann::json summary = {
      {"layout", layout.name},
      {"site", {{"name", layout.site.name}, {"latitude_deg", layout.site.latitude / kDeg},
                {"longitude_deg", layout.site.longitude / kDeg}, {"height_m", layout.site.height}}},
      {"antennas", layout.size()},
      {"baselines", layout.baselines()},
      {"max_baseline_m", layout.max_baseline()},
      {"min_baseline_m", layout.min_baseline()},
      {"integrations", tracks.ndump},
      {"integration_s", tracks.interval},
      {"dropped_integrations", tracks.dropped_dumps},
      {"hour_angle_h", {cfg.ha_start * 12 / kPi, cfg.ha_end * 12 / kPi}},
      {"elevation_deg", {min_el / kDeg, *std::max_element(tracks.elevation.begin(), tracks.elevation.end()) / kDeg}},
      {"ra_deg", cfg.ra / kDeg},
      {"dec_deg", cfg.dec / kDeg},
      {"date", o.date},
      {"rows", obs.nrow},
      {"channels", obs.nchan},
      {"correlations", {"XX", "YY"}},
      {"frequency_hz", obs.freq},
      {"channel_width_hz", chan_width},
      {"visibilities", vis.size()},
      {"uv_min_klambda", uvmin / 1e3},
      {"uv_max_klambda", uvmax / 1e3},
      {"sky", {{"kind", o.sky == "disk" ? "disk" : "fits"}, {"description", sky.description}, {"flux_jy", sky.flux}}},
      {"image", {{"size", {sky.grid.nx, sky.grid.ny}}, {"cell_rad", sky.grid.cell}, {"cell_mas", sky.grid.cell / (1e-3 * kArcsec)},
                 {"field_arcsec", sky.grid.nx * sky.grid.cell / kArcsec}, {"max_uv_resolved_klambda", sky.grid.max_uv() / 1e3}}},
      {"noise", noise},
      {"snr", {{"total_flux_over_image_rms", image_sigma > 0 ? nlohmann::json(sky.flux / image_sigma) : nlohmann::json(nullptr)},
               {"median_visibility_amplitude_jy", median_amp},
               {"median_visibility_snr", sigma_i > 0 ? nlohmann::json(median_amp / sigma_i) : nlohmann::json(nullptr)}}},
      {"model_visibilities", {{"method", method}, {"seconds", model_seconds}}},
      {"seed", ctx.seed()},
      {"seconds", elapsed(t_start)},
      {"files", o.no_ms ? nlohmann::json{o.uvtable, "truth.fits", "truth.png", "summary.json"}
                        : nlohmann::json{"observation.ms", o.uvtable, "truth.fits", "truth.png", "summary.json"}},
  };
  write_text_atomic(runf.path("summary.json"), summary.dump(2) + "\n");
  runf.finish(summary);
  log().info("simulated {} rows ({} antennas, {} integrations, {} channels), uv {:.4g}–{:.4g} kλ; {}; noise {:.4g} mJy "
             "per Stokes-I visibility ({}), natural image rms {:.4g} µJy/beam; S/N of the total flux {:.4g} → {}",
             obs.nrow, layout.size(), tracks.ndump, obs.nchan, uvmin / 1e3, uvmax / 1e3, sky.description, sigma_i * 1e3,
             noise_source, image_sigma * 1e6, image_sigma > 0 ? sky.flux / image_sigma : INFINITY,
             runf.dir().string());
}

}  // namespace penumbra::cli::simulate_impl

namespace penumbra::cli {

Runner add_simulate(CLI::App& root) {
  auto o = std::make_shared<simulate_impl::Options>();
  CLI::App* app = root.add_subcommand(
      "simulate",
      "Simulate an interferometric observation (MS, uvtable, truth image). No options: the demo, an AS 209-like disk "
      "at 240 GHz with ALMA-like long-baseline coverage");
  app->add_option("--layout", o->layout, "Array layout: alma-long (built in), a CASA .cfg or an OSKAR layout.txt")
      ->capture_default_str();
  app->add_option("--site", o->site, "Observatory of an OSKAR layout.txt (ALMA, VLA, MeerKAT)")->capture_default_str();
  app->add_option("--ra", o->ra, "Phase centre right ascension (HH:MM:SS.s or an angle)")->capture_default_str();
  app->add_option("--dec", o->dec, "Phase centre declination (±DD:MM:SS.s or an angle)")->capture_default_str();
  app->add_option("--date", o->date, "UTC date (YYYY-MM-DD) whose transit the hour angles refer to")
      ->capture_default_str();
  auto* hs = app->add_option("--ha-start", o->ha_start, "First hour angle (-1h, -30min, -15deg)")->capture_default_str();
  auto* he = app->add_option("--ha-end", o->ha_end, "Last hour angle")->capture_default_str();
  app->add_option("--duration", o->duration, "Track length centred on transit (instead of --ha-start/--ha-end)")
      ->excludes(hs)
      ->excludes(he);
  app->add_option("--integration", o->integration, "Integration time per visibility (s, min)")->capture_default_str();
  app->add_option("--min-elevation", o->min_elevation, "Drop integrations with the source below this elevation");
  app->add_option("--freq", o->freq, "Centre frequency")->capture_default_str();
  app->add_option("--nchan", o->nchan, "Number of channels")->capture_default_str();
  app->add_option("--chan-width", o->chan_width, "Channel width (also the radiometer bandwidth)")
      ->capture_default_str();
  app->add_option("--sky", o->sky, "Sky model: disk (built in) or a FITS image in Jy/pixel")->capture_default_str();
  app->add_option("--disk-preset", o->disk_preset, "as209 (AS 209-like rings and gaps) or random (drawn from --seed)")
      ->capture_default_str();
  app->add_option("--disk-radius", o->disk_radius, "Outer radius of the disk emission")->capture_default_str();
  app->add_option("--disk-inclination", o->disk_inclination, "Disk inclination (0 = face-on)")->capture_default_str();
  app->add_option("--disk-pa", o->disk_pa, "Position angle of the major axis, East of North")->capture_default_str();
  app->add_option("--disk-flux", o->disk_flux, "Total flux density of the disk")->capture_default_str();
  app->add_option("--size", o->size, "Truth image size in pixels (built-in disk)")->capture_default_str();
  app->add_option("--scale", o->scale, "Truth image cell (built-in disk); must resolve the longest baseline")
      ->capture_default_str();
  app->add_option("--noise-rms", o->noise_rms,
                  "Thermal noise: rms of the real part of one Stokes-I visibility (Jy), or auto = radiometer equation")
      ->capture_default_str();
  app->add_option("--sefd", o->sefd, "System-equivalent flux density per antenna for --noise-rms auto")
      ->capture_default_str();
  app->add_option("--efficiency", o->efficiency, "Correlator efficiency for --noise-rms auto")->capture_default_str();
  app->add_option("--uvtable", o->uvtable, "File name of the Stokes-I uvtable (.txt, .txt.gz or .txt.bz2)")
      ->capture_default_str();
  app->add_flag("--no-ms", o->no_ms, "Do not write the MeasurementSet");
  app->add_option("--model-method", o->model_method,
                  "Model visibilities: dft (exact), nufft (ε = 1e-8) or auto (DFT up to 4e9 visibility × pixel products)")
      ->capture_default_str();
  return [o, app](Context& ctx) { simulate_impl::run(ctx, *app, *o); };
}

}  // namespace penumbra::cli
