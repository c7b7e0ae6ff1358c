// Analytic priors: scores against closed forms, finite differences of the
// (noise-convolved) log densities, and numerical quadrature for Laplace ∗ Gaussian.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <functional>

#include "priors/analytic_priors.hpp"
#include "src/core/errors.hpp"

namespace penumbra {
namespace {

auto ap_f64() { return torch::TensorOptions().dtype(torch::kFloat64); }

// Central finite-difference gradient of a scalar-per-batch function f: [B,H,W] → [B].
at::Tensor ap_fd_grad(const std::function<at::Tensor(const at::Tensor&)>& f, const at::Tensor& x, double h = 1e-5) {
  auto g = torch::zeros_like(x);
  auto flat = x.flatten(1);
  for (int64_t j = 0; j < flat.size(1); ++j) {
    auto xp = x.clone(), xm = x.clone();
    xp.flatten(1).select(1, j).add_(h);
    xm.flatten(1).select(1, j).sub_(h);
    g.flatten(1).select(1, j).copy_((f(xp) - f(xm)) / (2 * h));
  }
  return g;
}

double ap_max_rel(const at::Tensor& a, const at::Tensor& b) {
  return ((a - b).abs().max() / b.abs().max().clamp_min(1e-300)).item<double>();
}

TEST(GaussianPrior, ScoreMatchesConvolvedDensityGradient) {
  GaussianPrior p(0.3, 1.7);
  torch::manual_seed(1);
  auto x = torch::randn({3, 4, 5}, ap_f64());
  auto sigma = torch::tensor({0.0, 0.5, 4.0}, ap_f64());
  auto s = p.score(x, sigma);
  for (int b = 0; b < 3; ++b) {
    double var = 1.7 * 1.7 + std::pow(sigma[b].item<double>(), 2);
    auto expect = -(x[b] - 0.3) / var;
    EXPECT_LT(ap_max_rel(s[b], expect), 1e-14);
  }
  // σ = 0: the score is the gradient of log_prob.
  auto g = ap_fd_grad([&](const at::Tensor& z) { return p.log_prob(z); }, x.narrow(0, 0, 1));
  EXPECT_LT(ap_max_rel(p.score(x.narrow(0, 0, 1), torch::zeros({1}, ap_f64())), g), 1e-8);
  // log_prob is normalised: compare with the 1-D normal density product.
  auto lp = p.log_prob(x);
  double expect0 = 0;
  auto x0 = x[0].flatten();
  for (int64_t j = 0; j < x0.numel(); ++j) {
    double d = (x0[j].item<double>() - 0.3) / 1.7;
    expect0 += -0.5 * d * d - std::log(1.7 * std::sqrt(2 * M_PI));
  }
  EXPECT_NEAR(lp[0].item<double>(), expect0, 1e-10);
}

TEST(GaussianPrior, RejectsBadParameters) {
  EXPECT_THROW(GaussianPrior(0, 0), UsageError);
  EXPECT_THROW(GaussianPrior(0, -1), UsageError);
  EXPECT_THROW(GaussianPrior(0, 1, {2.0, 1.0}), UsageError);
  GaussianPrior p(0, 1);
  EXPECT_THROW(p.score(torch::zeros({2, 3}), torch::zeros({2})), UsageError);
  EXPECT_THROW(p.score(torch::zeros({2, 3, 3}), torch::zeros({3})), UsageError);
}

at::Tensor ap_random_spd(int n, int seed) {
  torch::manual_seed(seed);
  auto a = torch::randn({n, n}, ap_f64());
  return torch::matmul(a, a.t()) / n + 0.1 * torch::eye(n, ap_f64());
}

TEST(DenseGaussianPrior, ScoreIsInverseOfConvolvedCovariance) {
  int h = 3, w = 4, n = h * w;
  auto cov = ap_random_spd(n, 2);
  auto mean = torch::randn({h, w}, ap_f64());
  DenseGaussianPrior p(mean, cov);
  auto x = torch::randn({2, h, w}, ap_f64());
  auto sigma = torch::tensor({0.0, 0.7}, ap_f64());
  auto s = p.score(x, sigma);
  for (int b = 0; b < 2; ++b) {
    double s2 = std::pow(sigma[b].item<double>(), 2);
    auto c = cov + s2 * torch::eye(n, ap_f64());
    auto expect = -torch::linalg_solve(c, (x[b] - mean).flatten().unsqueeze(1), true).view({h, w});
    EXPECT_LT(ap_max_rel(s[b], expect), 1e-10);
  }
  auto g = ap_fd_grad([&](const at::Tensor& z) { return p.log_prob(z); }, x.narrow(0, 0, 1));
  EXPECT_LT(ap_max_rel(s.narrow(0, 0, 1), g), 1e-7);
  // log_prob normalisation against the multivariate normal formula.
  auto d = (x[0] - mean).flatten();
  double quad = torch::dot(d, torch::linalg_solve(cov, d.unsqueeze(1), true).squeeze(1)).item<double>();
  double logdet = torch::logdet(cov).item<double>();
  EXPECT_NEAR(p.log_prob(x)[0].item<double>(), -0.5 * quad - 0.5 * logdet - 0.5 * n * std::log(2 * M_PI), 1e-9);
}

TEST(StationaryGaussianPrior, EqualsDenseGaussianWithCirculantCovariance) {
  int h = 4, w = 6, n = h * w;
  auto power = power_law_spectrum(h, w, 2.0, 2.5, 0.2);
  EXPECT_NEAR(power.mean().item<double>(), 2.0, 1e-12);
  StationaryGaussianPrior p(0.5, power);
  // C = F⁻¹ diag(P) F (orthonormal 2-D DFT), built column by column.
  auto cov = torch::zeros({n, n}, ap_f64());
  for (int j = 0; j < n; ++j) {
    auto e = torch::zeros({n}, ap_f64());
    e[j] = 1;
    auto f = torch::fft::fft2(e.view({h, w}), c10::nullopt, {-2, -1}, "ortho");
    cov.select(1, j).copy_(torch::real(torch::fft::ifft2(f * power, c10::nullopt, {-2, -1}, "ortho")).flatten());
  }
  EXPECT_LT((cov - cov.t()).abs().max().item<double>(), 1e-12);  // P[k] = P[−k] → real symmetric
  DenseGaussianPrior dense(torch::full({h, w}, 0.5, ap_f64()), cov);
  torch::manual_seed(3);
  auto x = torch::randn({3, h, w}, ap_f64());
  auto sigma = torch::tensor({0.0, 0.3, 3.0}, ap_f64());
  EXPECT_LT(ap_max_rel(p.score(x, sigma), dense.score(x, sigma)), 1e-10);
  EXPECT_LT((p.log_prob(x) - dense.log_prob(x)).abs().max().item<double>(), 1e-9);
  // An asymmetric spectrum is not a real covariance.
  auto bad = power.clone();
  bad[0][1] += 1.0;
  EXPECT_THROW(StationaryGaussianPrior(0.0, bad), UsageError);
}

// log p_σ of Laplace ∗ N(0, σ²) by trapezoidal quadrature on a fine grid.
double laplace_conv_quadrature(double d, double b, double s) {
  double lo = std::min(d, 0.0) - 12 * s - 40 * b, hi = std::max(d, 0.0) + 12 * s + 40 * b;
  int n = 400000;
  double hstep = (hi - lo) / n, sum = 0;
  for (int i = 0; i <= n; ++i) {
    double t = lo + i * hstep;
    double f = std::exp(-std::abs(t) / b) / (2 * b) * std::exp(-0.5 * (d - t) * (d - t) / (s * s)) /
               (s * std::sqrt(2 * M_PI));
    sum += (i == 0 || i == n) ? 0.5 * f : f;
  }
  return std::log(sum * hstep);
}

TEST(LaplacePrior, ConvolvedDensityMatchesQuadratureAndScoreMatchesItsDerivative) {
  double mu = 0.2, b = 0.5;
  LaplacePrior p(mu, b);
  for (double s : {0.05, 0.5, 3.0}) {
    for (double d : {-2.0, -0.3, 0.0, 0.1, 1.5}) {
      auto x = torch::full({1, 1, 1}, mu + d, ap_f64());
      auto sig = torch::full({1}, s, ap_f64());
      double lp = p.log_density_sigma(x, sig).item<double>();
      EXPECT_NEAR(lp, laplace_conv_quadrature(d, b, s), 2e-6) << "d " << d << " sigma " << s;
      double h = 1e-5 * std::max(s, 0.1);
      double fd = (p.log_density_sigma(x + h, sig).item<double>() - p.log_density_sigma(x - h, sig).item<double>()) /
                  (2 * h);
      EXPECT_NEAR(p.score(x, sig).item<double>(), fd, 1e-6 * std::max(1.0, std::abs(fd)))
          << "d " << d << " sigma " << s;
    }
  }
}

TEST(LaplacePrior, ScoreIsStableInTheTailsAndHasTheRightLimits) {
  double b = 0.1;
  LaplacePrior p(0.0, b);
  // |d| ≫ σ: the Laplace slope ∓1/b; σ ≫ b: the Gaussian −d/σ² (plus O(b²/σ²)).
  auto x = torch::tensor({-50.0, -3.0, 3.0, 50.0}, ap_f64()).view({1, 1, 4}).repeat({3, 1, 1});
  auto sigma = torch::tensor({1e-4, 1e-2, 1e3}, ap_f64());
  auto s = p.score(x, sigma);
  EXPECT_TRUE(torch::isfinite(s).all().item<bool>());
  for (int j = 0; j < 4; ++j) {
    double d = x[0][0][j].item<double>();
    EXPECT_NEAR(s[0][0][j].item<double>(), -std::copysign(1.0 / b, d), 1e-6);
    EXPECT_NEAR(s[1][0][j].item<double>(), -std::copysign(1.0 / b, d), 1e-6);
    double var = 1e6 + 2 * b * b;  // Laplace variance 2b² adds to σ²
    EXPECT_NEAR(s[2][0][j].item<double>(), -d / var, 1e-3 * std::abs(d / var));
  }
  // σ = 0: −sign(d)/b, and log_prob is the normalised Laplace density.
  auto z = torch::tensor({-1.0, 0.5}, ap_f64()).view({1, 1, 2});
  auto s0 = p.score(z, torch::zeros({1}, ap_f64()));
  EXPECT_DOUBLE_EQ(s0[0][0][0].item<double>(), 1.0 / b);
  EXPECT_DOUBLE_EQ(s0[0][0][1].item<double>(), -1.0 / b);
  EXPECT_NEAR(p.log_prob(z).item<double>(), -1.5 / b - 2 * std::log(2 * b), 1e-12);
}

TEST(MaxEntropyPrior, ScoreIsTheGradientOfLogProb) {
  MaxEntropyPrior p(2.0, 0.1);
  torch::manual_seed(4);
  auto x = 0.05 + 0.3 * torch::rand({1, 3, 3}, ap_f64());
  auto g = ap_fd_grad([&](const at::Tensor& z) { return p.log_prob(z); }, x, 1e-7);
  EXPECT_LT(ap_max_rel(p.score(x, torch::zeros({1}, ap_f64())), g), 1e-6);
  // Away from zero the smoothing does not matter: −α ln(x/m).
  EXPECT_LT(ap_max_rel(p.score(x, torch::zeros({1}, ap_f64())), -2.0 * torch::log(x / 0.1)), 1e-9);
  // The entropy is maximal (score zero) at the default level, and finite for x ≤ 0.
  auto flat = torch::full({1, 2, 2}, 0.1, ap_f64());
  EXPECT_LT(p.score(flat, torch::zeros({1}, ap_f64())).abs().max().item<double>(), 1e-9);
  auto neg = torch::full({2, 2, 2}, -0.5, ap_f64());
  EXPECT_TRUE(torch::isfinite(p.score(neg, torch::tensor({0.0, 0.1}, ap_f64()))).all().item<bool>());
  // Never pulls further negative (for σ = 0.1 it pushes up; far below zero the smoothed entropy saturates).
  EXPECT_GE(p.score(neg, torch::tensor({0.0, 0.1}, ap_f64())).min().item<double>(), 0);
  EXPECT_GT(p.score(neg, torch::tensor({0.0, 0.1}, ap_f64()))[1].min().item<double>(), 0);
}

TEST(TotalVariationPrior, ScoreIsTheGradientOfLogProb) {
  TotalVariationPrior p(1.5, 0.05);
  torch::manual_seed(5);
  auto x = torch::randn({2, 4, 5}, ap_f64());
  auto g = ap_fd_grad([&](const at::Tensor& z) { return p.log_prob(z); }, x, 1e-6);
  EXPECT_LT(ap_max_rel(p.score(x, torch::zeros({2}, ap_f64())), g), 1e-6);
  // A constant image has zero TV gradient; σ > 0 smooths but keeps it finite.
  auto c = torch::full({1, 4, 4}, 3.0, ap_f64());
  EXPECT_LT(p.score(c, torch::zeros({1}, ap_f64())).abs().max().item<double>(), 1e-12);
  // Hand-computed: one bright pixel at the centre of a 3×3 zero image, ε → 0:
  // four neighbours' differences of magnitude 1 each pull it down by λ per link... check the sign.
  auto spike = torch::zeros({1, 3, 3}, ap_f64());
  spike[0][1][1] = 1.0;
  auto s = p.score(spike, torch::zeros({1}, ap_f64()));
  EXPECT_LT(s[0][1][1].item<double>(), 0);
  EXPECT_GT(s[0][1][2].item<double>(), 0);
}

}  // namespace
}  // namespace penumbra
