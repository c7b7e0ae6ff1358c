#include "src/core/image_regrid.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "src/core/errors.hpp"

namespace penumbra {

namespace {

// Sparse rows of the 1-D overlap matrix: for each target pixel t, the source pixels
// s whose box [(s − n_s/2 − ½)·c_s, (s − n_s/2 + ½)·c_s) meets the target's box, with
// the overlapping length divided by the source length (the share of s's flux).
struct Overlap {
  int source = 0;
  double share = 0;
};
std::vector<std::vector<Overlap>> overlaps(int n_from, double c_from, int n_to, double c_to) {
  std::vector<std::vector<Overlap>> w(static_cast<std::size_t>(n_to));
  for (int t = 0; t < n_to; ++t) {
    const double lo = (t - n_to / 2 - 0.5) * c_to, hi = lo + c_to;
    const int s0 = std::max(0, static_cast<int>(std::floor(lo / c_from + n_from / 2 + 0.5)) - 1);
    const int s1 = std::min(n_from - 1, static_cast<int>(std::ceil(hi / c_from + n_from / 2 - 0.5)) + 1);
    for (int s = s0; s <= s1; ++s) {
      const double a = (s - n_from / 2 - 0.5) * c_from, b = a + c_from;
      const double len = std::min(b, hi) - std::max(a, lo);
      if (len > 1e-12 * c_from) w[static_cast<std::size_t>(t)].push_back({s, len / c_from});
    }
  }
  return w;
}

}  // namespace

std::vector<double> regrid_conserving_flux(const std::vector<double>& pixels, const ImageGrid& from,
                                           const ImageGrid& to) {
  from.validate();
  to.validate();
  if (pixels.size() != from.size())
    throw UsageError(fmt::format("regrid: image has {} pixels but its grid is {}x{}", pixels.size(), from.nx, from.ny));
  const auto wx = overlaps(from.nx, from.cell, to.nx, to.cell);
  const auto wy = overlaps(from.ny, from.cell, to.ny, to.cell);
  // Along x first (rows of the source), then along y.
  std::vector<double> rows(static_cast<std::size_t>(from.ny) * to.nx, 0.0);
  for (int y = 0; y < from.ny; ++y)
    for (int t = 0; t < to.nx; ++t) {
      double v = 0;
      for (const auto& o : wx[static_cast<std::size_t>(t)])
        v += o.share * pixels[static_cast<std::size_t>(y) * from.nx + o.source];
      rows[static_cast<std::size_t>(y) * to.nx + t] = v;
    }
  std::vector<double> out(to.size(), 0.0);
  for (int t = 0; t < to.ny; ++t)
    for (const auto& o : wy[static_cast<std::size_t>(t)])
      for (int x = 0; x < to.nx; ++x)
        out[static_cast<std::size_t>(t) * to.nx + x] += o.share * rows[static_cast<std::size_t>(o.source) * to.nx + x];
  return out;
}

}  // namespace penumbra
