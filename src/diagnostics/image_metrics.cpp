#include "src/diagnostics/image_metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "src/core/errors.hpp"

namespace penumbra {
namespace metrics_impl {

void check_sizes(std::span<const double> a, std::span<const double> b, const char* what) {
  if (a.size() != b.size() || a.empty())
    throw UsageError(fmt::format("{}: image has {} pixels, truth {} (expected the same, non-zero)", what, a.size(),
                                 b.size()));
}

// Separable truncated Gaussian blur with per-pixel renormalisation of the weights.
std::vector<double> blur(const std::vector<double>& in, int nx, int ny) {
  constexpr int kRadius = 5;
  constexpr double kSigma = 1.5;
  double k[2 * kRadius + 1];
  for (int i = -kRadius; i <= kRadius; ++i) k[i + kRadius] = std::exp(-0.5 * i * i / (kSigma * kSigma));
  std::vector<double> tmp(in.size()), out(in.size());
  for (int y = 0; y < ny; ++y)
    for (int x = 0; x < nx; ++x) {
      double s = 0, ws = 0;
      for (int i = -kRadius; i <= kRadius; ++i) {
        int xx = x + i;
        if (xx < 0 || xx >= nx) continue;
        s += k[i + kRadius] * in[static_cast<std::size_t>(y) * nx + xx];
        ws += k[i + kRadius];
      }
      tmp[static_cast<std::size_t>(y) * nx + x] = s / ws;
    }
  for (int y = 0; y < ny; ++y)
    for (int x = 0; x < nx; ++x) {
      double s = 0, ws = 0;
      for (int i = -kRadius; i <= kRadius; ++i) {
        int yy = y + i;
        if (yy < 0 || yy >= ny) continue;
        s += k[i + kRadius] * tmp[static_cast<std::size_t>(yy) * nx + x];
        ws += k[i + kRadius];
      }
      out[static_cast<std::size_t>(y) * nx + x] = s / ws;
    }
  return out;
}

}  // namespace metrics_impl

double image_rmse(std::span<const double> image, std::span<const double> truth) {
  metrics_impl::check_sizes(image, truth, "rmse");
  double s = 0;
  for (std::size_t i = 0; i < image.size(); ++i) s += (image[i] - truth[i]) * (image[i] - truth[i]);
  return std::sqrt(s / static_cast<double>(image.size()));
}

double image_ssim(std::span<const double> image, std::span<const double> truth, int nx, int ny) {
  metrics_impl::check_sizes(image, truth, "ssim");
  if (nx <= 0 || ny <= 0 || static_cast<std::size_t>(nx) * ny != image.size())
    throw UsageError(fmt::format("ssim: {} pixels is not {}x{}", image.size(), nx, ny));
  auto [mn, mx] = std::minmax_element(truth.begin(), truth.end());
  double L = *mx - *mn;
  if (!(L > 0)) L = 1.0;
  const double c1 = (0.01 * L) * (0.01 * L), c2 = (0.03 * L) * (0.03 * L);
  std::size_t n = image.size();
  std::vector<double> a(image.begin(), image.end()), b(truth.begin(), truth.end()), aa(n), bb(n), ab(n);
  for (std::size_t i = 0; i < n; ++i) {
    aa[i] = a[i] * a[i];
    bb[i] = b[i] * b[i];
    ab[i] = a[i] * b[i];
  }
  using metrics_impl::blur;
  auto ma = blur(a, nx, ny), mb = blur(b, nx, ny), saa = blur(aa, nx, ny), sbb = blur(bb, nx, ny),
       sab = blur(ab, nx, ny);
  double total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    double va = saa[i] - ma[i] * ma[i], vb = sbb[i] - mb[i] * mb[i], cov = sab[i] - ma[i] * mb[i];
    total += ((2 * ma[i] * mb[i] + c1) * (2 * cov + c2)) / ((ma[i] * ma[i] + mb[i] * mb[i] + c1) * (va + vb + c2));
  }
  return total / static_cast<double>(n);
}

double total_flux_error(std::span<const double> image, std::span<const double> truth) {
  metrics_impl::check_sizes(image, truth, "flux error");
  double si = 0, st = 0;
  for (std::size_t i = 0; i < image.size(); ++i) {
    si += image[i];
    st += truth[i];
  }
  if (st == 0) throw UsageError("flux error: the truth's total flux is 0");
  return (si - st) / st;
}

}  // namespace penumbra
