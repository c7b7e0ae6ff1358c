#include "instruments/torch/convolved_likelihood.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include <cmath>
#include <complex>
#include <vector>

#include "src/core/errors.hpp"

namespace penumbra {

namespace {

// D(k) on one axis: Σ_{j=−N/2}^{N/2−1} exp(−2πi·2k·j/M), for k = 0..M−1.
std::vector<std::complex<double>> window_sum(int n, int m) {
  std::vector<std::complex<double>> d(static_cast<std::size_t>(m));
  for (int k = 0; k < m; ++k) {
    std::complex<double> s = 0;
    for (int j = -n / 2; j < n - n / 2; ++j) {
      long t = (2L * k * j) % m;  // reduce the phase exactly (integers)
      double ph = -2 * M_PI * static_cast<double>(t) / m;
      s += std::complex<double>(std::cos(ph), std::sin(ph));
    }
    d[static_cast<std::size_t>(k)] = s;
  }
  return d;
}

}  // namespace

ConvolvedGriddedLikelihood::ConvolvedGriddedLikelihood(const GriddedVisibilities& g, int image_size, PixelUnits units,
                                                       at::ScalarType dtype)
    : n_(image_size), m_(g.nx), units_(units) {
  if (!(units.scale > 0)) throw UsageError("convolved likelihood: pixel unit scale must be > 0");
  if (g.nx != g.ny) throw UsageError(fmt::format("convolved likelihood: square grids only, got {}x{}", g.nx, g.ny));
  if (n_ < 2 || m_ < n_ || (m_ - n_) % 2 != 0)
    throw UsageError(fmt::format("convolved likelihood: padded grid {} must be >= image size {} with an even "
                                 "difference",
                                 m_, n_));
  const std::int64_t M = m_;
  auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  auto y_re = torch::zeros({M, M}, f64), y_im = torch::zeros({M, M}, f64), var = torch::ones({M, M}, f64);
  auto h_re = torch::zeros({M, M}, f64), h_im = torch::zeros({M, M}, f64);
  auto* pyr = y_re.data_ptr<double>();
  auto* pyi = y_im.data_ptr<double>();
  auto* pv = var.data_ptr<double>();
  auto* phr = h_re.data_ptr<double>();
  auto* phi = h_im.data_ptr<double>();
  for (int ky = 0; ky < m_; ++ky)
    for (int kx = 0; kx < m_; ++kx) {
      std::size_t c = g.index(ky, kx);
      if (!(g.weight[c] > 0)) continue;
      if (!std::isfinite(g.mean[c].real()) || !std::isfinite(g.mean[c].imag()) || !std::isfinite(g.variance[c]))
        throw DataError(fmt::format("convolved likelihood: gridded cell ({}, {}) holds a non-finite value", kx, ky));
      ++occupied_;
      pyr[c] = g.mean[c].real();
      pyi[c] = g.mean[c].imag();
      pv[c] = g.variance[c];
      bool self = g.self_conjugate(ky, kx);
      phr[c] = self ? 1.0 : 0.5;
      phi[c] = self ? 0.0 : 0.5;
    }
  if (occupied_ == 0) throw DataError("convolved likelihood: no gridded cell holds data");
  // The 2×2 per-cell blocks of A Aᵀ.
  auto d = window_sum(n_, m_);
  blocks_ = torch::zeros({3, M, M}, f64);
  auto* pb = blocks_.data_ptr<double>();
  double npix = static_cast<double>(n_) * n_;
  for (int ky = 0; ky < m_; ++ky)
    for (int kx = 0; kx < m_; ++kx) {
      std::complex<double> dk = d[static_cast<std::size_t>(ky)] * d[static_cast<std::size_t>(kx)];
      std::size_t c = static_cast<std::size_t>(ky) * m_ + kx;
      pb[c] = 0.5 * (npix + dk.real());
      pb[M * M + c] = 0.5 * (npix - dk.real());
      pb[2 * M * M + c] = 0.5 * dk.imag();
    }
  // Half spectrum (rfft2 layout): columns 0..M/2. Columns with a partner column
  // in the dropped half count twice in the energy.
  const std::int64_t mh = M / 2 + 1;
  auto half = [&](const at::Tensor& t) { return t.narrow(-1, 0, mh).contiguous(); };
  auto mult = torch::full({mh}, 2.0, f64);
  mult[0] = 1.0;
  if (M % 2 == 0) mult[mh - 1] = 1.0;
  auto opt = torch::TensorOptions().dtype(dtype);
  y_ = torch::complex(half(y_re), half(y_im)).to(opt.dtype(c10::toComplexType(dtype)));
  var_ = half(var).to(opt);
  half_re_ = half(h_re).to(opt);
  half_im_ = half(h_im).to(opt);
  c_re_ = half(blocks_[0]).to(opt);
  c_im_ = half(blocks_[1]).to(opt);
  c_ri_ = half(blocks_[2]).to(opt);
  self_ = half(h_re) == 1.0;
  e_re_ = (half(h_re) * mult / half(var)).to(opt);
  e_im_ = (half(h_im) * mult / half(var)).to(opt);
}

at::Tensor ConvolvedGriddedLikelihood::apply(const at::Tensor& x) const {
  if (x.dim() != 3 || x.size(1) != n_ || x.size(2) != n_)
    throw UsageError(fmt::format("convolved likelihood: expected images [B, {0}, {0}], got {1}", n_,
                                 fmt::join(x.sizes(), "x")));
  auto pad = torch::zeros({x.size(0), m_, m_}, x.options());
  using torch::indexing::Slice;
  pad.index_put_({Slice(), Slice(0, n_), Slice(0, n_)}, x);
  // Pixel p sits at index p − N/2 (mod M): the phase centre at 0.
  pad = torch::roll(pad, {-(n_ / 2), -(n_ / 2)}, {1, 2});
  return torch::fft::fft2(pad);
}

at::Tensor ConvolvedGriddedLikelihood::adjoint(const at::Tensor& g) const {
  // Σ_k g_k e^{+2πi k·j/M}: the inverse FFT without its 1/M² ("forward" normalisation).
  auto img = torch::real(torch::fft::ifft2(g, c10::nullopt, {-2, -1}, "forward"));
  img = torch::roll(img, {n_ / 2, n_ / 2}, {1, 2});
  using torch::indexing::Slice;
  return img.index({Slice(), Slice(0, n_), Slice(0, n_)}).contiguous();
}

at::Tensor ConvolvedGriddedLikelihood::apply_half(const at::Tensor& x) const {
  // Pixel p goes to index p − N/2 (mod M), placed by quadrants: no roll, no full-size copy.
  const std::int64_t n = n_, m = m_, h = n_ / 2;
  auto pad = torch::zeros({x.size(0), m, m}, x.options());
  auto put = [&](std::int64_t py, std::int64_t jy, std::int64_t ly, std::int64_t px, std::int64_t jx, std::int64_t lx) {
    pad.narrow(1, jy, ly).narrow(2, jx, lx).copy_(x.narrow(1, py, ly).narrow(2, px, lx));
  };
  put(0, m - h, h, 0, m - h, h);
  put(0, m - h, h, h, 0, n - h);
  put(h, 0, n - h, 0, m - h, h);
  put(h, 0, n - h, h, 0, n - h);
  return torch::fft::rfft2(pad);
}

at::Tensor ConvolvedGriddedLikelihood::adjoint_half(const at::Tensor& g) const {
  // Σ_k g_k e^{+2πi k·j/M} over the Hermitian extension: irfft2 without its 1/M².
  auto img = torch::fft::irfft2(g, std::vector<std::int64_t>{m_, m_}, {-2, -1}, "forward");
  const std::int64_t n = n_, m = m_, h = n_ / 2;
  auto out = torch::empty({g.size(0), n, n}, img.options());
  auto get = [&](std::int64_t py, std::int64_t jy, std::int64_t ly, std::int64_t px, std::int64_t jx, std::int64_t lx) {
    out.narrow(1, py, ly).narrow(2, px, lx).copy_(img.narrow(1, jy, ly).narrow(2, jx, lx));
  };
  get(0, m - h, h, 0, m - h, h);
  get(0, m - h, h, h, 0, n - h);
  get(h, 0, n - h, 0, m - h, h);
  get(h, 0, n - h, h, 0, n - h);
  return out;
}

std::pair<at::Tensor, at::Tensor> ConvolvedGriddedLikelihood::solve_coefficients(const at::Tensor& sigma) const {
  auto s = sigma.to(var_.scalar_type());
  // The samplers pass one σ for every chain: solve once, broadcast over the batch.
  if (s.numel() > 1 && (s == s[0]).all().item<bool>()) s = s.narrow(0, 0, 1);
  auto s2 = (s * units_.scale).pow(2).view({-1, 1, 1});
  // Per-cell 2×2 solve of (v I + σ² C) g = r, times the cell's weight f_c:
  //   g_re = P r_re − Q r_im,  g_im = S r_im − T r_re;
  // self-conjugate cells carry Re only: g_re = r_re / a.
  auto a = var_ + s2 * c_re_;
  auto b = var_ + s2 * c_im_;
  auto c = s2 * c_ri_;
  auto inv_det = 1.0 / (a * b - c * c);
  auto p = torch::where(self_, 1.0 / a, half_re_ * b * inv_det);
  auto q = torch::where(self_, torch::zeros_like(c), half_re_ * c * inv_det);
  auto sm = half_im_ * a * inv_det;
  auto t = half_im_ * c * inv_det;
  // In complex form g = α r + β conj(r).
  auto alpha = torch::complex(0.5 * (p + sm), 0.5 * (q - t));
  auto beta = torch::complex(0.5 * (p - sm), -0.5 * (q + t));
  return {alpha, beta};
}

at::Tensor ConvolvedGriddedLikelihood::score(const at::Tensor& x, const at::Tensor& sigma) const {
  auto xp = units_.scale == 1.0 && units_.offset == 0.0 ? x : x * units_.scale + units_.offset;
  auto r = y_ - apply_half(xp.to(var_.scalar_type()));
  auto [alpha, beta] = solve_coefficients(sigma);
  auto g = alpha * r + beta * r.conj();
  auto out = adjoint_half(g);
  if (units_.scale != 1.0) out.mul_(units_.scale);
  return out.to(x.scalar_type());
}

at::Tensor ConvolvedGriddedLikelihood::energy(const at::Tensor& x) const {
  auto xp = units_.scale == 1.0 && units_.offset == 0.0 ? x : x * units_.scale + units_.offset;
  auto r = y_ - apply_half(xp.to(var_.scalar_type()));
  auto e = e_re_ * torch::real(r).pow(2) + e_im_ * torch::imag(r).pow(2);
  return (0.5 * e.to(torch::kFloat64).sum({1, 2})).to(x.scalar_type());
}

}  // namespace penumbra
