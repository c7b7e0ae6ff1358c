#include "src/pipelines/observe.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "instruments/dft.hpp"
#include "instruments/noise.hpp"
#include "instruments/nufft.hpp"
#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/log.hpp"
#include "src/core/progress.hpp"
#include "src/core/units.hpp"
#include "src/io/fits_image.hpp"

namespace penumbra {

namespace {

// Flattened (row, channel) uv in wavelengths, and the range of |uv|; UsageError
// when the sky's cell cannot resolve the longest baseline.
void uv_of(const Observation& obs, const ArrayLayout& layout, const ImageGrid& grid, std::vector<double>& u,
           std::vector<double>& v, Observed& out) {
  const std::size_t nvis = obs.nrow * obs.nchan;
  u.resize(nvis);
  v.resize(nvis);
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
  out.uv_min = uvmin;
  out.uv_max = uvmax;
  if (uvmax <= grid.max_uv()) return;
  std::size_t r = worst / obs.nchan, ch = worst % obs.nchan;
  double fit = 0.999 / (2 * uvmax);
  throw UsageError(fmt::format(
      "scale {} of the truth image is too coarse: baseline {}-{} reaches |uv| = {:.5g} kλ at {} (row {}), beyond "
      "the {:.5g} kλ the cell resolves; use {:.4g}mas or finer (and an image size of {} to keep the field)",
      format_angle(grid.cell), layout.antenna[obs.antenna1[r]], layout.antenna[obs.antenna2[r]], uvmax / 1e3,
      format_frequency(obs.freq[ch]), r, grid.max_uv() / 1e3, fit / (1e-3 * kArcsec),
      static_cast<int>(std::ceil(grid.nx * grid.cell / fit / 2) * 2)));
}

Observation empty_observation(const ObserveRequest& r, const UvwTracks& tracks, const SkyModel& sky) {
  Observation obs;
  obs.nrow = tracks.rows();
  obs.nchan = r.freqs.size();
  obs.ncorr = 2;
  obs.corr = {int(Corr::XX), int(Corr::YY)};
  obs.freq = r.freqs;
  obs.allocate();
  obs.uvw = tracks.uvw;
  obs.antenna1 = tracks.antenna1;
  obs.antenna2 = tracks.antenna2;
  obs.time = tracks.time;
  obs.interval = tracks.interval;
  obs.ra = sky.grid.ra;
  obs.dec = sky.grid.dec;
  obs.telescope = r.layout.site.name.empty() ? "UNKNOWN" : r.layout.site.name;
  obs.field = sky.field;
  obs.antenna_xyz = r.layout.itrf();
  obs.dish_diameter = r.layout.diameter[0];
  return obs;
}

UvwTracks tracks_for(const ObserveRequest& r, SkyModel& sky, Observed& out) {
  UvwSimulationConfig cfg = r.uvw;
  if (r.phase_centre_from_sky && (sky.grid.ra != 0 || sky.grid.dec != 0)) {
    cfg.ra = sky.grid.ra;
    cfg.dec = sky.grid.dec;
  }
  UvwTracks tracks = simulate_uvw(r.layout, cfg);
  if (tracks.dropped_dumps > 0)
    log().info("elevation limit {}: dropped {} of {} integrations", format_angle(*cfg.min_elevation),
               tracks.dropped_dumps, tracks.dropped_dumps + tracks.ndump);
  out.min_elevation = *std::min_element(tracks.elevation.begin(), tracks.elevation.end());
  out.max_elevation = *std::max_element(tracks.elevation.begin(), tracks.elevation.end());
  if (out.min_elevation < 0)
    log().warn("the source is below the horizon (elevation {}) for part of the track; use --min-elevation 0deg to "
               "drop those integrations",
               format_angle(out.min_elevation));
  sky.grid.ra = cfg.ra;
  sky.grid.dec = cfg.dec;
  return tracks;
}

void add_noise(const ObserveRequest& r, Observed& out) {
  out.noise_source = r.noise_rms < 0 ? "radiometer" : "given";
  if (r.noise_rms < 0) {
    out.sigma_corr = radiometer_sigma(r.sefd, r.chan_width, out.tracks.interval, r.efficiency);
    out.sigma_i = out.sigma_corr / std::sqrt(2.0);
  } else {
    out.sigma_i = r.noise_rms;
    out.sigma_corr = correlation_sigma_for_stokes_i(out.sigma_i, out.obs);
  }
  add_thermal_noise(out.obs, out.sigma_corr, r.seed, kObserveNoiseStream);
}

// "1e-8" for a power of ten (as runs have always recorded it), "{:g}" otherwise.
std::string epsilon_text(double epsilon) {
  const double e = std::round(std::log10(epsilon));
  return std::abs(epsilon - std::pow(10.0, e)) < 1e-12 * epsilon ? fmt::format("1e{}", static_cast<int>(e))
                                                                 : fmt::format("{:g}", epsilon);
}

}  // namespace

std::string model_visibilities(std::span<const double> u, std::span<const double> v, const ImageGrid& grid,
                               std::span<const double> pixels, const std::string& method, double epsilon,
                               std::span<std::complex<double>> out, int threads) {
  const std::size_t nvis = u.size();
  const double work = static_cast<double>(nvis) * static_cast<double>(grid.size());
  if (method == "dft" || (method == "auto" && work <= kDftBudget)) {
    Progress bar("model visibilities (DFT)", static_cast<std::int64_t>(nvis), "vis");
    const std::size_t chunk = 8192;
    for (std::size_t k0 = 0; k0 < nvis; k0 += chunk) {
      std::size_t n = std::min(chunk, nvis - k0);
      dft_degrid(u.subspan(k0, n), v.subspan(k0, n), grid, pixels, out.subspan(k0, n));
      bar.tick(static_cast<std::int64_t>(n));
    }
    bar.finish();
    return "dft";
  }
  const std::string eps = epsilon_text(epsilon);
  log().info("model visibilities: NUFFT at ε = {} for {} visibilities on a {}×{} image", eps, nvis, grid.nx, grid.ny);
  NufftPlan<double> plan(u, v, grid, epsilon, threads);
  plan.degrid(pixels, out);
  return "nufft(" + eps + ")";
}

void ObserveRequest::validate() const {
  require_in("model method", model_method, {"auto", "dft", "nufft"});
  require_in_range("nufft epsilon", nufft_epsilon, 1e-10, 1e-1);
  require_positive("chan width", chan_width);
  if (freqs.empty()) throw UsageError("nchan must be >= 1, got 0");
  for (double f : freqs)
    if (!(f > 0)) throw UsageError(fmt::format("freq: channel at {} Hz reaches below 0 Hz", f));
  if (noise_rms < 0) require_positive("sefd", sefd);
  require_in_range("efficiency", efficiency, 1e-12, 1.0);
}

Observed observe(const ObserveRequest& r, SkyModel& sky) {
  r.validate();
  Observed out;
  out.tracks = tracks_for(r, sky, out);
  out.obs = empty_observation(r, out.tracks, sky);
  std::vector<double> u, v;
  uv_of(out.obs, r.layout, sky.grid, u, v, out);
  out.model.resize(u.size());
  auto t0 = std::chrono::steady_clock::now();
  out.method = model_visibilities(u, v, sky.grid, sky.pixels, r.model_method, r.nufft_epsilon, out.model);
  out.model_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  Observation& obs = out.obs;
  for (std::size_t row = 0; row < obs.nrow; ++row)
    for (std::size_t ch = 0; ch < obs.nchan; ++ch) {
      auto m = std::complex<float>(out.model[row * obs.nchan + ch]);
      for (std::size_t c = 0; c < obs.ncorr; ++c) obs.vis[obs.index(row, ch, c)] = m;  // unpolarised: XX = YY = I
    }
  add_noise(r, out);
  return out;
}

SkyModel fits_sky(const std::string& path) {
  require_exists(path, "sky model FITS image");
  FitsImage img = read_fits_image(path);
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
    throw DataError(fmt::format("{}: BUNIT is '{}', expected Jy/pixel (or Jy/beam with BMAJ/BMIN)", path, img.bunit));
  }
  SkyModel s;
  s.grid = img.grid;
  s.grid.validate();
  s.pixels = std::move(img.pixels);
  for (std::size_t k = 0; k < s.pixels.size(); ++k) {
    if (!std::isfinite(s.pixels[k]))
      throw DataError(fmt::format("{}: pixel ({}, {}) is not finite ({})", path, k % s.grid.nx, k / s.grid.nx,
                                  s.pixels[k]));
    s.pixels[k] *= factor;
    s.flux += s.pixels[k];
  }
  s.description = fmt::format("FITS image {} ({}×{}, cell {})", path, s.grid.nx, s.grid.ny, format_angle(s.grid.cell));
  s.field = std::filesystem::path(path).stem().string();
  return s;
}

