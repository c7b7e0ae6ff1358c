#include "src/pipelines/dsharp_preset.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/log.hpp"
#include "src/core/rng.hpp"
#include "src/core/run_folder.hpp"
#include "src/core/sky_units.hpp"
#include "src/core/units.hpp"
#include "src/datasets/as209_model.hpp"
#include "src/io/measurement_set.hpp"
#include "src/pipelines/observe.hpp"
#include "src/pipelines/truth_image.hpp"

namespace penumbra {

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Radians of hour angle per second of UTC.
constexpr double kSiderealRate = 2.0 * kPi * 1.00273790935 / 86400.0;
// The compact block's layout: alma-long shrunk so its shortest baseline is 15 m (longest 2.5 km, as C40-6).
constexpr double kCompactScale = 0.2;

struct BlockSpec {
  const char* name;
  const char* configuration;
  bool compact;
  const char* date;
  double ha_start_h;
  std::size_t integrations;  // of 30 s: 60 = half an hour
};
// The compact block spans transit; the two long-baseline blocks take the half hours either side of
// ±0.75 h, so the long baselines rotate through 2 h of hour angle.
constexpr BlockSpec kBlocks[] = {
    {"as209_eb1_compact", "alma-long×0.2 (scaled compact)", true, "2017-05-14", -0.25, 60},
    {"as209_eb2_long", "alma-long (C40-8-like)", false, "2017-09-24", -1.0, 60},
    {"as209_eb3_long", "alma-long (C40-9-like)", false, "2017-10-05", 0.5, 60},
};
// Band 6 continuum windows, two per sideband, centred on 240 GHz: 1.875 GHz each in four channels
// (Δν/ν ≈ 0.2 %: bandwidth smearing on the longest baselines stays a few per cent at 1.6″).
constexpr double kSpwCentresHz[] = {233e9, 235e9, 245e9, 247e9};
constexpr int kChannelsPerSpw = 4;
constexpr double kChannelWidthHz = 0.46875e9;
constexpr double kReferenceHz = 240e9;

ArrayLayout compact_layout() {
  ArrayLayout l = alma_long_layout();
  for (std::size_t a = 0; a < l.size(); ++a) {
    l.east[a] *= kCompactScale;
    l.north[a] *= kCompactScale;
    l.up[a] *= kCompactScale;
  }
  l.name = "alma-long×0.2";
  l.validate(l.name);
  return l;
}

// Channels [first, first + n) of `obs`, with its rows and metadata.
Observation channel_slice(const Observation& obs, std::size_t first, std::size_t n) {
  Observation w = obs;
  w.nchan = n;
  w.freq.assign(obs.freq.begin() + first, obs.freq.begin() + first + n);
  w.allocate();
  for (std::size_t r = 0; r < obs.nrow; ++r)
    for (std::size_t ch = 0; ch < n; ++ch)
      for (std::size_t c = 0; c < obs.ncorr; ++c) {
        w.vis[w.index(r, ch, c)] = obs.vis[obs.index(r, first + ch, c)];
        w.weight[w.index(r, ch, c)] = obs.weight[obs.index(r, first + ch, c)];
        w.flag[w.index(r, ch, c)] = obs.flag[obs.index(r, first + ch, c)];
      }
  return w;
}

std::uintmax_t bytes_under(const std::filesystem::path& p) {
  if (!std::filesystem::is_directory(p)) return std::filesystem::file_size(p);
  std::uintmax_t total = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(p))
    if (e.is_regular_file()) total += e.file_size();
  return total;
}

ObserveRequest block_request(const DsharpPresetPlan& plan, std::size_t b) {
  const ExecutionBlockPlan& eb = plan.blocks[b];
  const DsharpPresetOptions& o = plan.options;
  ObserveRequest r;
  r.layout = eb.layout;
  r.uvw.ra = plan.ra;
  r.uvw.dec = plan.dec;
  r.uvw.date_mjd = parse_date_mjd(eb.date);
  r.uvw.integration = plan.integration_s;
  r.uvw.ha_start = eb.ha_start;
  // Half an integration of slack so the track holds exactly `integrations` whole ones.
  r.uvw.ha_end = eb.ha_start + (eb.integrations + 0.5) * plan.integration_s * kSiderealRate;
  for (const auto& spw : plan.spws)
    for (double f : spw.freqs()) r.freqs.push_back(f);
  r.chan_width = kChannelWidthHz;
  r.model_method = "nufft";
  r.nufft_epsilon = o.nufft_epsilon;
  r.noise_rms = o.noise_rms;
  r.sefd = o.sefd;
  r.efficiency = o.efficiency;
  r.seed = derive_seed(o.seed, 100 + b);
  return r;
}

