#pragma once
// A small, physically plausible Observation for MeasurementSet tests: an
// 8-antenna array at the ALMA site, UVW from the standard projection
// (REFERENCE.md §1) over a one-hour track, and the visibilities of a point
// source at (l, m) in the internal sign convention.
#include <cmath>
#include <complex>
#include <random>

#include "src/core/observation.hpp"
#include "src/core/units.hpp"

namespace penumbra::test {

struct SyntheticMsOptions {
  std::size_t nant = 8, ntime = 12, nchan = 4;
  std::vector<int> corr = {int(Corr::XX), int(Corr::YY)};
  double l = 0, m = 0;       // point-source offset (direction cosines, l towards East)
  double flux = 1.0;         // Jy
  bool channel_weights = false;  // weights that vary over channels (WEIGHT_SPECTRUM)
  double flag_fraction = 0;  // random flags
  unsigned seed = 7;
};

inline Observation synthetic_observation(const SyntheticMsOptions& o = {}) {
  Observation obs;
  const double lat = -23.0229 * kDeg, lon = -67.7552 * kDeg, r_earth = 6378137.0 + 5058.7;
  const double ra = 1.2345, dec = -0.4;  // radians
  std::mt19937 rng(o.seed);
  std::uniform_real_distribution<double> uni(-1, 1);
  // Antennas: random East/North offsets within 600 m, rotated into ITRF.
  std::vector<double> enu;
  for (std::size_t a = 0; a < o.nant; ++a) {
    double e = 600 * uni(rng), n = 600 * uni(rng);
    double x0 = r_earth * std::cos(lat) * std::cos(lon), y0 = r_earth * std::cos(lat) * std::sin(lon),
           z0 = r_earth * std::sin(lat);
    // ENU → ECEF offsets
    double dx = -std::sin(lon) * e - std::sin(lat) * std::cos(lon) * n;
    double dy = std::cos(lon) * e - std::sin(lat) * std::sin(lon) * n;
    double dz = std::cos(lat) * n;
    obs.antenna_xyz.insert(obs.antenna_xyz.end(), {x0 + dx, y0 + dy, z0 + dz});
  }
  obs.ra = ra;
  obs.dec = dec;
  obs.field = "SYNTH";
  obs.telescope = "ALMA";
  obs.interval = 30;
  obs.nchan = o.nchan;
  obs.corr = o.corr;
  obs.ncorr = o.corr.size();
  for (std::size_t ch = 0; ch < o.nchan; ++ch) obs.freq.push_back(230e9 + 15.625e6 * ch);
  const double t0 = 5.0e9;  // MJD seconds
  for (std::size_t t = 0; t < o.ntime; ++t)
    for (std::size_t a = 0; a < o.nant; ++a)
      for (std::size_t b = a + 1; b < o.nant; ++b) {
        double h = -0.5 * kPi / 12 + (kPi / 12) * t / std::max<std::size_t>(1, o.ntime - 1);  // hour angle
        double lx = obs.antenna_xyz[3 * b] - obs.antenna_xyz[3 * a];
        double ly = obs.antenna_xyz[3 * b + 1] - obs.antenna_xyz[3 * a + 1];
        double lz = obs.antenna_xyz[3 * b + 2] - obs.antenna_xyz[3 * a + 2];
        double u = std::sin(h) * lx + std::cos(h) * ly;
        double v = -std::sin(dec) * std::cos(h) * lx + std::sin(dec) * std::sin(h) * ly + std::cos(dec) * lz;
        double w = std::cos(dec) * std::cos(h) * lx - std::cos(dec) * std::sin(h) * ly + std::sin(dec) * lz;
        obs.uvw.insert(obs.uvw.end(), {u, v, w});
        obs.antenna1.push_back(static_cast<int>(a));
        obs.antenna2.push_back(static_cast<int>(b));
        obs.time.push_back(t0 + obs.interval * t);
      }
  obs.nrow = obs.antenna1.size();
  std::vector<double> uvw = obs.uvw;
  obs.allocate();
  obs.uvw = uvw;
  const double n = std::sqrt(1 - o.l * o.l - o.m * o.m);
  std::uniform_real_distribution<double> u01(0, 1);
  for (std::size_t r = 0; r < obs.nrow; ++r)
    for (std::size_t ch = 0; ch < obs.nchan; ++ch) {
      double s = obs.freq[ch] / kSpeedOfLight;
      double phase = -2 * kPi * s * (uvw[3 * r] * o.l + uvw[3 * r + 1] * o.m + uvw[3 * r + 2] * (n - 1));
      for (std::size_t c = 0; c < obs.ncorr; ++c) {
        std::size_t k = obs.index(r, ch, c);
        obs.vis[k] = std::complex<float>(std::polar(o.flux, phase));
        obs.weight[k] = static_cast<float>(o.channel_weights ? 0.5 + u01(rng) : 2.0 + 0.25 * c);
        obs.flag[k] = u01(rng) < o.flag_fraction;
      }
    }
  return obs;
}

}  // namespace penumbra::test