nlohmann::json observation_summary(const ObserveRequest& r, const Observed& o, const SkyModel& sky) {
  const ArrayLayout& layout = r.layout;
  const std::size_t nvis = o.model.size();
  // Signal to noise: natural-weight point-source sensitivity and the median
  // per-visibility S/N of the model.
  std::vector<double> amp(nvis);
  for (std::size_t k = 0; k < nvis; ++k) amp[k] = std::abs(o.model[k]);
  std::nth_element(amp.begin(), amp.begin() + nvis / 2, amp.end());
  const double median_amp = amp[nvis / 2];
  const double image_sigma = o.sigma_i / std::sqrt(static_cast<double>(nvis));
  const VisibilitySet vis = o.obs.stokes_i();
  nlohmann::json noise = {
      {"rms_stokes_i_jy", o.sigma_i},
      {"rms_per_correlation_jy", o.sigma_corr},
      {"convention", "rms of the real (and of the imaginary) part of one visibility; WEIGHT = 1/rms^2"},
      {"source", o.noise_source},
      {"weight_per_correlation", o.sigma_corr > 0 ? 1.0 / (o.sigma_corr * o.sigma_corr) : 1.0},
      {"weight_stokes_i", vis.weight.empty() ? 0.0 : vis.weight[0]},
      {"image_rms_natural_jy_per_beam", image_sigma},
  };
  if (r.noise_rms < 0)
    noise["radiometer"] = {{"sefd_jy", r.sefd}, {"bandwidth_hz", r.chan_width}, {"integration_s", o.tracks.interval},
                           {"efficiency", r.efficiency}};
  const Site& site = layout.site;
  return {
      {"layout", layout.name},
      {"site", {{"name", site.name}, {"latitude_deg", site.latitude / kDeg}, {"longitude_deg", site.longitude / kDeg},
                {"height_m", site.height}}},
      {"antennas", layout.size()},
      {"baselines", layout.baselines()},
      {"max_baseline_m", layout.max_baseline()},
      {"min_baseline_m", layout.min_baseline()},
      {"integrations", o.tracks.ndump},
      {"integration_s", o.tracks.interval},
      {"dropped_integrations", o.tracks.dropped_dumps},
      {"hour_angle_h", {r.uvw.ha_start * 12 / kPi, r.uvw.ha_end * 12 / kPi}},
      {"elevation_deg", {o.min_elevation / kDeg, o.max_elevation / kDeg}},
      {"ra_deg", sky.grid.ra / kDeg},
      {"dec_deg", sky.grid.dec / kDeg},
      {"rows", o.obs.nrow},
      {"channels", o.obs.nchan},
      {"correlations", {"XX", "YY"}},
      {"frequency_hz", o.obs.freq},
      {"channel_width_hz", r.chan_width},
      {"visibilities", vis.size()},
      {"uv_min_klambda", o.uv_min / 1e3},
      {"uv_max_klambda", o.uv_max / 1e3},
      {"image", {{"size", {sky.grid.nx, sky.grid.ny}}, {"cell_rad", sky.grid.cell},
                 {"cell_mas", sky.grid.cell / (1e-3 * kArcsec)}, {"field_arcsec", sky.grid.nx * sky.grid.cell / kArcsec},
                 {"max_uv_resolved_klambda", sky.grid.max_uv() / 1e3}}},
      {"sky", {{"description", sky.description}, {"flux_jy", sky.flux}}},
      {"noise", noise},
      {"snr", {{"total_flux_over_image_rms", image_sigma > 0 ? nlohmann::json(sky.flux / image_sigma) : nullptr},
               {"median_visibility_amplitude_jy", median_amp},
               {"median_visibility_snr", o.sigma_i > 0 ? nlohmann::json(median_amp / o.sigma_i) : nullptr}}},
      {"model_visibilities", {{"method", o.method}, {"seconds", o.model_seconds}}},
      {"seed", r.seed},
  };
}

}  // namespace penumbra
