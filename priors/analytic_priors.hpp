#pragma once
// Analytic image priors with exact (or stated) scores at every noise level σ.
// They are baselines for MAP / RML imaging and the oracles of the sampler
// tests: for the Gaussian priors the noise-convolved density p_σ = p ∗ N(0, σ²I)
// is again Gaussian (C → C + σ²I), so every sampler can be checked against a
// closed-form posterior.
//
// Images x are [B, H, W] tensors (float32 or float64), sigma is [B] (σ ≥ 0);
// scores come back with x's shape and dtype. All priors work on pixel values in
// whatever units the caller uses (the CLI uses the diffusion prior's normalised
// units; see docs/sampling.md).
#include <ATen/core/Tensor.h>

#include <string>

#include "src/model/model.hpp"

namespace penumbra {

// Annealing range an analytic prior reports (Prior::sigma_max/min). The
// Gaussian-family defaults are derived from the prior's own scale.
struct NoiseRange {
  double min = 0, max = 0;  // 0: the prior's default
};

// Isotropic Gaussian N(m, s²I): score_σ(x) = −(x − m)/(s² + σ²);
// log p(x) = −‖x − m‖²/(2s²) − n·log(s√(2π)).
// Default noise range: [1e-3·s, 20·s].
class GaussianPrior final : public Prior {
 public:
  GaussianPrior(double mean, double stddev, NoiseRange range = {});
  at::Tensor score(const at::Tensor& x, const at::Tensor& sigma) const override;
  bool has_log_prob() const override { return true; }
  at::Tensor log_prob(const at::Tensor& x) const override;
  double sigma_max() const override { return range_.max; }
  double sigma_min() const override { return range_.min; }
  std::string name() const override { return "gaussian"; }

 private:
  double mean_, std_;
  NoiseRange range_;
};

// Gaussian with a full covariance C on small images (n = H·W pixels, used as the
// exactness oracle): score_σ(x) = −(C + σ²I)⁻¹(x − m) through the eigen-
// decomposition C = U Λ Uᵀ computed once, so any σ costs two n×n products.
// mean [H, W], cov [n, n] symmetric positive semi-definite (float64 kept inside).
// Default noise range: [1e-3·√(tr C / n), max(3·√λ_max, √(2·tr C))].
class DenseGaussianPrior final : public Prior {
 public:
  DenseGaussianPrior(const at::Tensor& mean, const at::Tensor& cov, NoiseRange range = {});
  at::Tensor score(const at::Tensor& x, const at::Tensor& sigma) const override;
  bool has_log_prob() const override { return true; }
  at::Tensor log_prob(const at::Tensor& x) const override;  // needs C positive definite
  int height() const override { return h_; }
  int width() const override { return w_; }
  double sigma_max() const override { return range_.max; }
  double sigma_min() const override { return range_.min; }
  std::string name() const override { return "gaussian-dense"; }
  const at::Tensor& mean() const { return mean_; }
  const at::Tensor& cov() const { return cov_; }

 private:
  int h_, w_;
  at::Tensor mean_, cov_, evals_, evecs_;  // float64
  NoiseRange range_;
};

// Stationary Gaussian: the covariance is diagonal in the orthonormal 2-D FFT
// basis with eigenvalues P[k] (the power spectrum, [H, W] in torch.fft order,
// P[k] = P[−k] ≥ 0, variance per pixel = mean(P)):
//   score_σ(x) = −F⁻¹[(P + σ²)⁻¹ F(x − m)],   log p(x) = −½ Σ_k |F(x−m)|_k² / P_k − ½ Σ log(2πP_k).
// Default noise range: [1e-3·√mean(P), max(3·√max P, √(2·Σ P))] (the largest
// pairwise distance of prior draws, REFERENCE.md §2).
class StationaryGaussianPrior final : public Prior {
 public:
  StationaryGaussianPrior(double mean, const at::Tensor& power, NoiseRange range = {});
  at::Tensor score(const at::Tensor& x, const at::Tensor& sigma) const override;
  bool has_log_prob() const override { return true; }
  at::Tensor log_prob(const at::Tensor& x) const override;  // needs P > 0
  int height() const override { return h_; }
  int width() const override { return w_; }
  double sigma_max() const override { return range_.max; }
  double sigma_min() const override { return range_.min; }
  std::string name() const override { return "gaussian-spectrum"; }
  const at::Tensor& power() const { return power_; }

