#include "instruments/dirty_image.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <complex>
#include <numbers>
#include <vector>

#include "instruments/nufft.hpp"
#include "src/core/errors.hpp"
#include "src/core/units.hpp"

namespace penumbra {

ImageStats image_stats(std::span<const double> image, int nx, int ny) {
  ImageStats s;
  if (image.empty()) return s;
  s.peak = image[0];
  s.min = image[0];
  double sum2 = 0;
  for (int y = 0; y < ny; ++y)
    for (int x = 0; x < nx; ++x) {
      double p = image[static_cast<std::size_t>(y) * nx + x];
      if (p > s.peak) {
        s.peak = p;
        s.peak_x = x;
        s.peak_y = y;
      }
      s.min = std::min(s.min, p);
      sum2 += p * p;
    }
  s.rms = std::sqrt(sum2 / image.size());
  return s;
}

FittedBeam fit_beam(std::span<const double> psf, const ImageGrid& grid) {
  grid.validate();
  if (psf.size() != grid.size())
    throw UsageError(fmt::format("beam fit: PSF has {} pixels for a {}x{} grid", psf.size(), grid.nx, grid.ny));
  const int nx = grid.nx, ny = grid.ny, cx = nx / 2, cy = ny / 2;
  const double peak = psf[static_cast<std::size_t>(cy) * nx + cx];
  // Flood fill of the main lobe from the centre (4-connected, > half maximum).
  std::vector<char> in(psf.size(), 0);
  std::vector<std::pair<int, int>> stack{{cx, cy}}, lobe;
  in[static_cast<std::size_t>(cy) * nx + cx] = 1;
  while (!stack.empty()) {
    auto [x, y] = stack.back();
    stack.pop_back();
    lobe.emplace_back(x, y);
    const int nb[4][2] = {{x + 1, y}, {x - 1, y}, {x, y + 1}, {x, y - 1}};
    for (auto& q : nb) {
      if (q[0] < 0 || q[0] >= nx || q[1] < 0 || q[1] >= ny) continue;
      const std::size_t j = static_cast<std::size_t>(q[1]) * nx + q[0];
      if (!in[j] && psf[j] > 0.5 * peak) {
        in[j] = 1;
        stack.push_back({q[0], q[1]});
      }
    }
  }
  if (!(peak > 0) || lobe.size() < 5)
    throw UsageError(fmt::format("beam fit: the PSF main lobe has {} pixels above half maximum; the cell {} is too "
                                    "coarse to resolve the beam",
                                    lobe.size(), format_angle(grid.cell)));
  // ln(p/peak) = −½ (A l² + 2B l m + C m²), l, m in cells; weighted normal equations.
  double n[3][3] = {}, r[3] = {};
  for (auto [x, y] : lobe) {
    const double p = psf[static_cast<std::size_t>(y) * nx + x] / peak;
    const double l = -(x - cx), m = y - cy;
    const double f[3] = {l * l, 2 * l * m, m * m};
    const double t = -2.0 * std::log(p), w = p * p;
    for (int i = 0; i < 3; ++i) {
      r[i] += w * f[i] * t;
      for (int j = 0; j < 3; ++j) n[i][j] += w * f[i] * f[j];
    }
  }
  // Solve the 3×3 system by Cramer's rule.
  auto det3 = [](const double a[3][3]) {
    return a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
           a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
  };
  const double d = det3(n);
  double abc[3];
  for (int k = 0; k < 3; ++k) {
    double a[3][3];
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) a[i][j] = j == k ? r[i] : n[i][j];
    abc[k] = det3(a) / d;
  }
  const double A = abc[0], B = abc[1], C = abc[2];
  // Eigenvalues of [[A, B], [B, C]] are 1/σ² along the principal axes.
  const double tr = 0.5 * (A + C), disc = std::sqrt(0.25 * (A - C) * (A - C) + B * B);
  const double lmin = tr - disc, lmax = tr + disc;  // lmin ↔ major axis
  if (!(d != 0) || !(lmin > 0) || !std::isfinite(lmax))
    throw InternalError("beam fit: the PSF main lobe is not an ellipse (degenerate least-squares fit)");
  const double fwhm = 2.0 * std::sqrt(2.0 * std::numbers::ln2);
  FittedBeam b;
  b.bmaj = fwhm / std::sqrt(lmin) * grid.cell;
  b.bmin = fwhm / std::sqrt(lmax) * grid.cell;
  // Major-axis direction (l, m): eigenvector of lmin. PA from North (m) towards East (l).
  double el = B, em = lmin - A;
  if (std::abs(B) < 1e-14 * (std::abs(A) + std::abs(C))) {
    el = A <= C ? 1.0 : 0.0;
    em = A <= C ? 0.0 : 1.0;
  }
  double pa = std::atan2(el, em);
  if (pa > std::numbers::pi / 2) pa -= std::numbers::pi;
  if (pa <= -std::numbers::pi / 2) pa += std::numbers::pi;
  b.bpa = pa;
  return b;
}

