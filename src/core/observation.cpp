#include "src/core/observation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "src/core/errors.hpp"
#include "src/core/units.hpp"

namespace penumbra {

std::string corr_name(int code) {
  static const char* names[] = {"?", "I", "Q", "U", "V", "RR", "RL", "LR", "LL", "XX", "XY", "YX", "YY"};
  return code >= 0 && code <= 12 ? names[code] : fmt::format("corr{}", code);
}

void VisibilitySet::validate(const std::string& where) const {
  if (u.size() != vis.size() || v.size() != vis.size() || weight.size() != vis.size())
    throw DataError(fmt::format("{}: u, v, vis and weight differ in length", where));
  if (vis.empty()) throw DataError(fmt::format("{}: no unflagged visibilities with positive weight", where));
  for (std::size_t k = 0; k < vis.size(); ++k) {
    if (!std::isfinite(u[k]) || !std::isfinite(v[k]))
      throw DataError(fmt::format("{}: visibility {} has non-finite uv ({}, {})", where, k, u[k], v[k]));
    if (!std::isfinite(vis[k].real()) || !std::isfinite(vis[k].imag()))
      throw DataError(fmt::format("{}: visibility {} is not finite ({}, {})", where, k, vis[k].real(), vis[k].imag()));
    if (!std::isfinite(weight[k]) || weight[k] < 0)
      throw DataError(fmt::format("{}: visibility {} has invalid weight {}", where, k, weight[k]));
  }
}

double VisibilitySet::max_uv() const {
  double m = 0;
  for (std::size_t k = 0; k < u.size(); ++k) m = std::max(m, std::hypot(u[k], v[k]));
  return m;
}

double Observation::u_lambda(std::size_t row, std::size_t chan) const { return uvw[3 * row] * freq[chan] / kSpeedOfLight; }
double Observation::v_lambda(std::size_t row, std::size_t chan) const {
  return uvw[3 * row + 1] * freq[chan] / kSpeedOfLight;
}

void Observation::allocate() {
  std::size_t n = nrow * nchan * ncorr;
  vis.assign(n, {0.f, 0.f});
  weight.assign(n, 1.f);
  flag.assign(n, 0);
  uvw.resize(3 * nrow);
}

void Observation::check_shapes(const std::string& where) const {
  std::size_t n = nrow * nchan * ncorr;
  if (uvw.size() != 3 * nrow || freq.size() != nchan || corr.size() != ncorr || vis.size() != n ||
      weight.size() != n || flag.size() != n)
    throw DataError(fmt::format("{}: inconsistent array shapes for {} rows × {} channels × {} correlations",
                                where, nrow, nchan, ncorr));
}

VisibilitySet Observation::stokes_i() const {
  check_shapes("observation");
  // Pick the parallel-hand pair.
  int a = -1, b = -1;
  for (std::size_t c = 0; c < ncorr; ++c) {
    int k = corr[c];
    if (k == int(Corr::XX) || k == int(Corr::RR) || k == int(Corr::I)) a = static_cast<int>(c);
    if (k == int(Corr::YY) || k == int(Corr::LL)) b = static_cast<int>(c);
  }
  if (a < 0 && b < 0) throw DataError("observation has no parallel-hand correlation (XX/YY, RR/LL or I) for Stokes I");
  VisibilitySet s;
  for (std::size_t r = 0; r < nrow; ++r) {
    for (std::size_t ch = 0; ch < nchan; ++ch) {
      std::complex<double> v;
      double w;
      if (a >= 0 && b >= 0) {
        std::size_t ia = index(r, ch, a), ib = index(r, ch, b);
        if (flag[ia] || flag[ib] || !(weight[ia] > 0) || !(weight[ib] > 0)) continue;
        v = 0.5 * (std::complex<double>(vis[ia]) + std::complex<double>(vis[ib]));
        w = 4.0 / (1.0 / weight[ia] + 1.0 / weight[ib]);
      } else {
        std::size_t i = index(r, ch, a >= 0 ? a : b);
        if (flag[i] || !(weight[i] > 0)) continue;
        v = vis[i];
        w = weight[i];
      }
      s.u.push_back(u_lambda(r, ch));
      s.v.push_back(v_lambda(r, ch));
      s.vis.push_back(v);
      s.weight.push_back(w);
    }
  }
  return s;
}

double Observation::flagged_fraction() const {
  if (flag.empty()) return 0;
  std::size_t n = std::count_if(flag.begin(), flag.end(), [](std::uint8_t f) { return f != 0; });
  return static_cast<double>(n) / flag.size();
}

}  // namespace penumbra
