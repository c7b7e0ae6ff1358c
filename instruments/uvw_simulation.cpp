#include "instruments/uvw_simulation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/units.hpp"

namespace penumbra {
namespace {

// Sidereal rate: radians of hour angle per second of UTC.
constexpr double kSiderealRate = 2.0 * kPi * 1.00273790935 / 86400.0;

double wrap_pi(double a) {
  a = std::fmod(a + kPi, 2.0 * kPi);
  if (a < 0) a += 2.0 * kPi;
  return a - kPi;
}

}  // namespace

void baseline_uvw(const double l[3], double h, double dec, double uvw[3]) {
  double sh = std::sin(h), ch = std::cos(h), sd = std::sin(dec), cd = std::cos(dec);
  uvw[0] = sh * l[0] + ch * l[1];
  uvw[1] = -sd * ch * l[0] + sd * sh * l[1] + cd * l[2];
  uvw[2] = cd * ch * l[0] - cd * sh * l[1] + sd * l[2];
}

double source_elevation(double h, double dec, double lat) {
  double s = std::sin(lat) * std::sin(dec) + std::cos(lat) * std::cos(dec) * std::cos(h);
  return std::asin(std::clamp(s, -1.0, 1.0));
}

double gmst(double mjd_seconds) {
  // IAU 1982 in the form of the Astronomical Almanac, days from J2000.0 (JD 2451545.0).
  double d = mjd_seconds / 86400.0 - 51544.5;
  double t = d / 36525.0;
  double deg = 280.46061837 + 360.98564736629 * d + 0.000387933 * t * t - t * t * t / 38710000.0;
  deg = std::fmod(deg, 360.0);
  if (deg < 0) deg += 360.0;
  return deg * kDeg;
}

double hour_angle(double mjd_seconds, double longitude, double ra) {
  return wrap_pi(gmst(mjd_seconds) + longitude - ra);
}

double transit_time(double date_mjd, double longitude, double ra) {
  double mid = (std::floor(date_mjd) + 0.5) * 86400.0;
  double t = mid - hour_angle(mid, longitude, ra) / kSiderealRate;
  // One refinement absorbs the second-order terms of the GMST polynomial.
  return t - hour_angle(t, longitude, ra) / kSiderealRate;
}

UvwTracks simulate_uvw(const ArrayLayout& layout, const UvwSimulationConfig& cfg) {
  layout.validate(layout.name);
  if (!std::isfinite(cfg.dec) || std::abs(cfg.dec) > kPi / 2)
    throw UsageError(fmt::format("declination {} is outside −90°…+90°", format_angle(cfg.dec)));
  if (!std::isfinite(cfg.ha_start) || !std::isfinite(cfg.ha_end) || !(cfg.ha_end > cfg.ha_start))
    throw UsageError(fmt::format("hour-angle range {:.4g} h … {:.4g} h is empty or inverted (need start < end)",
                                 cfg.ha_start * 12 / kPi, cfg.ha_end * 12 / kPi));
  if (cfg.ha_end - cfg.ha_start > 2 * kPi + 1e-12)
    throw UsageError(fmt::format("hour-angle range {:.4g} h … {:.4g} h is longer than 24 h", cfg.ha_start * 12 / kPi,
                                 cfg.ha_end * 12 / kPi));
  require_positive("integration time (s)", cfg.integration);
  double span = (cfg.ha_end - cfg.ha_start) / kSiderealRate;  // seconds of UTC
  auto ndump_total = static_cast<std::size_t>(std::floor(span / cfg.integration + 1e-9));
  if (ndump_total == 0)
    throw UsageError(fmt::format("hour-angle range of {:.1f} s is shorter than one integration of {} s", span,
                                 cfg.integration));

  UvwTracks out;
  out.interval = cfg.integration;
  out.nbaseline = layout.baselines();
  std::vector<double> eq(3 * layout.size());
  for (std::size_t a = 0; a < layout.size(); ++a) layout.equatorial(a, &eq[3 * a]);

  double t0 = transit_time(cfg.date_mjd, layout.site.longitude, cfg.ra) + cfg.ha_start / kSiderealRate;
  double best_elevation = -kPi / 2;
  for (std::size_t k = 0; k < ndump_total; ++k) {
    double t = t0 + (static_cast<double>(k) + 0.5) * cfg.integration;
    double h = hour_angle(t, layout.site.longitude, cfg.ra);
    double el = source_elevation(h, cfg.dec, layout.site.latitude);
    best_elevation = std::max(best_elevation, el);
    if (cfg.min_elevation && el < *cfg.min_elevation) {
      ++out.dropped_dumps;
      continue;
    }
    out.hour_angle.push_back(h);
    out.elevation.push_back(el);
    for (std::size_t i = 0; i < layout.size(); ++i) {
      for (std::size_t j = i + 1; j < layout.size(); ++j) {
        double l[3] = {eq[3 * j] - eq[3 * i], eq[3 * j + 1] - eq[3 * i + 1], eq[3 * j + 2] - eq[3 * i + 2]};
        double uvw[3];
        baseline_uvw(l, h, cfg.dec, uvw);
        out.uvw.insert(out.uvw.end(), uvw, uvw + 3);
        out.time.push_back(t);
        out.antenna1.push_back(static_cast<int>(i));
        out.antenna2.push_back(static_cast<int>(j));
      }
    }
  }
  out.ndump = out.hour_angle.size();
  if (out.ndump == 0)
    throw UsageError(fmt::format(
        "the source (dec {}) never rises above the elevation limit {} during the hour-angle range; highest "
        "elevation reached: {}",
        format_angle(cfg.dec), format_angle(*cfg.min_elevation), format_angle(best_elevation)));
  return out;
}

}  // namespace penumbra