// One block: tracks, NUFFT model visibilities, noise, and its MS (one window per spw).
nlohmann::json simulate_block(const DsharpPresetPlan& plan, std::size_t b, SkyModel& sky,
                              const std::filesystem::path& dir) {
  const ExecutionBlockPlan& eb = plan.blocks[b];
  log().info("execution block {}/{} {} ({}): {} integrations of {} s × {} baselines × {} channels = {} visibilities",
             b + 1, plan.blocks.size(), eb.name, eb.configuration, eb.integrations, plan.integration_s,
             eb.layout.baselines(), plan.channels(), plan.visibilities(b));
  const ObserveRequest request = block_request(plan, b);
  const auto t0 = Clock::now();
  Observed d = observe(request, sky);
  std::vector<Observation> windows;
  std::size_t first = 0;
  for (const auto& spw : plan.spws) {
    windows.push_back(channel_slice(d.obs, first, spw.nchan));
    first += spw.nchan;
  }
  const auto t_write = Clock::now();
  const std::filesystem::path ms = dir / (eb.name + ".ms");
  write_measurement_set(ms, windows);
  nlohmann::json j = observation_summary(request, d, sky);
  for (const char* key : {"image", "sky", "seed"}) j.erase(key);
  j["name"] = eb.name;
  j["configuration"] = eb.configuration;
  j["date"] = eb.date;
  j["file"] = ms.filename().string();
  j["bytes"] = bytes_under(ms);
  j["seconds"] = {{"observe", std::chrono::duration<double>(t_write - t0).count()}, {"write", since(t_write)}};
  log().info("{}: uv {:.4g}–{:.4g} kλ, σ_I {:.3g} mJy per visibility, model {:.1f} s ({}), MS {:.0f} MB in {:.1f} s",
             j["file"].get<std::string>(), d.uv_min / 1e3, d.uv_max / 1e3, d.sigma_i * 1e3, d.model_seconds, d.method,
             j["bytes"].get<double>() / 1e6, since(t_write));
  return j;
}

std::vector<double> arcsec(const std::vector<double>& radians) {
  std::vector<double> out;
  for (double r : radians) out.push_back(r / kArcsec);
  return out;
}

nlohmann::json truth_summary(const SkyModel& sky) {
  const ProtoplanetaryDisk d = as209_disk();
  const As209Features f = as209_features();
  return {{"file", "truth.fits"},          {"size", {sky.grid.nx, sky.grid.ny}},
          {"cell_mas", sky.grid.cell / (1e-3 * kArcsec)},
          {"field_arcsec", sky.grid.nx * sky.grid.cell / kArcsec},
          {"description", sky.description}, {"flux_jy", sky.flux},
          {"inclination_deg", d.inclination / kDeg}, {"position_angle_deg", d.position_angle / kDeg},
          {"ring_radii_arcsec", arcsec(f.rings)}, {"gap_radii_arcsec", arcsec(f.gaps)}};
}

std::string readme(const DsharpPresetPlan& plan, const nlohmann::json& s) {
  std::string text = fmt::format(
      "AS 209 at its own scale (DSHARP-like), made by `penumbra --seed {} simulate --preset dsharp-as209{}`:\n"
      "{} execution blocks, {} spectral windows × {} channels near 240 GHz, {} s integrations, {} Stokes-I "
      "visibilities (XX = YY = I, radiometer noise).\n",
      plan.options.seed, plan.options.fraction < 1 ? fmt::format(" --preset-fraction {}", plan.options.fraction) : "",
      plan.blocks.size(), plan.spws.size(), kChannelsPerSpw, plan.integration_s, plan.visibilities());
  for (const auto& b : s["blocks"])
    text += fmt::format("  {}: {}, {} antennas, baselines {:.0f} m – {:.0f} m, {} integrations, {} visibilities\n",
                        b["file"].get<std::string>(), b["configuration"].get<std::string>(), b["antennas"].get<int>(),
                        b["min_baseline_m"].get<double>(), b["max_baseline_m"].get<double>(),
                        b["integrations"].get<int>(), b["visibilities"].get<std::size_t>());
  text += fmt::format("  truth.fits / truth.png: {} on {}×{} pixels of 3 mas (Jy/pixel)\n",
                      s["truth"]["description"].get<std::string>(), plan.truth_grid.nx, plan.truth_grid.ny);
  text += "Dirty image of all blocks together: penumbra image as209_eb*.ms --size 1024 --scale 4mas --weighting briggs "
          "--robust -0.5\n";
  return text;
}

}  // namespace

std::vector<double> SpectralWindowPlan::freqs() const {
  std::vector<double> f;
  for (int c = 0; c < nchan; ++c) f.push_back(centre_hz + (c - 0.5 * (nchan - 1)) * chan_width_hz);
  return f;
}

