#include "priors/analytic_priors.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include <cmath>

#include "src/core/errors.hpp"

namespace penumbra {

namespace {

constexpr double kPiD = 3.14159265358979323846;

void check_batch(const at::Tensor& x, const at::Tensor& sigma, const std::string& who) {
  if (x.dim() != 3)
    throw UsageError(fmt::format("{}: image batch must be [B, H, W], got {} dimensions", who, x.dim()));
  if (sigma.dim() != 1 || sigma.size(0) != x.size(0))
    throw UsageError(fmt::format("{}: sigma must be [B] with B = {}, got {} values", who, x.size(0),
                                 sigma.numel()));
}

void check_shape(const at::Tensor& x, int h, int w, const std::string& who) {
  if (x.dim() != 3 || x.size(1) != h || x.size(2) != w)
    throw UsageError(fmt::format("{}: expected images [B, {}, {}], got {}", who, h, w, fmt::join(x.sizes(), "x")));
}

// sigma [B] → [B, 1, 1] in x's dtype.
at::Tensor col(const at::Tensor& sigma, const at::Tensor& x) {
  return sigma.to(x.scalar_type()).view({-1, 1, 1});
}

NoiseRange fill(NoiseRange r, double lo, double hi) {
  if (r.min <= 0) r.min = lo;
  if (r.max <= 0) r.max = hi;
  if (!(r.min > 0 && r.max > r.min))
    throw UsageError(fmt::format("noise range must satisfy 0 < sigma_min < sigma_max, got [{}, {}]", r.min, r.max));
  return r;
}

}  // namespace

// ---------------------------------------------------------------- Gaussian

GaussianPrior::GaussianPrior(double mean, double stddev, NoiseRange range) : mean_(mean), std_(stddev) {
  if (!(stddev > 0) || !std::isfinite(stddev) || !std::isfinite(mean))
    throw UsageError(fmt::format("gaussian prior: need finite mean and stddev > 0, got mean {} stddev {}", mean, stddev));
  range_ = fill(range, 1e-3 * stddev, 20 * stddev);
}

at::Tensor GaussianPrior::score(const at::Tensor& x, const at::Tensor& sigma) const {
  check_batch(x, sigma, name());
  auto s = col(sigma, x);
  return -(x - mean_) / (s * s + std_ * std_);
}

at::Tensor GaussianPrior::log_prob(const at::Tensor& x) const {
  auto d = (x - mean_).flatten(1);
  double n = static_cast<double>(d.size(1));
  return -0.5 * d.pow(2).sum(1) / (std_ * std_) - n * std::log(std_ * std::sqrt(2 * kPiD));
}

// ---------------------------------------------------------------- dense Gaussian

DenseGaussianPrior::DenseGaussianPrior(const at::Tensor& mean, const at::Tensor& cov, NoiseRange range) {
  if (mean.dim() != 2) throw UsageError("gaussian-dense prior: mean must be [H, W]");
  h_ = static_cast<int>(mean.size(0));
  w_ = static_cast<int>(mean.size(1));
  std::int64_t n = mean.numel();
  if (cov.dim() != 2 || cov.size(0) != n || cov.size(1) != n)
    throw UsageError(fmt::format("gaussian-dense prior: covariance must be [{0}, {0}] for a {1}x{2} mean", n, h_, w_));
  mean_ = mean.to(torch::kFloat64).contiguous();
  cov_ = (0.5 * (cov + cov.t())).to(torch::kFloat64).contiguous();
  auto [evals, evecs] = torch::linalg_eigh(cov_);
  if (evals.min().item<double>() < -1e-10 * evals.max().item<double>())
    throw UsageError("gaussian-dense prior: covariance is not positive semi-definite");
  evals_ = evals.clamp_min(0);
  evecs_ = evecs;
  double tr = evals_.sum().item<double>();
  double lmax = evals_.max().item<double>();
  range_ = fill(range, 1e-3 * std::sqrt(tr / n), std::max(3 * std::sqrt(lmax), std::sqrt(2 * tr)));
}

at::Tensor DenseGaussianPrior::score(const at::Tensor& x, const at::Tensor& sigma) const {
  check_batch(x, sigma, name());
  check_shape(x, h_, w_, name());
  auto d = (x.to(torch::kFloat64) - mean_).flatten(1);              // [B, n]
  auto proj = torch::matmul(d, evecs_);                             // coefficients in the eigenbasis
  auto s2 = sigma.to(torch::kFloat64).pow(2).view({-1, 1});
  auto out = -torch::matmul(proj / (evals_.view({1, -1}) + s2), evecs_.t());
  return out.view_as(x).to(x.scalar_type());
}

at::Tensor DenseGaussianPrior::log_prob(const at::Tensor& x) const {
  if (evals_.min().item<double>() <= 0) throw UsageError("gaussian-dense prior: singular covariance has no density");
  auto d = (x.to(torch::kFloat64) - mean_).flatten(1);
  auto proj = torch::matmul(d, evecs_);
  auto quad = (proj.pow(2) / evals_.view({1, -1})).sum(1);
  double logdet = evals_.log().sum().item<double>();
  double n = static_cast<double>(evals_.numel());
  return (-0.5 * quad - 0.5 * logdet - 0.5 * n * std::log(2 * kPiD)).to(x.scalar_type());
}

// ---------------------------------------------------------------- stationary Gaussian

StationaryGaussianPrior::StationaryGaussianPrior(double mean, const at::Tensor& power, NoiseRange range)
    : mean_(mean) {
  if (power.dim() != 2) throw UsageError("gaussian-spectrum prior: power spectrum must be [H, W]");
  h_ = static_cast<int>(power.size(0));
  w_ = static_cast<int>(power.size(1));
  power_ = power.to(torch::kFloat64).contiguous();
  if (!torch::isfinite(power_).all().item<bool>() || power_.min().item<double>() < 0)
    throw UsageError("gaussian-spectrum prior: power spectrum must be finite and non-negative");
  // A real covariance needs P[k] = P[−k]: compare with the index-reversed copy.
  auto flipped = torch::roll(torch::flip(power_, {0, 1}), {1, 1}, {0, 1});
  if (!torch::allclose(power_, flipped, 1e-9, 1e-12 * power_.max().item<double>()))
    throw UsageError("gaussian-spectrum prior: power spectrum must satisfy P[k] = P[-k] (a real covariance)");
  double sum = power_.sum().item<double>();
  double pmax = power_.max().item<double>();
  range_ = fill(range, 1e-3 * std::sqrt(sum / power_.numel()), std::max(3 * std::sqrt(pmax), std::sqrt(2 * sum)));
}

at::Tensor StationaryGaussianPrior::score(const at::Tensor& x, const at::Tensor& sigma) const {
  check_batch(x, sigma, name());
  check_shape(x, h_, w_, name());
  auto xd = x.to(torch::kFloat64) - mean_;
  auto f = torch::fft::fft2(xd, c10::nullopt, {-2, -1}, "ortho");
  auto s2 = sigma.to(torch::kFloat64).pow(2).view({-1, 1, 1});
  auto out = torch::real(torch::fft::ifft2(f / (power_.unsqueeze(0) + s2), c10::nullopt, {-2, -1}, "ortho"));
  return (-out).to(x.scalar_type());
}

at::Tensor StationaryGaussianPrior::log_prob(const at::Tensor& x) const {
  if (power_.min().item<double>() <= 0) throw UsageError("gaussian-spectrum prior: a zero power has no density");
  check_shape(x, h_, w_, name());
  auto f = torch::fft::fft2(x.to(torch::kFloat64) - mean_, c10::nullopt, {-2, -1}, "ortho");
  auto quad = (torch::abs(f).pow(2) / power_.unsqueeze(0)).sum({1, 2});
  double norm = 0.5 * (power_.log().sum().item<double>() + power_.numel() * std::log(2 * kPiD));
  return (-0.5 * quad - norm).to(x.scalar_type());
}

at::Tensor power_law_spectrum(int height, int width, double variance, double slope, double k0) {
  auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  auto ky = torch::fft::fftfreq(height, opts).view({-1, 1});
  auto kx = torch::fft::fftfreq(width, opts).view({1, -1});
  auto p = (ky * ky + kx * kx + k0 * k0).pow(-0.5 * slope);
  // Per-pixel variance of a stationary field = mean of its orthonormal spectrum.
  return p * (variance / p.mean().item<double>());
}

// ---------------------------------------------------------------- Laplace

LaplacePrior::LaplacePrior(double location, double scale, NoiseRange range) : mu_(location), b_(scale) {
  if (!(scale > 0) || !std::isfinite(scale) || !std::isfinite(location))
    throw UsageError(fmt::format("laplace prior: need finite location and scale > 0, got {} and {}", location, scale));
  range_ = fill(range, 1e-3 * scale, 20 * scale);
}

// Stable evaluation (see the header): with d = x − μ and a₁,₂ = (σ/b ∓ d/σ)/√2,
//   log t₁ = −d/b + log erfc(a₁),   log t₂ = d/b + log erfc(a₂),
//   ∂ log t₁ = −1/b + √(2/π)/(σ·erfcx(a₁)),   ∂ log t₂ = 1/b − √(2/π)/(σ·erfcx(a₂)),
// score = r₁∂log t₁ + r₂∂log t₂ with r = softmax(log t₁, log t₂).
// log erfc(a) = log erfcx(a) − a² for a ≥ 0 (no underflow) and log erfc(a) directly for a < 0
// (erfc ∈ (1, 2]); erfcx(a) for a ≪ 0 overflows to +inf, whose reciprocal 0 is the right limit.
namespace {
at::Tensor log_erfc(const at::Tensor& a) {
  auto pos = a.clamp_min(0);
  return torch::where(a >= 0, torch::log(torch::special_erfcx(pos)) - pos * pos, torch::log(torch::erfc(a.clamp_max(0))));
}
}  // namespace

at::Tensor LaplacePrior::score(const at::Tensor& x, const at::Tensor& sigma) const {
  check_batch(x, sigma, name());
  auto xd = x.to(torch::kFloat64);
  auto d = xd - mu_;
  auto s = sigma.to(torch::kFloat64).view({-1, 1, 1}).expand_as(d);
  auto tiny = s < 1e-12 * b_;
  auto ss = torch::where(tiny, torch::full_like(s, b_), s);  // placeholder σ where the σ = 0 formula applies
  const double r2 = std::sqrt(2.0);
  auto a1 = (ss / b_ - d / ss) / r2;
  auto a2 = (ss / b_ + d / ss) / r2;
  auto lt1 = -d / b_ + log_erfc(a1);
  auto lt2 = d / b_ + log_erfc(a2);
  auto r1 = torch::sigmoid(lt1 - lt2);
  const double c = std::sqrt(2.0 / kPiD);
  auto g1 = -1.0 / b_ + c / (ss * torch::special_erfcx(a1));
  auto g2 = 1.0 / b_ - c / (ss * torch::special_erfcx(a2));
  auto sc = r1 * g1 + (1 - r1) * g2;
  auto sc0 = -torch::sign(d) / b_;
  return torch::where(tiny, sc0, sc).to(x.scalar_type());
}

at::Tensor LaplacePrior::log_density_sigma(const at::Tensor& x, const at::Tensor& sigma) const {
  check_batch(x, sigma, name());
  auto d = x.to(torch::kFloat64) - mu_;
  auto s = sigma.to(torch::kFloat64).view({-1, 1, 1}).expand_as(d);
  const double r2 = std::sqrt(2.0);
  auto a1 = (s / b_ - d / s) / r2;
  auto a2 = (s / b_ + d / s) / r2;
  // p_σ(d) = (1/4b)·exp(σ²/2b²)·[t₁ + t₂]
  auto lse = torch::logaddexp(-d / b_ + log_erfc(a1), d / b_ + log_erfc(a2));
  auto out = lse - std::log(4 * b_) + s * s / (2 * b_ * b_);
  return torch::where(s > 0, out, -d.abs() / b_ - std::log(2 * b_));
}

at::Tensor LaplacePrior::log_prob(const at::Tensor& x) const {
  auto d = (x.to(torch::kFloat64) - mu_).flatten(1);
  return (-d.abs().sum(1) / b_ - d.size(1) * std::log(2 * b_)).to(x.scalar_type());
}

// ---------------------------------------------------------------- maximum entropy

MaxEntropyPrior::MaxEntropyPrior(double alpha, double default_level, NoiseRange range)
    : alpha_(alpha), m_(default_level), eps0_(1e-6 * default_level) {
  if (!(alpha > 0) || !(default_level > 0))
    throw UsageError(fmt::format("mem prior: need alpha > 0 and default level m > 0, got {} and {}", alpha, default_level));
  range_ = fill(range, 1e-3 * default_level, 20 * default_level);
}

at::Tensor MaxEntropyPrior::score(const at::Tensor& x, const at::Tensor& sigma) const {
  check_batch(x, sigma, name());
  auto xd = x.to(torch::kFloat64);
  auto eps = sigma.to(torch::kFloat64).clamp_min(eps0_).view({-1, 1, 1});
  auto z = xd / eps;
  // log x̃ = log ε + log softplus(z), with log softplus(z) → z for z ≪ 0 (no log 0).
  auto log_sp = torch::where(z < -30, z, torch::log(torch::nn::functional::softplus(z.clamp_min(-30))));
  // d/dx [x̃ ln(x̃/m) − x̃] = ln(x̃/m)·dx̃/dx, dx̃/dx = sigmoid(x/ε) (→ 0 far below zero:
  // the smoothed entropy saturates there).
  return (-alpha_ * (torch::log(eps / m_) + log_sp) * torch::sigmoid(z)).to(x.scalar_type());
}

at::Tensor MaxEntropyPrior::log_prob(const at::Tensor& x) const {
  auto xd = x.to(torch::kFloat64);
  auto xt = eps0_ * torch::nn::functional::softplus(xd / eps0_);
  auto h = torch::xlogy(xt, xt / m_) - xt + m_;  // x̃ → 0 underflows for x ≪ 0: 0·log 0 = 0
  return (-alpha_ * h.flatten(1).sum(1)).to(x.scalar_type());
}

// ---------------------------------------------------------------- total variation

namespace {
using torch::indexing::None;
using torch::indexing::Slice;
// Forward differences with zero across the last column / row.
std::pair<at::Tensor, at::Tensor> grad2d(const at::Tensor& x) {
  auto dx = torch::zeros_like(x);
  auto dy = torch::zeros_like(x);
  using torch::indexing::Slice;
  dx.index_put_({Slice(), Slice(), Slice(0, -1)}, x.index({Slice(), Slice(), Slice(1, None)}) - x.index({Slice(), Slice(), Slice(0, -1)}));
  dy.index_put_({Slice(), Slice(0, -1), Slice()}, x.index({Slice(), Slice(1, None), Slice()}) - x.index({Slice(), Slice(0, -1), Slice()}));
  return {dx, dy};
}
}  // namespace

at::Tensor TotalVariationPrior::score(const at::Tensor& x, const at::Tensor& sigma) const {
  check_batch(x, sigma, name());
  auto xd = x.to(torch::kFloat64);
  auto e2 = (sigma.to(torch::kFloat64).pow(2) + eps_ * eps_).view({-1, 1, 1});
  auto [dx, dy] = grad2d(xd);
  auto mag = torch::sqrt(dx * dx + dy * dy + e2);
  auto px = dx / mag, py = dy / mag;  // zero on the last column / row since dx / dy are
  // ∂TV/∂x = Dxᵀpx + Dyᵀpy with (Dxᵀp)[i,j] = p[i,j−1] − p[i,j].
  auto g = -px - py;
  g.index({Slice(), Slice(), Slice(1, None)}) += px.index({Slice(), Slice(), Slice(0, -1)});
  g.index({Slice(), Slice(1, None), Slice()}) += py.index({Slice(), Slice(0, -1), Slice()});
  return (-lambda_ * g).to(x.scalar_type());
}

at::Tensor TotalVariationPrior::log_prob(const at::Tensor& x) const {
  auto [dx, dy] = grad2d(x.to(torch::kFloat64));
  return (-lambda_ * torch::sqrt(dx * dx + dy * dy + eps_ * eps_).flatten(1).sum(1)).to(x.scalar_type());
}

TotalVariationPrior::TotalVariationPrior(double weight, double epsilon, NoiseRange range)
    : lambda_(weight), eps_(epsilon) {
  if (!(weight > 0) || !(epsilon > 0))
    throw UsageError(fmt::format("tv prior: need weight > 0 and epsilon > 0, got {} and {}", weight, epsilon));
  range_ = fill(range, 1e-3 * epsilon, 1.0);
}

}  // namespace penumbra