void check_uv_fits_grid(std::span<const double> u, std::span<const double> v, const ImageGrid& grid) {
  grid.validate();
  std::size_t worst = 0;
  double worst_val = -1;
  for (std::size_t k = 0; k < u.size(); ++k) {
    const double a = std::max(std::abs(u[k]), std::abs(v[k]));
    if (a > worst_val) {
      worst_val = a;
      worst = k;
    }
  }
  if (worst_val >= grid.max_uv()) {
    throw UsageError(fmt::format(
        "visibility {} at (u, v) = ({:.1f}, {:.1f}) λ (|uv| = {:.4g} kλ) lies beyond the {:.4g} kλ that a cell of "
        "{} resolves (1/(2·cell)); use a cell ≤ {} (or drop the longest baselines)",
        worst, u[worst], v[worst], std::hypot(u[worst], v[worst]) / 1e3, grid.max_uv() / 1e3,
        format_angle(grid.cell), format_angle(0.999 / (2.0 * worst_val))));
  }
}

DirtyImage make_dirty_image(const VisibilitySet& vis, std::span<const double> imaging_weight, const ImageGrid& grid,
                            const DirtyImageOptions& options) {
  grid.validate();
  vis.validate("dirty image");
  if (imaging_weight.size() != vis.size())
    throw UsageError(fmt::format("dirty image: {} imaging weights for {} visibilities", imaging_weight.size(),
                                 vis.size()));
  // Keep only what contributes: zero imaging weight (e.g. uniform weighting
  // outside the weight grid) costs NUFFT time and adds nothing.
  std::vector<double> u, v;
  std::vector<std::complex<double>> wv, w;
  double sum = 0;
  for (std::size_t k = 0; k < vis.size(); ++k) {
    const double wk = imaging_weight[k];
    if (!std::isfinite(wk) || wk < 0)
      throw DataError(fmt::format("dirty image: imaging weight {} of visibility {} is not finite and ≥ 0", wk, k));
    if (wk == 0) continue;
    u.push_back(vis.u[k]);
    v.push_back(vis.v[k]);
    wv.push_back(wk * vis.vis[k]);
    w.push_back(wk);
    sum += wk;
  }
  if (u.empty() || !(sum > 0))
    throw DataError(fmt::format("dirty image: all {} visibilities have zero imaging weight", vis.size()));
  check_uv_fits_grid(u, v, grid);

  DirtyImage out;
  out.grid = grid;
  out.weight_sum = sum;
  out.nvis = u.size();
  auto t0 = std::chrono::steady_clock::now();
  NufftPlan<double> plan(u, v, grid, options.epsilon, options.threads);
  auto t1 = std::chrono::steady_clock::now();
  out.plan_seconds = std::chrono::duration<double>(t1 - t0).count();
  out.dirty.assign(grid.size(), 0.0);
  plan.grid(wv, out.dirty);
  for (double& p : out.dirty) p /= sum;
  if (options.make_psf) {
    out.psf.assign(grid.size(), 0.0);
    plan.grid(w, out.psf);
    for (double& p : out.psf) p /= sum;
  }
  out.grid_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  for (std::size_t j = 0; j < out.dirty.size(); ++j)
    if (!std::isfinite(out.dirty[j]))
      throw InternalError(fmt::format("dirty image: pixel {} is not finite after gridding", j));
  return out;
}

}  // namespace penumbra