std::size_t DsharpPresetPlan::channels() const {
  std::size_t n = 0;
  for (const auto& s : spws) n += s.nchan;
  return n;
}

std::size_t DsharpPresetPlan::visibilities(std::size_t b) const {
  return blocks[b].layout.baselines() * blocks[b].integrations * channels();
}

std::size_t DsharpPresetPlan::visibilities() const {
  std::size_t n = 0;
  for (std::size_t b = 0; b < blocks.size(); ++b) n += visibilities(b);
  return n;
}

DsharpPresetPlan dsharp_as209_plan(const DsharpPresetOptions& o) {
  require_in_range("preset fraction", o.fraction, 1e-6, 1.0);
  if (o.noise_rms >= 0) require_finite("noise rms", o.noise_rms);
  else require_positive("sefd", o.sefd);
  require_in_range("efficiency", o.efficiency, 1e-12, 1.0);
  DsharpPresetPlan plan;
  plan.options = o;
  plan.ra = parse_ra("16:49:15.30");
  plan.dec = parse_dec("-14:22:08.6");
  plan.truth_grid = as209_truth_grid();
  for (double c : kSpwCentresHz) plan.spws.push_back({c, kChannelWidthHz, kChannelsPerSpw});
  std::size_t next_long = 0;
  for (const BlockSpec& s : kBlocks) {
    ExecutionBlockPlan eb{s.name, s.configuration, {}, s.date, 0, 0};
    if (s.compact) {
      eb.layout = compact_layout();
    } else if (o.long_layouts.empty()) {
      eb.layout = alma_long_layout();
    } else {
      const std::string& file = o.long_layouts[next_long++ % o.long_layouts.size()];
      eb.layout = load_array_layout(file);
      eb.configuration = fmt::format("{} (long-baseline layout file)", std::filesystem::path(file).filename().string());
    }
    eb.integrations = std::max<std::size_t>(1, static_cast<std::size_t>(std::llround(o.fraction * s.integrations)));
    // A shortened block keeps the middle of its hour-angle range.
    const double skipped = 0.5 * static_cast<double>(s.integrations - eb.integrations) * plan.integration_s;
    eb.ha_start = s.ha_start_h * kPi / 12 + skipped * kSiderealRate;
    plan.blocks.push_back(std::move(eb));
  }
  return plan;
}

nlohmann::json simulate_dsharp_as209(const DsharpPresetPlan& plan, const std::filesystem::path& dir) {
  const auto t0 = Clock::now();
  SkyModel sky;
  sky.grid = plan.truth_grid;
  sky.pixels = render_as209(sky.grid);
  const ProtoplanetaryDisk disk = as209_disk();
  sky.description = "AS 209 (true scale): " + disk.describe();
  sky.field = "AS 209";
  sky.flux = disk.flux;
  sky.grid.ra = plan.ra;
  sky.grid.dec = plan.dec;
  write_truth_image(dir, sky, kReferenceHz);
  const double truth_seconds = since(t0);
  log().info("truth: {} on {}×{} pixels of {} ({:.1f} s)", sky.description, sky.grid.nx, sky.grid.ny,
             format_angle(sky.grid.cell), truth_seconds);
  nlohmann::json s;
  s["preset"] = "dsharp-as209";
  s["fraction"] = plan.options.fraction;
  s["truth"] = truth_summary(sky);
  s["blocks"] = nlohmann::json::array();
  double weight_sum = 0;
  for (std::size_t b = 0; b < plan.blocks.size(); ++b) {
    s["blocks"].push_back(simulate_block(plan, b, sky, dir));
    const double sigma = s["blocks"][b]["noise"]["rms_stokes_i_jy"].get<double>();
    if (sigma > 0) weight_sum += static_cast<double>(plan.visibilities(b)) / (sigma * sigma);
  }
  s["spectral_windows"] = nlohmann::json::array();
  for (const auto& w : plan.spws) s["spectral_windows"].push_back({{"centre_hz", w.centre_hz}, {"channels", w.nchan},
                                                                    {"channel_width_hz", w.chan_width_hz},
                                                                    {"frequency_hz", w.freqs()}});
  s["integration_s"] = plan.integration_s;
  s["visibilities"] = plan.visibilities();
  s["image_rms_natural_jy_per_beam"] = weight_sum > 0 ? 1 / std::sqrt(weight_sum) : 0.0;
  s["seconds"] = {{"truth", truth_seconds}, {"total", since(t0)}};
  s["files"] = nlohmann::json::array();
  for (const auto& b : s["blocks"]) s["files"].push_back(b["file"]);
  for (const char* f : {"truth.fits", "truth.png", "README.txt", "summary.json"}) s["files"].push_back(f);
  write_text_atomic(dir / "README.txt", readme(plan, s));
  return s;
}

}  // namespace penumbra
