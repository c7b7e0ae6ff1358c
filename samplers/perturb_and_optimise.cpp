#include "samplers/perturb_and_optimise.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "src/core/errors.hpp"

namespace penumbra {

namespace {
at::Tensor chain_dot(const at::Tensor& a, const at::Tensor& b) { return (a * b).flatten(1).sum(1).view({-1, 1, 1}); }
}  // namespace

void ConjugateGradientOptions::validate() const {
  if (max_iterations < 1 || !(tolerance > 0) || circulant_pad < 0)
    throw UsageError(fmt::format("conjugate gradients: need max_iterations >= 1, tolerance > 0 and circulant_pad >= 0, "
                                 "got {}, {} and {}",
                                 max_iterations, tolerance, circulant_pad));
}

std::string ConjugateGradientOptions::describe() const {
  return fmt::format("cg<={} tol={:g}", max_iterations, tolerance);
}

PerturbAndOptimise::PerturbAndOptimise(const Likelihood& exact, std::int64_t height, std::int64_t width,
                                       const ConjugateGradientOptions& o)
    : exact_(exact), height_(height), width_(width), options_(o) {
  if (!exact.can_perturb_data())
    throw UsageError(fmt::format("an exact draw needs an exact likelihood; {} cannot redraw its data noise",
                                 exact.name()));
  if (height < 1 || width < 1)
    throw UsageError(fmt::format("perturb-and-optimise: image size must be positive, got {} x {}", height, width));
  o.validate();
  const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  score_at_zero_ = exact.score(torch::zeros({1, height, width}, f64), torch::zeros({1}, f64));
  // H's diagonal from one column: every pixel's is Σ_k w_k·scale² for a Fourier operator.
  auto e = torch::zeros({1, height, width}, f64);
  e[0][height / 2][width / 2] = 1.0;
  hessian_diagonal_ = std::max(
      0.0, (score_at_zero_ - exact.score(e, torch::zeros({1}, f64)))[0][height / 2][width / 2].item<double>());
  if (o.circulant_pad > 0) {
    pad_ = o.circulant_pad * std::max(height, width);
    circulant_ = exact.circulant_hessian(static_cast<int>(pad_));
  }
}

at::Tensor PerturbAndOptimise::draw(const at::Tensor& mean, const at::Tensor& variance, at::Generator& gen,
                                    ConjugateGradientInfo* info, const at::Tensor& start) const {
  const auto& o = options_;
  const auto H = height_, W = width_, pad = pad_;
  if (mean.dim() != 3 || mean.size(1) != H || mean.size(2) != W)
    throw UsageError(fmt::format("perturb-and-optimise: mean must be [B, {}, {}], got {}", H, W,
                                 fmt::join(mean.sizes(), " x ")));
  const auto B = mean.size(0);
  const auto f64 = mean.options().dtype(torch::kFloat64);
  auto m = mean.to(torch::kFloat64);
  auto v = variance.to(torch::kFloat64).expand_as(m);
  auto p_diag = 1.0 / v;

  // H u = ∇²(−log p) u = s(0) − s(u): the exact score is affine in x.
  auto zero_sigma = torch::zeros({B}, f64);
  auto hess = [&](const at::Tensor& u) { return score_at_zero_ - exact_.score(u, zero_sigma); };

  auto xi = at::normal(0.0, 1.0, {B, H, W}, gen, f64);
  auto b = p_diag * (m + v.sqrt() * xi) + exact_.perturbed_score(torch::zeros({B, H, W}, f64), gen).to(torch::kFloat64);
  // Preconditioner M⁻¹ r.
  std::function<at::Tensor(const at::Tensor&)> precondition;
  if (variance.numel() == 1 && circulant_.defined()) {
    // The circulant is symmetric (λ(−f) = λ(f)), so real FFTs suffice.
    auto inv_spectrum = (1.0 / (1.0 / variance.to(torch::kFloat64).reshape({1, 1, 1}) + circulant_.unsqueeze(0)))
                            .slice(2, 0, pad / 2 + 1)
                            .contiguous();
    precondition = [inv_spectrum, pad, H, W](const at::Tensor& r) {
      auto padded = torch::constant_pad_nd(r, {0, pad - W, 0, pad - H});
      return torch::fft::irfft2(torch::fft::rfft2(padded) * inv_spectrum, {{pad, pad}})
          .slice(1, 0, H)
          .slice(2, 0, W)
          .contiguous();
    };
  } else {
    auto m_inv = 1.0 / (p_diag + hessian_diagonal_);
    precondition = [m_inv](const at::Tensor& r) { return m_inv * r; };
  }

  auto xk = start.defined() ? start.to(torch::kFloat64).clone() : m.clone();
  auto r = b - (p_diag * xk + hess(xk));
  auto z = precondition(r);
  auto dir = z.clone();
  auto rz = chain_dot(r, z);
  // The error e = A⁻¹r in the energy norm, √(eᵀAe) = √(rᵀA⁻¹r) ≈ √(rᵀM⁻¹r): the draw's
  // error in units of the conditional's own standard deviation, summed over its
  // eigen-directions; per pixel (÷ √(H·W)) and worst chain.
  const double pixels = static_cast<double>(H * W);
  auto error_norm = [&] { return std::sqrt(rz.clamp_min(0).max().item<double>() / pixels); };
  double err = error_norm();
  std::int64_t it = 0;
  while (err > o.tolerance && it < o.max_iterations) {
    auto ad = p_diag * dir + hess(dir);
    auto alpha = rz / chain_dot(dir, ad).clamp_min(1e-300);
    xk = xk + alpha * dir;
    r = r - alpha * ad;
    ++it;
    z = precondition(r);
    auto rz_next = chain_dot(r, z);
    dir = z + (rz_next / rz.clamp_min(1e-300)) * dir;
    rz = rz_next;
    err = error_norm();
  }
  if (!torch::isfinite(xk).all().item<bool>())
    throw InternalError(fmt::format("exact draw: non-finite values after {} CG iterations", it));
  if (info) {
    info->iterations = it;
    info->error_norm = err;
  }
  return xk;
}

at::Tensor gaussian_likelihood_draw(const Likelihood& exact, const at::Tensor& mean, const at::Tensor& variance,
                                    const ConjugateGradientOptions& options, at::Generator& gen,
                                    ConjugateGradientInfo* info, const at::Tensor& start) {
  if (mean.dim() != 3) throw UsageError("gaussian_likelihood_draw: mean must be [B, H, W]");
  return PerturbAndOptimise(exact, mean.size(1), mean.size(2), options).draw(mean, variance, gen, info, start);
}

}  // namespace penumbra
