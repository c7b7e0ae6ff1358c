#include "instruments/gridded_visibilities.hpp"

#include <limits>

namespace penumbra {

std::size_t GriddedVisibilities::occupied_cells() const {
  std::size_t n = 0;
  for (double w : weight) n += w > 0;
  return n;
}

GriddedVisibilities grid_visibilities(const VisibilitySet& vis, const ImageGrid& grid) {
  grid.validate();
  vis.validate("gridded visibilities");
  GriddedVisibilities g;
  g.nx = grid.nx;
  g.ny = grid.ny;
  g.du = 1.0 / (grid.nx * grid.cell);
  g.dv = 1.0 / (grid.ny * grid.cell);
  const std::size_t ncell = grid.size();
  g.mean.assign(ncell, {0.0, 0.0});
  g.weight.assign(ncell, 0.0);
  g.variance.assign(ncell, std::numeric_limits<double>::infinity());
  g.count.assign(ncell, 0);
  g.nvis = vis.size();

  for (std::size_t k = 0; k < vis.size(); ++k) {
    const double w = vis.weight[k];
    int kx, ky;
    uv_to_fft_cell(vis.u[k], vis.v[k], g.nx, g.ny, g.du, g.dv, kx, ky);
    const std::size_t c = g.index(ky, kx);
    if (g.self_conjugate(ky, kx)) {
      // V and conj(V) in the same cell: their average is Re V, counted once.
      g.mean[c] += w * vis.vis[k].real();
      g.weight[c] += w;
      g.count[c] += 1;
      continue;
    }
    const int cx = (g.nx - kx) % g.nx, cy = (g.ny - ky) % g.ny;
    const std::size_t cc = g.index(cy, cx);
    g.mean[c] += w * vis.vis[k];
    g.weight[c] += w;
    g.count[c] += 1;
    g.mean[cc] += w * std::conj(vis.vis[k]);
    g.weight[cc] += w;
    g.count[cc] += 1;
  }
  for (std::size_t c = 0; c < ncell; ++c) {
    if (g.weight[c] > 0) {
      g.mean[c] /= g.weight[c];
      g.variance[c] = 1.0 / g.weight[c];
    } else {
      g.mean[c] = 0;  // zero-weight visibilities may have landed here
    }
  }
  return g;
}

}  // namespace penumbra
