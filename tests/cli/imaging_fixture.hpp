#pragma once
// A small observation built in code for the imaging tests: random antennas
// (equatorial X, Y, Z within ±`extent` metres), a few hour angles, two
// channels, XX and YY, per-row weights, and point sources at pixel positions
// of an ImageGrid. Visibilities follow the physics the MS convention describes
// (REFERENCE.md §1): internal V = Σ S exp(−2πi(u l + v m + w (n − 1))), which the
// MS writer conjugates into the CASA sign.
#include <cmath>
#include <complex>
#include <filesystem>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "src/core/image_grid.hpp"
#include "src/core/observation.hpp"
#include "src/core/units.hpp"
#include "src/io/uvtable.hpp"

namespace penumbra::test {

struct PointSource {
  int px, py;   // pixel of the grid (ImageGrid layout)
  double flux;  // Jy
};

inline Observation small_observation(const ImageGrid& grid, const std::vector<PointSource>& sources, int nant = 24,
                                     int ntimes = 4, double extent = 300.0, unsigned seed = 1,
                                     const std::vector<double>& freqs = {240e9, 240.5e9}) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> pos(-extent, extent), wd(0.5, 2.0);
  Observation obs;
  obs.antenna_xyz.resize(3 * nant);
  for (double& c : obs.antenna_xyz) c = pos(rng);
  obs.freq = freqs;
  obs.nchan = freqs.size();
  obs.corr = {int(Corr::XX), int(Corr::YY)};
  obs.ncorr = 2;
  obs.ra = grid.ra;
  obs.dec = grid.dec;
  obs.interval = 60;
  const double dec = grid.dec;
  for (int t = 0; t < ntimes; ++t) {
    const double h = (-1.0 + 2.0 * t / std::max(1, ntimes - 1)) * 15 * kDeg;  // hour angle ±1 h
    for (int a = 0; a < nant; ++a)
      for (int b = a + 1; b < nant; ++b) {
        const double lx = obs.antenna_xyz[3 * b] - obs.antenna_xyz[3 * a];
        const double ly = obs.antenna_xyz[3 * b + 1] - obs.antenna_xyz[3 * a + 1];
        const double lz = obs.antenna_xyz[3 * b + 2] - obs.antenna_xyz[3 * a + 2];
        obs.uvw.push_back(std::sin(h) * lx + std::cos(h) * ly);
        obs.uvw.push_back(-std::sin(dec) * std::cos(h) * lx + std::sin(dec) * std::sin(h) * ly + std::cos(dec) * lz);
        obs.uvw.push_back(std::cos(dec) * std::cos(h) * lx - std::cos(dec) * std::sin(h) * ly + std::sin(dec) * lz);
        obs.antenna1.push_back(a);
        obs.antenna2.push_back(b);
        obs.time.push_back(5.0e9 + 60.0 * t);
      }
  }
  obs.nrow = obs.antenna1.size();
  std::vector<double> uvw = obs.uvw;
  obs.allocate();
  obs.uvw = uvw;
  for (std::size_t r = 0; r < obs.nrow; ++r) {
    const float w = static_cast<float>(wd(rng));
    for (std::size_t ch = 0; ch < obs.nchan; ++ch) {
      const double scale = obs.freq[ch] / kSpeedOfLight;
      const double u = uvw[3 * r] * scale, v = uvw[3 * r + 1] * scale, ww = uvw[3 * r + 2] * scale;
      std::complex<double> vis = 0;
      for (const auto& s : sources) {
        const double l = grid.l(s.px), m = grid.m(s.py), n = std::sqrt(1 - l * l - m * m);
        const double ph = -2 * std::numbers::pi * (u * l + v * m + ww * (n - 1));
        vis += s.flux * std::complex<double>(std::cos(ph), std::sin(ph));
      }
      for (std::size_t c = 0; c < obs.ncorr; ++c) {
        obs.vis[obs.index(r, ch, c)] = std::complex<float>(vis);
        obs.weight[obs.index(r, ch, c)] = w;
      }
    }
  }
  return obs;
}

// The tiny input of the map and clean tests: a 32² × 0.1″ grid and a uvtable
// (dir/vis.txt) of two point sources on it, 1 Jy at pixel (12, 20) and 0.5 Jy at (20, 10).
inline ImageGrid two_source_grid() {
  ImageGrid g;
  g.nx = g.ny = 32;
  g.cell = 0.1 * kArcsec;
  g.ra = 1.0;
  g.dec = -30 * kDeg;
  return g;
}
inline std::filesystem::path two_source_uvtable(const std::filesystem::path& dir) {
  auto obs = small_observation(two_source_grid(), {{12, 20, 1.0}, {20, 10, 0.5}});
  write_uvtable(dir / "vis.txt", obs.stokes_i());
  return dir / "vis.txt";
}

}  // namespace penumbra::test
