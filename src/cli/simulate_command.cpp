// penumbra simulate: an interferometric observation of a sky model
// (src/pipelines/observe.hpp) → observation.ms, observation.txt.gz (Stokes-I
// uvtable), truth.fits / truth.png (Jy/pixel) and summary.json in the run folder.
// With no options: the demo observation (an AS 209-like disk at 240 GHz with
// ALMA-like long-baseline coverage; docs/simulate.md). --preset dsharp-as209: AS 209
// at its own scale in several MSs (src/cli/simulate_preset.hpp).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "instruments/array_layout.hpp"
#include "src/cli/commands.hpp"
#include "src/cli/simulate_preset.hpp"
#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/log.hpp"
#include "src/core/progress.hpp"
#include "src/core/rng.hpp"
#include "src/core/run_folder.hpp"
#include "src/core/sky_units.hpp"
#include "src/core/units.hpp"
#include "src/datasets/protoplanetary_disk.hpp"
#include "src/io/measurement_set.hpp"
#include "src/io/uvtable.hpp"
#include "src/pipelines/observe.hpp"
#include "src/pipelines/truth_image.hpp"

namespace penumbra::cli::simulate_impl {

// The random disk's stream (derive_seed(seed, stream)); the noise's is kObserveNoiseStream.
constexpr std::uint64_t kDiskStream = 2;

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
  std::string preset;
  double preset_fraction = 1.0;
};

