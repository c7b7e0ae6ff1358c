#include "instruments/clean.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <memory>

#include "instruments/beam_fit.hpp"
#include "instruments/clean_minor_cycle.hpp"
#include "instruments/dirty_image.hpp"
#include "instruments/nufft.hpp"
#include "src/core/errors.hpp"
#include "src/core/log.hpp"
#include "src/core/units.hpp"

namespace penumbra {
namespace {

using clean_detail::argmax_abs;

constexpr double kFwhmFactor = 4.0 * 0.69314718055994531;  // 4 ln 2

}  // namespace

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
  r.beam = fit_beam(r.psf, grid);
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

  std::unique_ptr<MultiscaleMinorCycle> multiscale;
  if (o.multiscale) {
    std::vector<double> scales = o.scales.empty() ? default_scales(r.beam, grid) : o.scales;
    multiscale = std::make_unique<MultiscaleMinorCycle>(d2.psf, grid, normalise_scales(scales, grid, o.scale_shape),
                                                        o.scale_shape, o.scale_bias);
    log().info("clean: multiscale, {} scales {} px", scale_shape_name(o.scale_shape),
               fmt::join(multiscale->scales(), ", "));
  }
  auto peak_of = [&](const std::vector<double>& img) { return std::abs(img[argmax_abs(img, grid.nx, grid.ny)]); };

  int budget = o.niter;
  double start_peak = peak_of(r.residual);
  for (int major = 0; budget > 0; ++major) {
    double peak = peak_of(r.residual);
    if (peak <= o.threshold) break;
    double stop = o.cotton_schwab ? std::max(o.threshold, (1 - o.major_gain) * peak) : o.threshold;
    int done = multiscale ? multiscale->run(r.residual, r.model, o.gain, stop, budget)
                          : clean_detail::hogbom_minor_cycle(r.residual, r.model, d2.psf, grid, o.gain, stop, budget);
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
                peak_of(r.residual));
    if (r.major_cycles >= o.max_major_cycles) break;
  }
  r.final_peak = peak_of(r.residual);
  if (multiscale) {
    r.scales = multiscale->scales();
    r.scale_components = multiscale->components();
    r.scale_flux = multiscale->flux();
  }
  log().info("clean: {} iterations, {} major cycles, peak {:.4g} → {:.4g} Jy/beam", r.iterations, r.major_cycles,
             start_peak, r.final_peak);
  r.restored = r.residual;
  restore(r.model, r.beam, grid, r.restored);
  return r;
}

}  // namespace penumbra
