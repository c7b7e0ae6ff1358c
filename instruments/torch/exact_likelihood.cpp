#include "instruments/torch/exact_likelihood.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <span>
#include <vector>

#include "instruments/nufft.hpp"
#include "instruments/torch/nufft_operator.hpp"
#include "src/core/errors.hpp"

namespace penumbra {

namespace {

void check_units(const PixelUnits& u) {
  if (!(u.scale > 0) || !std::isfinite(u.scale) || !std::isfinite(u.offset))
    throw UsageError(fmt::format("likelihood: pixel unit scale must be finite and > 0, got {} (offset {})", u.scale,
                                 u.offset));
}

at::Tensor physical(const at::Tensor& x, const PixelUnits& u) {
  if (u.scale == 1.0 && u.offset == 0.0) return x;
  return x * u.scale + u.offset;
}

}  // namespace

// ---------------------------------------------------------------- NUFFT

NufftLikelihood::NufftLikelihood(std::shared_ptr<const NufftOperator> op, const VisibilitySet& vis, PixelUnits units)
    : op_(std::move(op)), u_(vis.u), v_(vis.v), units_(units) {
  check_units(units);
  vis.validate("nufft likelihood");
  if (!op_ || op_->nvis() != static_cast<std::int64_t>(vis.size()))
    throw UsageError(fmt::format("nufft likelihood: operator has {} visibilities, data {}", op_ ? op_->nvis() : 0,
                                 vis.size()));
  auto n = static_cast<std::int64_t>(vis.size());
  y_ = torch::empty({n}, torch::kComplexDouble);
  w_ = torch::empty({n}, torch::kFloat64);
  auto* yp = y_.data_ptr<c10::complex<double>>();
  auto* wp = w_.data_ptr<double>();
  for (std::int64_t k = 0; k < n; ++k) {
    yp[k] = c10::complex<double>(vis.vis[k].real(), vis.vis[k].imag());
    wp[k] = vis.weight[k];
  }
}

std::int64_t NufftLikelihood::nvis() const { return y_.size(0); }

at::Tensor NufftLikelihood::model(const at::Tensor& x) const { return op_->apply(physical(x, units_).contiguous()); }

void NufftLikelihood::build_toeplitz() const {
  std::call_once(toeplitz_once_, [this] {
    const auto& g = op_->grid();
    // The kernel at every pixel offset (dx, dy) ∈ [−nx, nx) × [−ny, ny): the adjoint of
    // the weights on a grid of twice the size, whose pixel (nx + dx, ny + dy) sits at
    // offset (dx, dy) from its centre.
    ImageGrid big = g;
    big.nx = 2 * g.nx;
    big.ny = 2 * g.ny;
    NufftPlan<double> plan(u_, v_, big, 1e-10);
    std::vector<std::complex<double>> wv(u_.size());
    const auto* wp = w_.data_ptr<double>();
    for (std::size_t k = 0; k < wv.size(); ++k) wv[k] = wp[k];
    auto kernel = torch::empty({big.ny, big.nx}, torch::kFloat64);
    plan.grid(wv, std::span<double>(kernel.data_ptr<double>(), big.size()));
    // Offsets ±nx, ±ny never occur between two pixels of the image: zero them so the
    // embedded kernel is exactly even and its spectrum real.
    kernel.select(0, 0).zero_();
    kernel.select(1, 0).zero_();
    auto c = torch::roll(kernel, {-g.ny, -g.nx}, {0, 1});  // offset 0 at index [0, 0]
    toeplitz_spectrum_ = torch::real(torch::fft::rfft2(c)).contiguous();
    dirty_ = op_->adjoint(y_ * w_);
  });
}

at::Tensor NufftLikelihood::normal_operator(const at::Tensor& u) const {
  build_toeplitz();
  const auto& g = op_->grid();
  auto padded = torch::constant_pad_nd(u, {0, g.nx, 0, g.ny});
  auto spec = toeplitz_spectrum_.to(u.scalar_type());
  return torch::fft::irfft2(torch::fft::rfft2(padded) * spec, {{2 * g.ny, 2 * g.nx}})
      .slice(-2, 0, g.ny)
      .slice(-1, 0, g.nx);
}

at::Tensor NufftLikelihood::score(const at::Tensor& x, const at::Tensor&) const {
  build_toeplitz();
  return (dirty_.to(x.scalar_type()) - normal_operator(physical(x, units_))) * units_.scale;
}

at::Tensor NufftLikelihood::circulant_hessian(int padded) const {
  const auto& g = op_->grid();
  if (padded < std::max(g.nx, g.ny))
    throw UsageError(fmt::format("circulant hessian: padded grid {} smaller than the image {}x{}", padded, g.nx, g.ny));
  auto lam = torch::zeros({padded, padded}, torch::kFloat64);
  auto* lp = lam.data_ptr<double>();
  const auto* wp = w_.data_ptr<double>();
  auto wrap = [padded](double f) {
    auto i = static_cast<std::int64_t>(std::llround(f)) % padded;
    return i < 0 ? i + padded : i;
  };
  const double cycles = g.cell * padded;  // cycles across the padded grid per wavelength
  for (std::size_t k = 0; k < u_.size(); ++k) {
    // l = −(x − nx/2)·cell, m = +(y − ny/2)·cell (src/core/image_grid.hpp): u runs against x.
    auto ix = wrap(-u_[k] * cycles), iy = wrap(v_[k] * cycles);
    lp[iy * padded + ix] += 0.5 * wp[k];
    lp[wrap(-static_cast<double>(iy)) * padded + wrap(-static_cast<double>(ix))] += 0.5 * wp[k];
  }
  return lam * (units_.scale * units_.scale * static_cast<double>(padded) * padded);
}

at::Tensor NufftLikelihood::perturbed_score(const at::Tensor& x, at::Generator& gen) const {
  auto real_dt = x.scalar_type();
  auto cdt = real_dt == torch::kFloat64 ? torch::kComplexDouble : torch::kComplexFloat;
  std::vector<std::int64_t> shape(x.sizes().begin(), x.sizes().end() - 2);
  shape.push_back(nvis());
  // n_k: Re and Im each N(0, 1/w_k), independent per chain; the score of y + n is
  // the score of y plus scale · Re AᴴW n.
  auto sd = torch::where(w_ > 0, w_.rsqrt(), torch::zeros_like(w_)).to(real_dt);  // zero-weight rows: no noise
  auto n = torch::complex(at::normal(0.0, 1.0, shape, gen, x.options()) * sd,
                          at::normal(0.0, 1.0, shape, gen, x.options()) * sd);
  return score(x, {}) + op_->adjoint((n * w_.to(real_dt)).to(cdt)) * units_.scale;
}

at::Tensor NufftLikelihood::energy(const at::Tensor& x) const {
  auto m = model(x);
  auto r = y_.to(m.scalar_type()) - m;
  return (0.5 * (torch::abs(r).pow(2).to(torch::kFloat64) * w_).sum(1)).to(x.scalar_type());
}

// ---------------------------------------------------------------- dense

DenseGaussianLikelihood::DenseGaussianLikelihood(const at::Tensor& a, const at::Tensor& y, const at::Tensor& w,
                                                 int height, int width, Mode mode, PixelUnits units)
    : h_(height), w_(width), mode_(mode), units_(units) {
  check_units(units);
  if (a.dim() != 2 || a.size(1) != static_cast<std::int64_t>(height) * width)
    throw UsageError(fmt::format("dense likelihood: operator must be [m, {}] for {}x{} images", height * width, height,
                                 width));
  std::int64_t m = a.size(0);
  if (y.numel() != m || w.numel() != m)
    throw UsageError(fmt::format("dense likelihood: {} rows but {} data and {} weights", m, y.numel(), w.numel()));
  auto ac = a.to(torch::kComplexDouble);
  auto yc = y.to(torch::kComplexDouble).flatten();
  auto wd = w.to(torch::kFloat64).flatten();
  if (!torch::isfinite(torch::view_as_real(yc)).all().item<bool>())
    throw DataError("dense likelihood: data contain non-finite values");
  if (!(wd > 0).all().item<bool>() || !torch::isfinite(wd).all().item<bool>())
    throw DataError("dense likelihood: weights must be finite and > 0");
  ar_ = torch::cat({torch::real(ac), torch::imag(ac)}, 0).contiguous();
  yr_ = torch::cat({torch::real(yc), torch::imag(yc)}, 0).contiguous();
  var_ = torch::cat({1.0 / wd, 1.0 / wd}, 0).contiguous();
}

at::Tensor DenseGaussianLikelihood::score(const at::Tensor& x, const at::Tensor& sigma) const {
  if (x.dim() != 3 || x.size(1) != h_ || x.size(2) != w_)
    throw UsageError(fmt::format("dense likelihood: expected images [B, {}, {}]", h_, w_));
  auto xp = physical(x.to(torch::kFloat64), units_).flatten(1);      // [B, n]
  auto r = yr_.unsqueeze(0) - torch::matmul(xp, ar_.t());           // [B, 2m]
  at::Tensor g;
  auto sig = sigma.to(torch::kFloat64).cpu().contiguous();
  if (mode_ == Mode::kExact || (sig == 0).all().item<bool>()) {
    g = r / var_.unsqueeze(0);
  } else {
    // Group chains by σ (they usually share it) and solve once per value.
    g = torch::empty_like(r);
    std::map<double, std::vector<std::int64_t>> groups;
    const double* sp = sig.data_ptr<double>();
    for (std::int64_t b = 0; b < sig.numel(); ++b) groups[sp[b]].push_back(b);
    auto aat = torch::matmul(ar_, ar_.t());
    for (auto& [s, idx] : groups) {
      double sp2 = std::pow(s * units_.scale, 2);
      auto k = torch::diag(var_) + sp2 * aat;
      auto l = torch::linalg_cholesky(k);
      auto ix = torch::tensor(idx, torch::kLong);
      auto rb = r.index_select(0, ix).t();                             // [2m, nb]
      auto sol = torch::cholesky_solve(rb, l).t();
      g.index_copy_(0, ix, sol);
    }
  }
  auto out = torch::matmul(g, ar_) * units_.scale;                   // Aᵀ g, [B, n]
  return out.view({-1, h_, w_}).to(x.scalar_type());
}

at::Tensor DenseGaussianLikelihood::perturbed_score(const at::Tensor& x, at::Generator& gen) const {
  if (mode_ != Mode::kExact) return Likelihood::perturbed_score(x, gen);
  auto xp = physical(x.to(torch::kFloat64), units_).flatten(1);
  auto noise = at::normal(0.0, 1.0, {xp.size(0), yr_.size(0)}, gen, xp.options()) * var_.sqrt().unsqueeze(0);
  auto r = yr_.unsqueeze(0) + noise - torch::matmul(xp, ar_.t());
  auto out = torch::matmul(r / var_.unsqueeze(0), ar_) * units_.scale;
  return out.view({-1, h_, w_}).to(x.scalar_type());
}

at::Tensor DenseGaussianLikelihood::energy(const at::Tensor& x) const {
  auto xp = physical(x.to(torch::kFloat64), units_).flatten(1);
  auto r = yr_.unsqueeze(0) - torch::matmul(xp, ar_.t());
  return (0.5 * (r.pow(2) / var_.unsqueeze(0)).sum(1)).to(x.scalar_type());
}

at::Tensor dft_matrix(const std::vector<double>& u, const std::vector<double>& v, const ImageGrid& grid) {
  grid.validate();
  if (u.size() != v.size()) throw UsageError("dft_matrix: u and v differ in length");
  auto a = torch::empty({static_cast<std::int64_t>(u.size()), static_cast<std::int64_t>(grid.size())},
                        torch::kComplexDouble);
  auto* p = a.data_ptr<c10::complex<double>>();
  for (std::size_t k = 0; k < u.size(); ++k)
    for (int y = 0; y < grid.ny; ++y)
      for (int x = 0; x < grid.nx; ++x) {
        double turns = u[k] * grid.l(x) + v[k] * grid.m(y);
        turns -= std::round(turns);  // reduce modulo one turn before the exponential
        double ph = -2 * M_PI * turns;
        p[k * grid.size() + static_cast<std::size_t>(y) * grid.nx + x] = c10::complex<double>(std::cos(ph), std::sin(ph));
      }
  return a;
}

}  // namespace penumbra
