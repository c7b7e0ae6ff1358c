#include "src/datasets/radial_profile.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/units.hpp"

namespace penumbra {

RadialProfile deprojected_radial_profile(std::span<const double> image, const ImageGrid& grid,
                                         const DiskOrientation& disk, double bin_width, double max_radius) {
  grid.validate();
  require_positive("bin width", bin_width);
  require_positive("maximum radius", max_radius);
  require_in_range("inclination", disk.inclination, 0.0, 89.0 * kDeg);
  if (image.size() != grid.size())
    throw UsageError(fmt::format("image has {} pixels but its grid is {}×{}", image.size(), grid.nx, grid.ny));
  const auto nbin = static_cast<std::size_t>(std::ceil(max_radius / bin_width - 1e-9));
  std::vector<double> sum(nbin, 0.0), sum2(nbin, 0.0);
  RadialProfile p;
  p.bin_width = bin_width;
  p.count.assign(nbin, 0);
  const double sp = std::sin(disk.position_angle), cp = std::cos(disk.position_angle);
  const double ci = std::cos(disk.inclination);
  for (int y = 0; y < grid.ny; ++y)
    for (int x = 0; x < grid.nx; ++x) {
      const double l = grid.l(x) - disk.offset_l, m = grid.m(y) - disk.offset_m;
      const double a = l * sp + m * cp, b = (l * cp - m * sp) / ci;
      const auto k = static_cast<std::size_t>(std::sqrt(a * a + b * b) / bin_width);
      if (k >= nbin) continue;
      const double v = image[static_cast<std::size_t>(y) * grid.nx + x];
      sum[k] += v;
      sum2[k] += v * v;
      ++p.count[k];
    }
  for (std::size_t k = 0; k < nbin; ++k) {
    const auto n = static_cast<double>(p.count[k]);
    const double mean = n > 0 ? sum[k] / n : std::numeric_limits<double>::quiet_NaN();
    p.radius.push_back((k + 0.5) * bin_width);
    p.mean.push_back(mean);
    p.scatter.push_back(n > 1 ? std::sqrt(std::max(0.0, (sum2[k] - n * mean * mean) / (n - 1))) : 0.0);
  }
  return p;
}

double profile_extremum(const RadialProfile& p, double r_lo, double r_hi, bool maximum) {
  std::size_t best = p.radius.size();
  for (std::size_t k = 0; k < p.radius.size(); ++k) {
    if (p.radius[k] < r_lo || p.radius[k] > r_hi || std::isnan(p.mean[k])) continue;
    if (best == p.radius.size() || (maximum ? p.mean[k] > p.mean[best] : p.mean[k] < p.mean[best])) best = k;
  }
  if (best == p.radius.size())
    throw UsageError(fmt::format("radial profile: no bin between {} and {}", format_angle(r_lo), format_angle(r_hi)));
  if (best == 0 || best + 1 >= p.radius.size() || std::isnan(p.mean[best - 1]) || std::isnan(p.mean[best + 1]))
    return p.radius[best];
  // Vertex of the parabola through (−1, y0), (0, y1), (1, y2), in bins.
  const double y0 = p.mean[best - 1], y1 = p.mean[best], y2 = p.mean[best + 1];
  const double curvature = y0 - 2 * y1 + y2;
  const double shift = curvature != 0 ? 0.5 * (y0 - y2) / curvature : 0.0;
  return p.radius[best] + std::clamp(shift, -0.5, 0.5) * p.bin_width;
}

}  // namespace penumbra