using Clock = std::chrono::steady_clock;
double elapsed(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// The built-in disk on the --size/--scale grid, or a FITS image with its own grid.
SkyModel make_sky(const Options& o, CLI::App& app, std::uint64_t seed) {
  if (o.sky != "disk") {
    if (app.count("--size") + app.count("--scale") > 0)
      throw UsageError("--size and --scale set the grid of the built-in disk; a --sky FITS image brings its own grid");
    for (const char* opt : {"--disk-preset", "--disk-radius", "--disk-inclination", "--disk-pa", "--disk-flux"})
      if (app.count(opt) > 0) throw UsageError(fmt::format("{} applies to --sky disk, not to a FITS sky", opt));
    return fits_sky(o.sky);
  }
  SkyModel s;
  require_in_range("size", o.size, 8, 8192);
  s.grid.nx = s.grid.ny = o.size;
  s.grid.cell = parse_angle(o.scale, "asec");
  s.grid.validate();
  require_in("disk preset", o.disk_preset, {"as209", "random"});
  ProtoplanetaryDisk d;
  if (o.disk_preset == "as209") {
    d = as209_like_disk(parse_angle(o.disk_radius, "asec"));
    d.inclination = parse_angle(o.disk_inclination, "deg");
    d.position_angle = parse_angle(o.disk_pa, "deg");
    d.flux = parse_flux(o.disk_flux, "disk flux");
    s.field = "AS209-like disk";
  } else {
    for (const char* opt : {"--disk-radius", "--disk-inclination", "--disk-pa", "--disk-flux"})
      if (app.count(opt) > 0)
        throw UsageError(fmt::format("{} applies to --disk-preset as209; a random disk draws its own (from --seed)",
                                     opt));
    d = random_disk(derive_seed(seed, kDiskStream), s.grid);
    s.field = "random disk";
  }
  d.validate();
  s.pixels = render_disk(d, s.grid);
  s.description = d.describe();
  s.flux = d.flux;
  return s;
}

// --noise-rms: < 0 for auto (the radiometer equation).
double noise_rms_of(const Options& o) {
  if (o.noise_rms == "auto") return -1;
  const double rms = parse_flux(o.noise_rms, "noise rms");
  require_non_negative("noise rms", rms);
  return rms;
}

// Everything that can be checked before any work.
ObserveRequest make_request(const Options& o, CLI::App& app, std::uint64_t seed) {
  ObserveRequest r;
  require_in_range("nchan", o.nchan, 1, 65536);
  const double freq0 = parse_frequency(o.freq, "GHz");
  r.chan_width = parse_frequency(o.chan_width, "GHz");
  require_positive("freq", freq0);
  require_positive("chan width", r.chan_width);
  for (int c = 0; c < o.nchan; ++c) r.freqs.push_back(freq0 + (c - 0.5 * (o.nchan - 1)) * r.chan_width);
  r.noise_rms = noise_rms_of(o);
  r.sefd = parse_flux(o.sefd, "sefd");
  r.efficiency = o.efficiency;
  r.model_method = o.model_method;
  r.seed = seed;
  r.uvw.ra = parse_ra(o.ra);
  r.uvw.dec = parse_dec(o.dec);
  r.uvw.date_mjd = parse_date_mjd(o.date);
  if (!o.duration.empty()) {
    double d = parse_hour_angle(o.duration, "duration");
    require_positive("duration", d);
    r.uvw.ha_start = -d / 2;
    r.uvw.ha_end = d / 2;
  } else {
    r.uvw.ha_start = parse_hour_angle(o.ha_start, "ha start");
    r.uvw.ha_end = parse_hour_angle(o.ha_end, "ha end");
  }
  r.uvw.integration = parse_duration(o.integration, "s");
  if (!o.min_elevation.empty()) r.uvw.min_elevation = parse_angle(o.min_elevation, "deg");
  // A FITS sky's own reference direction becomes the phase centre unless --ra/--dec say otherwise.
  r.phase_centre_from_sky = o.sky != "disk" && !app.count("--ra") && !app.count("--dec");
  r.validate();
  r.layout = load_array_layout(o.layout, site_by_name(o.site));
  return r;
}

std::vector<std::string> write_outputs(const Options& o, const Observed& d, const SkyModel& sky, RunFolder& run) {
  std::vector<std::string> files{o.uvtable, "truth.fits", "truth.png", "summary.json"};
  Progress bar("simulate: writing outputs", o.no_ms ? 2 : 3, "files");
  if (!o.no_ms) {
    write_measurement_set(run.path("observation.ms"), d.obs);
    bar.tick(1, "observation.ms");
    files.insert(files.begin(), "observation.ms");
  }
  write_uvtable(run.path(o.uvtable), d.obs.stokes_i());
  bar.tick(1, o.uvtable);
  write_truth_image(run.dir(), sky, parse_frequency(o.freq, "GHz"));
  bar.tick(1, "truth.fits, truth.png");
  bar.finish();
  return files;
}

void run(Context& ctx, CLI::App& app, const Options& o) {
  if (!o.preset.empty())
    return run_simulate_preset(
        ctx, app, {o.preset, o.preset_fraction, o.layout, noise_rms_of(o), parse_flux(o.sefd, "sefd"), o.efficiency});
  if (app.count("--preset-fraction") > 0) throw UsageError("--preset-fraction applies to --preset only");
  auto t_start = Clock::now();
  ObserveRequest request = make_request(o, app, ctx.seed());
  SkyModel sky = make_sky(o, app, ctx.seed());
  Observed d = observe(request, sky);
  RunFolder& runf = ctx.run("simulate");
  auto files = write_outputs(o, d, sky, runf);
  nlohmann::json summary = observation_summary(request, d, sky);
  summary["date"] = o.date;
  summary["sky"]["kind"] = o.sky == "disk" ? "disk" : "fits";
  summary["seconds"] = elapsed(t_start);
  summary["files"] = files;
  write_text_atomic(runf.path("summary.json"), summary.dump(2) + "\n");
  runf.finish(summary);
  const double image_sigma = summary["noise"]["image_rms_natural_jy_per_beam"].get<double>();
  log().info("simulated {} rows ({} antennas, {} integrations, {} channels), uv {:.4g}–{:.4g} kλ; {}; noise {:.4g} mJy "
             "per Stokes-I visibility ({}), natural image rms {:.4g} µJy/beam; S/N of the total flux {:.4g} → {}",
             d.obs.nrow, request.layout.size(), d.tracks.ndump, d.obs.nchan, d.uv_min / 1e3, d.uv_max / 1e3,
             sky.description, d.sigma_i * 1e3, d.noise_source, image_sigma * 1e6,
             image_sigma > 0 ? sky.flux / image_sigma : INFINITY, runf.dir().string());
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
  app->add_option("--preset", o->preset,
                  "A named observation instead of one track: dsharp-as209 (AS 209 at its own scale, 3 execution "
                  "blocks, 4 spws, 2.2e6 visibilities; docs/simulate.md)");
  app->add_option("--preset-fraction", o->preset_fraction,
                  "Fraction of each execution block's integrations the preset simulates (small, quick versions)")
      ->capture_default_str();
  return [o, app](Context& ctx) { simulate_impl::run(ctx, *app, *o); };
}

}  // namespace penumbra::cli
