#include "instruments/dirty_image.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <complex>
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

namespace {

// Σ W after checking the weights (finite, ≥ 0, one per visibility, not all zero).
double checked_weight_sum(const VisibilitySet& vis, std::span<const double> imaging_weight) {
  vis.validate("dirty image");
  if (imaging_weight.size() != vis.size())
    throw UsageError(fmt::format("dirty image: {} imaging weights for {} visibilities", imaging_weight.size(),
                                 vis.size()));
  double sum = 0;
  for (std::size_t k = 0; k < vis.size(); ++k) {
    const double wk = imaging_weight[k];
    if (!std::isfinite(wk) || wk < 0)
      throw DataError(fmt::format("dirty image: imaging weight {} of visibility {} is not finite and ≥ 0", wk, k));
    sum += wk;
  }
  if (!(sum > 0)) throw DataError(fmt::format("dirty image: all {} visibilities have zero imaging weight", vis.size()));
  return sum;
}

// dirty = Re Aᴴ(W·V)/ΣW and psf = Re Aᴴ W/ΣW on `plan`, whose points are `wv`'s and `w`'s.
void grid_dirty(const NufftPlan<double>& plan, std::span<const std::complex<double>> wv,
                std::span<const std::complex<double>> w, double sum, bool make_psf, DirtyImage& out) {
  auto t1 = std::chrono::steady_clock::now();
  out.dirty.assign(out.grid.size(), 0.0);
  plan.grid(wv, out.dirty);
  for (double& p : out.dirty) p /= sum;
  if (make_psf) {
    out.psf.assign(out.grid.size(), 0.0);
    plan.grid(w, out.psf);
    for (double& p : out.psf) p /= sum;
  }
  out.grid_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  for (std::size_t j = 0; j < out.dirty.size(); ++j)
    if (!std::isfinite(out.dirty[j]))
      throw InternalError(fmt::format("dirty image: pixel {} is not finite after gridding", j));
}

}  // namespace

DirtyImage make_dirty_image(const VisibilitySet& vis, std::span<const double> imaging_weight, const ImageGrid& grid,
                            const DirtyImageOptions& options) {
  grid.validate();
  const double sum = checked_weight_sum(vis, imaging_weight);
  // Keep only what contributes: zero imaging weight (e.g. uniform weighting
  // outside the weight grid) costs NUFFT time and adds nothing.
  std::vector<double> u, v;
  std::vector<std::complex<double>> wv, w;
  for (std::size_t k = 0; k < vis.size(); ++k) {
    const double wk = imaging_weight[k];
    if (wk == 0) continue;
    u.push_back(vis.u[k]);
    v.push_back(vis.v[k]);
    wv.push_back(wk * vis.vis[k]);
    w.push_back(wk);
  }
  check_uv_fits_grid(u, v, grid);

  DirtyImage out;
  out.grid = grid;
  out.weight_sum = sum;
  out.nvis = u.size();
  auto t0 = std::chrono::steady_clock::now();
  NufftPlan<double> plan(u, v, grid, options.epsilon, options.threads);
  out.plan_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  grid_dirty(plan, wv, w, sum, options.make_psf, out);
  return out;
}

DirtyImage make_dirty_image(const NufftPlan<double>& plan, const VisibilitySet& vis,
                            std::span<const double> imaging_weight, bool make_psf) {
  if (plan.nvis() != vis.size())
    throw InternalError(fmt::format("dirty image: a plan of {} points for {} visibilities", plan.nvis(), vis.size()));
  const double sum = checked_weight_sum(vis, imaging_weight);
  std::vector<std::complex<double>> wv(vis.size()), w(vis.size());
  DirtyImage out;
  out.grid = plan.image_grid();
  out.weight_sum = sum;
  for (std::size_t k = 0; k < vis.size(); ++k) {
    wv[k] = imaging_weight[k] * vis.vis[k];
    w[k] = imaging_weight[k];
    out.nvis += imaging_weight[k] > 0;
  }
  grid_dirty(plan, wv, w, sum, make_psf, out);
  return out;
}

}  // namespace penumbra
