#include "instruments/clean.hpp"

#include <fmt/format.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <complex>
#include <memory>
#include <queue>

#include "instruments/dirty_image.hpp"
#include "instruments/nufft.hpp"
#include "src/core/errors.hpp"
#include "src/core/log.hpp"
#include "src/core/units.hpp"

namespace penumbra {
namespace {

constexpr double kFwhmFactor = 4.0 * 0.69314718055994531;  // 4 ln 2

std::size_t argmax_abs(std::span<const double> img) {
  std::size_t best = 0;
  for (std::size_t i = 1; i < img.size(); ++i)
    if (std::abs(img[i]) > std::abs(img[best])) best = i;
  return best;
}

// Högbom minor cycle on `residual` with a PSF of twice the image size centred
// at (nx, ny), so a component anywhere in the image can be subtracted everywhere.
// Stops at `stop_level`, the threshold, or after `budget` iterations.
int minor_cycle(std::vector<double>& residual, std::vector<double>& model, const std::vector<double>& psf2,
                const ImageGrid& g, double gain, double stop_level, int budget) {
  const int nx = g.nx, ny = g.ny, px2 = 2 * nx;
  int it = 0;
  for (; it < budget; ++it) {
    std::size_t p = argmax_abs(residual);
    double peak = residual[p];
    if (std::abs(peak) <= stop_level) break;
    int y0 = static_cast<int>(p / nx), x0 = static_cast<int>(p % nx);
    double comp = gain * peak;
    model[p] += comp;
    for (int y = 0; y < ny; ++y) {
      const double* prow = &psf2[static_cast<std::size_t>(y - y0 + ny) * px2 + (nx - x0)];
      double* rrow = &residual[static_cast<std::size_t>(y) * nx];
      for (int x = 0; x < nx; ++x) rrow[x] -= comp * prow[x];
    }
  }
  return it;
}

}  // namespace

Beam fit_clean_beam(std::span<const double> psf, const ImageGrid& g) {
  if (psf.size() != g.size()) throw UsageError("fit_clean_beam: PSF size does not match the grid");
  const int cx = g.nx / 2, cy = g.ny / 2;
  double peak = psf[static_cast<std::size_t>(cy) * g.nx + cx];
  if (!(peak > 0)) throw DataError("PSF is not positive at the phase centre: cannot fit a clean beam");
  // Flood fill of the main lobe above half maximum.
  std::vector<char> seen(g.size(), 0);
  std::queue<std::pair<int, int>> q;
  q.push({cx, cy});
  seen[static_cast<std::size_t>(cy) * g.nx + cx] = 1;
  Eigen::Matrix3d ata = Eigen::Matrix3d::Zero();
  Eigen::Vector3d atb = Eigen::Vector3d::Zero();
  int n = 0;
  while (!q.empty()) {
    auto [x, y] = q.front();
    q.pop();
    double p = psf[static_cast<std::size_t>(y) * g.nx + x] / peak;
    // −ln p = M11 l² + 2 M12 l m + M22 m², weighted by p² to favour the core.
    double l = g.l(x) / g.cell, m = g.m(y) / g.cell;  // in pixels: well-conditioned
    Eigen::Vector3d a(l * l, 2 * l * m, m * m);
    double w = p * p;
    ata += w * a * a.transpose();
    atb += w * a * (-std::log(p));
    ++n;
    const int dx[] = {1, -1, 0, 0}, dy[] = {0, 0, 1, -1};
    for (int k = 0; k < 4; ++k) {
      int xn = x + dx[k], yn = y + dy[k];
      if (xn < 0 || yn < 0 || xn >= g.nx || yn >= g.ny) continue;
      std::size_t i = static_cast<std::size_t>(yn) * g.nx + xn;
      if (seen[i] || psf[i] / peak < 0.5) continue;
      seen[i] = 1;
      q.push({xn, yn});
    }
  }
  if (n < 6)
    throw DataError(fmt::format("the PSF main lobe covers {} pixels: the cell {} does not sample the beam; use a "
                                "smaller --scale",
                                n, format_angle(g.cell)));
  Eigen::Vector3d c = ata.ldlt().solve(atb);
  Eigen::Matrix2d M;
  M << c(0), c(1), c(1), c(2);
  Eigen::SelfAdjointEigenSolver<Eigen::Matrix2d> es(M);
  double lmin = es.eigenvalues()(0), lmax = es.eigenvalues()(1);
  if (!(lmin > 0)) throw DataError("the PSF main lobe is not elliptical: cannot fit a clean beam");
  Beam b;
  b.bmaj = std::sqrt(kFwhmFactor / lmin) * g.cell;
  b.bmin = std::sqrt(kFwhmFactor / lmax) * g.cell;
  Eigen::Vector2d e = es.eigenvectors().col(0);  // major axis direction in (l, m)
  double pa = std::atan2(e(0), e(1));             // East of North
  if (pa < -kPi / 2) pa += kPi;
  if (pa > kPi / 2) pa -= kPi;
  b.bpa = pa;
  return b;
}

void restore(std::span<const double> model, const Beam& beam, const ImageGrid& g, std::span<double> image) {
  // Gaussian with FWHM bmaj along (sin pa, cos pa) in (l, m), peak 1.
  double s = std::sin(beam.bpa), c = std::cos(beam.bpa);
  double amaj = kFwhmFactor / (beam.bmaj * beam.bmaj), amin = kFwhmFactor / (beam.bmin * beam.bmin);
  int half = static_cast<int>(std::ceil(1.5 * beam.bmaj / g.cell)) + 1;  // e^{-4ln2·1.5²·…} < 1e-3
  for (int y0 = 0; y0 < g.ny; ++y0)
    for (int x0 = 0; x0 < g.nx; ++x0) {
      double f = model[static_cast<std::size_t>(y0) * g.nx + x0];
      if (f == 0) continue;
      for (int y = std::max(0, y0 - half); y <= std::min(g.ny - 1, y0 + half); ++y)
        for (int x = std::max(0, x0 - half); x <= std::min(g.nx - 1, x0 + half); ++x) {
          double l = g.l(x) - g.l(x0), m = g.m(y) - g.m(y0);
          double a = l * s + m * c, b = -l * c + m * s;
          image[static_cast<std::size_t>(y) * g.nx + x] += f * std::exp(-(amaj * a * a + amin * b * b));
        }
    }
}

CleanResult clean(const VisibilitySet& vis, std::span<const double> imaging_weight, const ImageGrid& grid,
                  const CleanOptions& o) {
  grid.validate();
  if (o.niter < 0 || !(o.gain > 0 && o.gain <= 1) || o.threshold < 0 || !(o.major_gain > 0 && o.major_gain <= 1))
    throw UsageError(fmt::format("clean: need niter ≥ 0, 0 < gain ≤ 1, threshold ≥ 0, 0 < major gain ≤ 1 (got {}, {}, "
                                 "{}, {})",
                                 o.niter, o.gain, o.threshold, o.major_gain));
  if (imaging_weight.size() != vis.size())
    throw UsageError("clean: one imaging weight per visibility is required");
  // The PSF on a grid twice the size, same cell: it shifts over the whole image.
  ImageGrid grid2 = grid;
  grid2.nx *= 2;
  grid2.ny *= 2;
  DirtyImageOptions dopt;
  dopt.epsilon = o.epsilon;
  DirtyImage d2 = make_dirty_image(vis, imaging_weight, grid2, dopt);
  DirtyImage d = make_dirty_image(vis, imaging_weight, grid, dopt);

  CleanResult r;
  r.psf = d.psf;
  r.beam = fit_clean_beam(r.psf, grid);
  r.model.assign(grid.size(), 0.0);
  r.residual = d.dirty;

  // Only the visibilities that carry imaging weight take part in major cycles.
  std::vector<double> u, v, w;
  std::vector<std::complex<double>> data;
  for (std::size_t k = 0; k < vis.size(); ++k)
    if (imaging_weight[k] > 0) {
      u.push_back(vis.u[k]);
      v.push_back(vis.v[k]);
      w.push_back(imaging_weight[k]);
      data.push_back(vis.vis[k]);
    }
  std::unique_ptr<NufftPlan<double>> plan;
  if (o.cotton_schwab) plan = std::make_unique<NufftPlan<double>>(u, v, grid, o.epsilon);

  int budget = o.niter;
  double start_peak = std::abs(r.residual[argmax_abs(r.residual)]);
  for (int major = 0; budget > 0; ++major) {
    double peak = std::abs(r.residual[argmax_abs(r.residual)]);
    if (peak <= o.threshold) break;
    double stop = o.cotton_schwab ? std::max(o.threshold, (1 - o.major_gain) * peak) : o.threshold;
    int done = minor_cycle(r.residual, r.model, d2.psf, grid, o.gain, stop, budget);
    budget -= done;
    r.iterations += done;
    if (!o.cotton_schwab || done == 0) break;
    // Major cycle: residual = dirty image of (V − A·model), same weights.
    std::vector<std::complex<double>> pred(u.size());
    plan->degrid(r.model, pred);
    for (std::size_t k = 0; k < u.size(); ++k) pred[k] = w[k] * (data[k] - pred[k]);
    plan->grid(pred, r.residual);
    for (auto& x : r.residual) x /= d.weight_sum;
    ++r.major_cycles;
    log().debug("clean: major cycle {}: {} iterations, peak {:.4g} Jy/beam", r.major_cycles, r.iterations,
                std::abs(r.residual[argmax_abs(r.residual)]));
    if (r.major_cycles >= o.max_major_cycles) break;
  }
  r.final_peak = std::abs(r.residual[argmax_abs(r.residual)]);
  log().info("clean: {} iterations, {} major cycles, peak {:.4g} → {:.4g} Jy/beam", r.iterations, r.major_cycles,
             start_peak, r.final_peak);
  r.restored = r.residual;
  restore(r.model, r.beam, grid, r.restored);
  return r;
}

}  // namespace penumbra
