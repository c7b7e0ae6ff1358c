#include "instruments/multiscale_clean.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "instruments/clean_minor_cycle.hpp"
#include "instruments/image_convolution.hpp"
#include "src/core/errors.hpp"
#include "src/core/log.hpp"

namespace penumbra {
namespace {

using clean_detail::argmax_abs;
using clean_detail::subtract_shifted;

constexpr double kFourLn2 = 4.0 * 0.69314718055994531;
// The sub-minor loop on one scale stops once that scale's peak fell by this
// fraction: long enough to amortise the FFTs of a scale selection, short
// enough that the choice of scale is revisited as the residual changes.
constexpr double kSubMinorDrop = 0.2;

}  // namespace

ScaleShape parse_scale_shape(const std::string& name) {
  if (name == "paraboloid") return ScaleShape::TaperedParaboloid;
  if (name == "gaussian") return ScaleShape::Gaussian;
  throw UsageError(fmt::format("scale shape '{}': expected paraboloid or gaussian", name));
}

std::string scale_shape_name(ScaleShape s) { return s == ScaleShape::Gaussian ? "gaussian" : "paraboloid"; }

ScaleKernel make_scale_kernel(double scale, ScaleShape shape) {
  if (!std::isfinite(scale) || scale < 0 || (scale > 0 && scale < 1))
    throw UsageError(fmt::format("scale {} px: a scale is 0 (the point) or a FWHM of at least 1 pixel", scale));
  ScaleKernel k;
  k.scale = scale;
  if (scale == 0) {
    k.values = {1.0};
    return k;
  }
  // Paraboloid: support radius s (x = r/s < 1); Gaussian: truncated at 1.5 s.
  const double reach = shape == ScaleShape::Gaussian ? 1.5 * scale : scale;
  k.half_width = static_cast<int>(std::ceil(reach));
  const int h = k.half_width, side = 2 * h + 1;
  const double taper = std::log(1.5) / (1.0 - std::sqrt(0.75));
  k.values.assign(static_cast<std::size_t>(side) * side, 0.0);
  double sum = 0;
  for (int dy = -h; dy <= h; ++dy)
    for (int dx = -h; dx <= h; ++dx) {
      const double r = std::hypot(dx, dy);
      double v = 0;
      if (shape == ScaleShape::Gaussian) {
        if (r <= reach) v = std::exp(-kFourLn2 * r * r / (scale * scale));
      } else if (r < scale) {
        const double q = 1.0 - (r / scale) * (r / scale);
        v = q * std::exp(taper * (std::sqrt(q) - 1.0));
      }
      k.values[static_cast<std::size_t>(dy + h) * side + (dx + h)] = v;
      sum += v;
    }
  for (double& v : k.values) v /= sum;
  return k;
}

std::vector<double> default_scales(const Beam& beam, const ImageGrid& grid) {
  const double beam_px = std::sqrt(beam.bmaj * beam.bmin) / grid.cell;
  const double limit = std::min(grid.nx, grid.ny) / 8.0;
  std::vector<double> s{0.0};
  for (double x = std::max(1.0, std::round(2 * beam_px)); x <= limit; x *= 2) s.push_back(x);
  return s;
}

std::vector<double> normalise_scales(std::vector<double> scales, const ImageGrid& grid, ScaleShape shape) {
  scales.push_back(0.0);
  std::sort(scales.begin(), scales.end());
  scales.erase(std::unique(scales.begin(), scales.end()), scales.end());
  for (double s : scales) {
    const ScaleKernel k = make_scale_kernel(s, shape);  // validates the value
    if (2 * k.half_width + 1 > std::min(grid.nx, grid.ny) / 2)
      throw UsageError(fmt::format("scale {} px: its {} kernel is {} pixels wide, more than half the {}x{} image; use "
                                   "smaller scales",
                                   s, scale_shape_name(shape), 2 * k.half_width + 1, grid.nx, grid.ny));
  }
  return scales;
}

struct MultiscaleMinorCycle::Scale {
  ScaleKernel kernel;
  int conv = -1;                 // kernel index in the image convolver (-1: the point)
  std::vector<double> psf_s2;    // K_s ⊛ P on the double grid
  std::vector<double> psf_ss2;   // K_s ⊛ K_s ⊛ P on the double grid
  double ps0 = 1, pss0 = 1, bias = 1;
  std::vector<double> scaled;    // R_s, recomputed at each selection
};

struct MultiscaleMinorCycle::Convolvers {
  FftConvolver image;
  Convolvers(int nx, int ny, int h) : image(nx, ny, h) {}
};

MultiscaleMinorCycle::MultiscaleMinorCycle(std::span<const double> psf2, const ImageGrid& grid,
                                           std::vector<double> scales, ScaleShape shape, double scale_bias)
    : grid_(grid), scales_(std::move(scales)) {
  grid.validate();
  if (psf2.size() != 4 * grid.size())
    throw UsageError("multiscale CLEAN: the PSF must be computed on the grid of twice the image size");
  if (scales_.empty() || scales_.front() != 0)
    throw UsageError("multiscale CLEAN: the scales must start with 0 (use normalise_scales)");
  if (!(scale_bias >= 0 && scale_bias < 1))
    throw UsageError(fmt::format("multiscale CLEAN: the scale bias must be in [0, 1) (got {})", scale_bias));
  const int nx = grid.nx, ny = grid.ny;
  const std::size_t centre2 = static_cast<std::size_t>(ny) * (2 * nx) + nx;
  int hmax = 0;
  per_scale_.resize(scales_.size());
  for (std::size_t i = 0; i < scales_.size(); ++i) {
    per_scale_[i].kernel = make_scale_kernel(scales_[i], shape);
    hmax = std::max(hmax, per_scale_[i].kernel.half_width);
  }
  conv_ = std::make_unique<Convolvers>(nx, ny, hmax);
  FftConvolver psf_conv(2 * nx, 2 * ny, hmax);
  const double smax = scales_.back();
  for (std::size_t i = 0; i < scales_.size(); ++i) {
    Scale& s = per_scale_[i];
    s.bias = smax > 0 ? 1.0 - scale_bias * scales_[i] / smax : 1.0;
    if (scales_[i] == 0) {
      s.psf_s2.assign(psf2.begin(), psf2.end());
      s.psf_ss2 = s.psf_s2;
    } else {
      s.conv = conv_->image.add_kernel(s.kernel.values, s.kernel.half_width);
      const int k2 = psf_conv.add_kernel(s.kernel.values, s.kernel.half_width);
      s.psf_s2.resize(psf2.size());
      s.psf_ss2.resize(psf2.size());
      psf_conv.convolve(psf2, k2, s.psf_s2);
      psf_conv.convolve(s.psf_s2, k2, s.psf_ss2);
    }
    s.ps0 = s.psf_s2[centre2];
    s.pss0 = s.psf_ss2[centre2];
    if (!(s.ps0 > 0 && s.pss0 > 0))
      throw DataError(fmt::format("multiscale CLEAN: the PSF convolved with scale {} px is not positive at its centre; "
                                  "the scale is far wider than the PSF allows",
                                  scales_[i]));
    s.scaled.assign(grid.size(), 0.0);
  }
  components_.assign(scales_.size(), 0);
  flux_.assign(scales_.size(), 0.0);
}

MultiscaleMinorCycle::~MultiscaleMinorCycle() = default;

int MultiscaleMinorCycle::run(std::vector<double>& residual, std::vector<double>& model, double gain,
                              double stop_level, int budget) {
  const int nx = grid_.nx, ny = grid_.ny;
  int placed = 0;
  std::vector<std::pair<std::size_t, double>> batch;
  std::vector<double> batch_image(grid_.size(), 0.0);
  while (placed < budget) {
    if (std::abs(residual[argmax_abs(residual, nx, ny)]) <= stop_level) break;
    // Scale selection on the scale-convolved residuals.
    int best = -1;
    double best_score = -1;
    for (std::size_t i = 0; i < per_scale_.size(); ++i) {
      Scale& s = per_scale_[i];
      if (s.conv < 0)
        s.scaled = residual;
      else
        conv_->image.convolve(residual, s.conv, s.scaled);
      const std::size_t p = argmax_abs(s.scaled, nx, ny, s.kernel.half_width);
      if (p == SIZE_MAX || std::abs(s.scaled[p]) <= stop_level * s.ps0) continue;
      const double score = s.bias * std::abs(s.scaled[p]) / s.ps0;
      if (score > best_score) {
        best_score = score;
        best = static_cast<int>(i);
      }
    }
    if (best < 0) break;
    // Sub-minor loop: Högbom at the chosen scale on R_s with P_ss.
    Scale& s = per_scale_[best];
    const int h = s.kernel.half_width;
    std::vector<double>& rs = s.scaled;
    const double start = std::abs(rs[argmax_abs(rs, nx, ny, h)]);
    const double sub_stop = std::max(stop_level * s.ps0, (1.0 - kSubMinorDrop) * start);
    batch.clear();
    while (placed < budget) {
      const std::size_t p = argmax_abs(rs, nx, ny, h);
      if (!batch.empty() && std::abs(rs[p]) <= sub_stop) break;
      const double alpha = gain * rs[p] / s.pss0;
      subtract_shifted(rs, s.psf_ss2, grid_, static_cast<int>(p % nx), static_cast<int>(p / nx), alpha);
      batch.emplace_back(p, alpha);
      ++placed;
    }
    // Apply the batch to the full residual and the model, once per pixel.
    for (auto [p, a] : batch) batch_image[p] += a;
    const int side = 2 * h + 1;
    for (auto [p, unused] : batch) {
      (void)unused;
      const double a = batch_image[p];
      if (a == 0) continue;
      batch_image[p] = 0;
      const int x0 = static_cast<int>(p % nx), y0 = static_cast<int>(p / nx);
      subtract_shifted(residual, s.psf_s2, grid_, x0, y0, a);
      for (int dy = -h; dy <= h; ++dy)
        for (int dx = -h; dx <= h; ++dx)
          model[static_cast<std::size_t>(y0 + dy) * nx + (x0 + dx)] +=
              a * s.kernel.values[static_cast<std::size_t>(dy + h) * side + (dx + h)];
      flux_[best] += a;
    }
    components_[best] += static_cast<int>(batch.size());
  }
  return placed;
}

}  // namespace penumbra
