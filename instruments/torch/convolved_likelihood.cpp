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

// The per-cell 2×2 blocks of A Aᵀ on the M×M grid, float64 [3, M, M]: Var Re, Var Im, Cov.
at::Tensor aat_blocks_of(int n, int m) {
  const std::int64_t M = m;
  auto d = window_sum(n, m);
  auto blocks = torch::zeros({3, M, M}, torch::TensorOptions().dtype(torch::kFloat64));
  auto* pb = blocks.data_ptr<double>();
  double npix = static_cast<double>(n) * n;
  for (int ky = 0; ky < m; ++ky)
    for (int kx = 0; kx < m; ++kx) {
      std::complex<double> dk = d[static_cast<std::size_t>(ky)] * d[static_cast<std::size_t>(kx)];
      std::size_t c = static_cast<std::size_t>(ky) * m + kx;
      pb[c] = 0.5 * (npix + dk.real());
      pb[M * M + c] = 0.5 * (npix - dk.real());
      pb[2 * M * M + c] = 0.5 * dk.imag();
    }
  return blocks;
}

}  // namespace

// The occupied cells of the full M×M grid, FFT order: data, variance and the
// weights f_c of Re and Im (the grid holds each measurement twice, at k and at
// −k, so ½ each; self-conjugate cells carry only Re).
struct ConvolvedGriddedLikelihood::FullGrid {
  std::vector<double> y_re, y_im, var, f_re, f_im;
};

ConvolvedGriddedLikelihood::FullGrid ConvolvedGriddedLikelihood::read_cells(const GriddedVisibilities& g) {
  const std::size_t ncell = static_cast<std::size_t>(m_) * m_;
  FullGrid full{std::vector<double>(ncell, 0.0), std::vector<double>(ncell, 0.0), std::vector<double>(ncell, 1.0),
                std::vector<double>(ncell, 0.0), std::vector<double>(ncell, 0.0)};
  for (int ky = 0; ky < m_; ++ky)
    for (int kx = 0; kx < m_; ++kx) {
      std::size_t c = g.index(ky, kx);
      if (!(g.weight[c] > 0)) continue;
      if (!std::isfinite(g.mean[c].real()) || !std::isfinite(g.mean[c].imag()) || !std::isfinite(g.variance[c]))
        throw DataError(fmt::format("convolved likelihood: gridded cell ({}, {}) holds a non-finite value", kx, ky));
      ++occupied_;
      full.y_re[c] = g.mean[c].real();
      full.y_im[c] = g.mean[c].imag();
      full.var[c] = g.variance[c];
      bool self = g.self_conjugate(ky, kx);
      full.f_re[c] = self ? 1.0 : 0.5;
      full.f_im[c] = self ? 0.0 : 0.5;
    }
  if (occupied_ == 0) throw DataError("convolved likelihood: no gridded cell holds data");
  return full;
}

// Half spectrum (rfft layout): columns 0..M/2. Columns with a partner column
// in the dropped half count twice in the energy.
void ConvolvedGriddedLikelihood::build_half_spectrum(const FullGrid& full, at::ScalarType dtype) {
  const std::int64_t M = m_, mh = M / 2 + 1;
  mh_ = mh;
  const long h = n_ / 2;
  const double* pb = blocks_.data_ptr<double>();
  auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  auto ey_re = torch::zeros({M, mh}, f64), ey_im = torch::zeros({M, mh}, f64);
  auto er = torch::zeros({M, mh}, f64), ei = torch::zeros({M, mh}, f64);
  auto* p_yr = ey_re.data_ptr<double>();
  auto* p_yi = ey_im.data_ptr<double>();
  auto* p_er = er.data_ptr<double>();
  auto* p_ei = ei.data_ptr<double>();
  for (int ky = 0; ky < m_; ++ky)
    for (int kx = 0; kx < mh; ++kx) {
      std::size_t c = static_cast<std::size_t>(ky) * m_ + kx;
      if (!(full.f_re[c] > 0)) {
        empty_.push_back(static_cast<std::int64_t>(ky) * mh + kx);
        continue;
      }
      double mult = (kx == 0 || (m_ % 2 == 0 && kx == m_ / 2)) ? 1.0 : 2.0;
      // φ = 2π(kx + ky)·h/M, reduced exactly in integers first.
      long t = (static_cast<long>(kx + ky) * h) % m_;
      double ang = 2 * M_PI * static_cast<double>(t) / m_;
      Cell cell;
      cell.index = static_cast<std::int64_t>(ky) * mh + kx;
      cell.var = full.var[c];
      cell.c_re = pb[c];
      cell.c_im = pb[M * M + c];
      cell.c_ri = pb[2 * M * M + c];
      cell.f_re = full.f_re[c];
      cell.f_im = full.f_im[c];
      cell.cos_phi = std::cos(ang);
      cell.sin_phi = std::sin(ang);
      // y' = e^{−iφ} y
      cell.y_re = cell.cos_phi * full.y_re[c] + cell.sin_phi * full.y_im[c];
      cell.y_im = cell.cos_phi * full.y_im[c] - cell.sin_phi * full.y_re[c];
      cells_.push_back(cell);
      cell_index_.push_back(cell.index);
      p_yr[cell.index] = cell.y_re;
      p_yi[cell.index] = cell.y_im;
      p_er[cell.index] = mult * full.f_re[c] / full.var[c];
      p_ei[cell.index] = mult * full.f_im[c] / full.var[c];
    }
  auto opt = torch::TensorOptions().dtype(dtype);
  y_ = torch::complex(ey_re, ey_im).to(opt.dtype(c10::toComplexType(dtype)));
  e_re_ = er.to(opt);
  e_im_ = ei.to(opt);
}