 private:
  int h_, w_;
  double mean_;
  at::Tensor power_;  // float64 [H, W]
  NoiseRange range_;
};

// A power-law spectrum P(k) ∝ (|k|² + k0²)^(−slope/2) on an H×W grid (k in
// cycles per pixel, torch.fft order), scaled so the per-pixel variance is `variance`.
at::Tensor power_law_spectrum(int height, int width, double variance, double slope, double k0 = 1.0 / 16);

// Independent Laplace pixels, p(x) = Π (2b)⁻¹ exp(−|x − μ|/b) (sparsity).
// Convolved with N(0, σ²) (d = x − μ):
//   p_σ(d) ∝ e^{−d/b} erfc(a₁) + e^{d/b} erfc(a₂),  a₁ = (σ/b − d/σ)/√2, a₂ = (σ/b + d/σ)/√2,
// whose score is evaluated in log space with erfcx so it neither overflows nor
// cancels for |d| ≫ σ or σ ≫ b (derivation in docs/sampling.md). σ = 0: −sign(d)/b.
// Default noise range: [1e-3·b, 20·b].
class LaplacePrior final : public Prior {
 public:
  LaplacePrior(double location, double scale, NoiseRange range = {});
  at::Tensor score(const at::Tensor& x, const at::Tensor& sigma) const override;
  bool has_log_prob() const override { return true; }
  at::Tensor log_prob(const at::Tensor& x) const override;
  // log p_σ per pixel (not summed), for tests: [B, H, W].
  at::Tensor log_density_sigma(const at::Tensor& x, const at::Tensor& sigma) const;
  double sigma_max() const override { return range_.max; }
  double sigma_min() const override { return range_.min; }
  std::string name() const override { return "laplace"; }

 private:
  double mu_, b_;
  NoiseRange range_;
};

// Maximum entropy (for MAP imaging): log p(x) = −α Σ [x̃ ln(x̃/m) − x̃ + m] with
// x̃ = ε·softplus(x/ε), a smooth positive version of x (ε = ε₀ = 1e-6·m at σ = 0;
// x̃ → x for x ≫ ε). At σ > 0 the score is the σ = 0 gradient of the same
// functional with ε = max(ε₀, σ): a smoothed surrogate, NOT the exact score of
// p ∗ N(0, σ²) (which has no closed form). m > 0 is the default image level.
class MaxEntropyPrior final : public Prior {
 public:
  MaxEntropyPrior(double alpha, double default_level, NoiseRange range = {});
  at::Tensor score(const at::Tensor& x, const at::Tensor& sigma) const override;
  bool has_log_prob() const override { return true; }
  at::Tensor log_prob(const at::Tensor& x) const override;
  double sigma_max() const override { return range_.max; }
  double sigma_min() const override { return range_.min; }
  std::string name() const override { return "mem"; }

 private:
  double alpha_, m_, eps0_;
  NoiseRange range_;
};

// Total variation (for MAP imaging): log p(x) = −λ Σ_pixels √(Dx² + Dy² + ε²),
// forward differences with a zero difference across the last row/column
// (Neumann boundary). At σ > 0 the score is the gradient of the same functional
// with ε_σ = √(ε² + σ²): a smoothed surrogate, not the exact convolved score.
class TotalVariationPrior final : public Prior {
 public:
  TotalVariationPrior(double weight, double epsilon, NoiseRange range = {});
  at::Tensor score(const at::Tensor& x, const at::Tensor& sigma) const override;
  bool has_log_prob() const override { return true; }
  at::Tensor log_prob(const at::Tensor& x) const override;
  double sigma_max() const override { return range_.max; }
  double sigma_min() const override { return range_.min; }
  std::string name() const override { return "tv"; }

 private:
  double lambda_, eps_;
  NoiseRange range_;
};

}  // namespace penumbra
