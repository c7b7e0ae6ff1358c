#include "instruments/clean_minor_cycle.hpp"

#include <cmath>
#include <cstdint>

namespace penumbra::clean_detail {

std::size_t argmax_abs(std::span<const double> img, int nx, int ny, int border) {
  std::size_t best = SIZE_MAX;
  double best_abs = -1;
  for (int y = border; y < ny - border; ++y) {
    const double* row = img.data() + static_cast<std::size_t>(y) * nx;
    for (int x = border; x < nx - border; ++x)
      if (std::abs(row[x]) > best_abs) {
        best_abs = std::abs(row[x]);
        best = static_cast<std::size_t>(y) * nx + x;
      }
  }
  return best;
}

void subtract_shifted(std::span<double> image, std::span<const double> psf2, const ImageGrid& g, int x0, int y0,
                      double amount) {
  const int nx = g.nx, ny = g.ny, px2 = 2 * nx;
  for (int y = 0; y < ny; ++y) {
    const double* prow = &psf2[static_cast<std::size_t>(y - y0 + ny) * px2 + (nx - x0)];
    double* row = &image[static_cast<std::size_t>(y) * nx];
    for (int x = 0; x < nx; ++x) row[x] -= amount * prow[x];
  }
}

int hogbom_minor_cycle(std::vector<double>& residual, std::vector<double>& model, std::span<const double> psf2,
                       const ImageGrid& g, double gain, double stop_level, int budget) {
  int it = 0;
  for (; it < budget; ++it) {
    const std::size_t p = argmax_abs(residual, g.nx, g.ny);
    const double peak = residual[p];
    if (std::abs(peak) <= stop_level) break;
    const double comp = gain * peak;
    model[p] += comp;
    subtract_shifted(residual, psf2, g, static_cast<int>(p % g.nx), static_cast<int>(p / g.nx), comp);
  }
  return it;
}

}  // namespace penumbra::clean_detail