ConvolvedGriddedLikelihood::ConvolvedGriddedLikelihood(const GriddedVisibilities& g, int image_size, PixelUnits units,
                                                       at::ScalarType dtype)
    : n_(image_size), m_(g.nx), units_(units) {
  if (!(units.scale > 0)) throw UsageError("convolved likelihood: pixel unit scale must be > 0");
  if (g.nx != g.ny) throw UsageError(fmt::format("convolved likelihood: square grids only, got {}x{}", g.nx, g.ny));
  if (n_ < 2 || m_ < n_ || (m_ - n_) % 2 != 0)
    throw UsageError(fmt::format("convolved likelihood: padded grid {} must be >= image size {} with an even "
                                 "difference",
                                 m_, n_));
  const FullGrid full = read_cells(g);
  blocks_ = aat_blocks_of(n_, m_);
  build_half_spectrum(full, dtype);
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

at::Tensor ConvolvedGriddedLikelihood::forward_plain(const at::Tensor& x) const {
  if (x.dim() != 3 || x.size(1) != n_ || x.size(2) != n_)
    throw UsageError(fmt::format("convolved likelihood: expected images [B, {0}, {0}], got {1}", n_,
                                 fmt::join(x.sizes(), "x")));
  // Rows first (the image's N rows, zero-padded to M by the transform), then the
  // columns: the padded image's M − N zero rows are never transformed.
  return torch::fft::fft(torch::fft::rfft(x, m_, -1), m_, 1).contiguous();
}

at::Tensor ConvolvedGriddedLikelihood::adjoint_plain(const at::Tensor& g) const {
  // Σ_k g_k e^{+2πi k·j/M} over the Hermitian extension (no 1/M²), only for the
  // N rows and columns of the image window.
  auto rows = torch::fft::ifft(g, c10::nullopt, 1, "forward").narrow(1, 0, n_);
  return torch::fft::irfft(rows, m_, -1, "forward").narrow(2, 0, n_).contiguous();
}

namespace {

// g' = K (y' − F) per cell of chain b, with K the cell's 2×2 real map, in
// place; cells without data get 0.
template <typename T>
void solve_cells(T* f, std::int64_t batch_stride, const std::vector<std::int64_t>& index,
                 const std::vector<std::int64_t>& empty, const std::vector<T>& k, const std::vector<T>& c0,
                 std::int64_t b) {
  T* fb = f + 2 * b * batch_stride;
  for (auto e : empty) fb[2 * e] = fb[2 * e + 1] = 0;
  const std::size_t nc = index.size();
  for (std::size_t i = 0; i < nc; ++i) {
    T* z = fb + 2 * index[i];
    const T* ki = &k[4 * i];
    T fr = z[0], fi = z[1];
    z[0] = c0[2 * i] - (ki[0] * fr + ki[1] * fi);
    z[1] = c0[2 * i + 1] - (ki[2] * fr + ki[3] * fi);
  }
}

}  // namespace

void ConvolvedGriddedLikelihood::solve_in_place(at::Tensor& f, const at::Tensor& sigma) const {
  auto sig = sigma.to(torch::kFloat64).cpu().contiguous();
  const double* sp = sig.data_ptr<double>();
  const std::int64_t batch = f.size(0), stride = static_cast<std::int64_t>(m_) * mh_;
  auto run = [&](auto* data, auto tag) {
    using T = decltype(tag);
    std::vector<T> k(4 * cells_.size()), c0(2 * cells_.size());
    auto fill = [&](double s) {
      double s2 = std::pow(s * units_.scale, 2);
      for (std::size_t i = 0; i < cells_.size(); ++i) {
        const Cell& c = cells_[i];
        // G: the weighted 2×2 solve of (v I + σ² C) g = r (self-conjugate cells: Re only).
        double a = c.var + s2 * c.c_re, bb = c.var + s2 * c.c_im, cc = s2 * c.c_ri;
        double g11, g12, g21, g22;
        if (c.f_im == 0) {
          g11 = c.f_re / a;
          g12 = g21 = g22 = 0;
        } else {
          double inv = 1.0 / (a * bb - cc * cc);
          g11 = c.f_re * bb * inv;
          g12 = -c.f_re * cc * inv;
          g21 = -c.f_im * cc * inv;
          g22 = c.f_im * a * inv;
        }
        // K = R(−φ) G R(φ), R(φ) the rotation by e^{iφ} on (Re, Im).
        double co = c.cos_phi, si = c.sin_phi;
        double m11 = g11 * co + g12 * si, m12 = -g11 * si + g12 * co;  // G R(φ)
        double m21 = g21 * co + g22 * si, m22 = -g21 * si + g22 * co;
        double k11 = co * m11 + si * m21, k12 = co * m12 + si * m22;   // R(−φ) · (G R(φ))
        double k21 = -si * m11 + co * m21, k22 = -si * m12 + co * m22;
        k[4 * i] = static_cast<T>(k11);
        k[4 * i + 1] = static_cast<T>(k12);
        k[4 * i + 2] = static_cast<T>(k21);
        k[4 * i + 3] = static_cast<T>(k22);
        c0[2 * i] = static_cast<T>(k11 * c.y_re + k12 * c.y_im);
        c0[2 * i + 1] = static_cast<T>(k21 * c.y_re + k22 * c.y_im);
      }
    };
    double filled = std::nan("");
    for (std::int64_t b = 0; b < batch; ++b) {
      double s = sp[sig.numel() == 1 ? 0 : b];
      if (!(s == filled)) {  // the samplers pass one σ for every chain: fill once
        fill(s);
        filled = s;
      }
      solve_cells(data, stride, cell_index_, empty_, k, c0, b);
    }
  };
  if (f.scalar_type() == torch::kComplexFloat) run(reinterpret_cast<float*>(f.data_ptr()), float{});
  else if (f.scalar_type() == torch::kComplexDouble) run(reinterpret_cast<double*>(f.data_ptr()), double{});
  else throw InternalError("convolved likelihood: unsupported dtype");
}

at::Tensor ConvolvedGriddedLikelihood::score(const at::Tensor& x, const at::Tensor& sigma) const {
  auto xp = units_.scale == 1.0 && units_.offset == 0.0 ? x : x * units_.scale + units_.offset;
  auto f = forward_plain(xp.to(e_re_.scalar_type()));
  solve_in_place(f, sigma);
  auto out = adjoint_plain(f);
  if (units_.scale != 1.0) out.mul_(units_.scale);
  return out.to(x.scalar_type());
}

at::Tensor ConvolvedGriddedLikelihood::energy(const at::Tensor& x) const {
  // |r'| per component equals |r| where it matters: f_re = f_im off the
  // self-conjugate cells, and e^{iφ} = ±1 on them.
  auto xp = units_.scale == 1.0 && units_.offset == 0.0 ? x : x * units_.scale + units_.offset;
  auto r = y_ - forward_plain(xp.to(e_re_.scalar_type()));
  auto e = e_re_ * torch::real(r).pow(2) + e_im_ * torch::imag(r).pow(2);
  return (0.5 * e.to(torch::kFloat64).sum({1, 2})).to(x.scalar_type());
}

}  // namespace penumbra
