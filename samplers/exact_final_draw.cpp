#include "samplers/exact_final_draw.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>

#include "samplers/diffusion_samplers.hpp"
#include "src/core/errors.hpp"

namespace penumbra {

void ExactFinalDrawOptions::validate() const {
  if (probes < 1) throw UsageError(fmt::format("--final-probes must be >= 1, got {}", probes));
  if (!(min_spread > 0 && min_spread <= 1))
    throw UsageError(fmt::format("exact final draw: min_spread must be in (0, 1], got {}", min_spread));
  if (max_iterations < 1) throw UsageError(fmt::format("exact final draw: max_iterations must be >= 1"));
  if (!(tolerance > 0)) throw UsageError(fmt::format("exact final draw: tolerance must be > 0, got {}", tolerance));
}

std::string ExactFinalDrawOptions::describe() const {
  return fmt::format("exact(probes={}, min_spread={:g}, cg<={} tol={:g})", probes, min_spread, max_iterations,
                     tolerance);
}

namespace {
at::Tensor per_chain_dot(const at::Tensor& a, const at::Tensor& b) { return (a * b).flatten(1).sum(1).view({-1, 1, 1}); }
}  // namespace

at::Tensor exact_final_draw(const Prior& prior, const Likelihood& exact, const at::Tensor& x, double sigma,
                            const ExactFinalDrawOptions& o, at::Generator& gen, ExactFinalDrawInfo* info) {
  o.validate();
  if (!exact.can_perturb_data())
    throw UsageError(fmt::format("the exact final draw needs an exact likelihood; {} cannot redraw its data noise",
                                 exact.name()));
  if (x.dim() != 3) throw UsageError("exact final draw: x must be [B, H, W]");
  const auto B = x.size(0), H = x.size(1), W = x.size(2);
  auto sig = torch::full({B}, sigma, x.options());
  auto prior_score = [&](const at::Tensor& y) { return prior.score(y, sig); };
  const auto f64 = x.options().dtype(torch::kFloat64);

  // p(x₀ | x_σ) ≈ N(D, σ² diag j) under the prior alone.
  auto d = (x + sigma * sigma * prior_score(x)).to(torch::kFloat64);
  auto j = conditional_spread_diagonal(prior_score, x, sigma, o.probes, gen).to(torch::kFloat64).clamp(o.min_spread, 1.0);
  auto p_diag = 1.0 / (sigma * sigma * j);

  // H v = ∇²(−log p) v = s(0) − s(v): the exact score is affine in x.
  auto zero_sigma = torch::zeros({B}, f64);
  auto zero = torch::zeros({B, H, W}, f64);
  auto s0 = exact.score(zero, zero_sigma);
  auto hess = [&](const at::Tensor& v) { return s0 - exact.score(v, zero_sigma); };
  // H's diagonal from one column: every pixel's is Σ_k w_k·scale² for a Fourier operator.
  auto e = torch::zeros({1, H, W}, f64);
  e[0][H / 2][W / 2] = 1.0;
  double h0 = (s0.slice(0, 0, 1) - exact.score(e, torch::zeros({1}, f64)))[0][H / 2][W / 2].item<double>();
  h0 = std::max(h0, 0.0);

  auto xi = at::normal(0.0, 1.0, {B, H, W}, gen, f64);
  auto b = p_diag * (d + sigma * j.sqrt() * xi) + exact.perturbed_score(zero, gen).to(torch::kFloat64);
  auto m_inv = 1.0 / (p_diag + h0);

  // Preconditioned CG per chain, from D.
  auto xk = d.clone();
  auto r = b - (p_diag * xk + hess(xk));
  auto z = m_inv * r;
  auto dir = z.clone();
  auto rz = per_chain_dot(r, z);
  auto bnorm = b.flatten(1).norm(2, 1).clamp_min(1e-300);
  double rel = (r.flatten(1).norm(2, 1) / bnorm).max().item<double>();
  std::int64_t it = 0;
  while (rel > o.tolerance && it < o.max_iterations) {
    auto ad = p_diag * dir + hess(dir);
    auto alpha = rz / per_chain_dot(dir, ad).clamp_min(1e-300);
    xk = xk + alpha * dir;
    r = r - alpha * ad;
    ++it;
    rel = (r.flatten(1).norm(2, 1) / bnorm).max().item<double>();
    z = m_inv * r;
    auto rz_next = per_chain_dot(r, z);
    dir = z + (rz_next / rz.clamp_min(1e-300)) * dir;
    rz = rz_next;
  }
  if (!torch::isfinite(xk).all().item<bool>())
    throw InternalError(fmt::format("exact final draw: non-finite values after {} CG iterations", it));
  if (info) {
    info->iterations = it;
    info->relative_residual = rel;
  }
  return xk.to(x.scalar_type());
}

}  // namespace penumbra
