#pragma once
// A Gaussian fitted to a set of images: mean image μ and the covariance of the
// images about it in its principal components (rank ≤ N − 1; zero outside their
// span). Its noisy marginal p_σ = N(μ, Σ + σ²I) has the exact score
//   s_G(x, σ) = −(Σ + σ²I)⁻¹ (x − μ) = −[r − U diag(λ/(λ+σ²)) Uᵀ r] / σ²,  r = x − μ,
// which is the true score of any distribution with that mean and covariance in the
// limit σ² ≫ its largest eigenvalue: the reference a learned score must approach at
// large noise levels, and the score a diffusion prior can be blended with there
// (priors/diffusion_prior.hpp, DiffusionPrior::set_gaussian_limit).
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace penumbra {

class GaussianImageModel {
 public:
  GaussianImageModel() = default;
  // images [N, H, W], N ≥ 2; the leading `max_rank` components are kept (0: all, ≤ N − 1).
  static GaussianImageModel fit(const at::Tensor& images, std::int64_t max_rank = 0);
  bool empty() const { return !mean_.defined(); }
  int height() const { return int(mean_.size(0)); }
  int width() const { return int(mean_.size(1)); }
  const at::Tensor& mean() const { return mean_; }                   // [H, W] float64
  const at::Tensor& components() const { return components_; }       // [K, H·W] orthonormal rows
  const at::Tensor& eigenvalues() const { return eigenvalues_; }     // [K], descending
  double total_flux_variance() const;                                 // Var(Σ pixels) of the fitted images
  // Score and posterior mean E[x₀ | x_σ] = x + σ² s_G of N(μ, Σ) at level σ > 0; x [B, H, W], result in x's dtype.
  at::Tensor score(const at::Tensor& x, double sigma) const;
  at::Tensor score(const at::Tensor& x, const at::Tensor& sigma) const;  // one level per image, sigma [B] > 0
  at::Tensor denoise(const at::Tensor& x, double sigma) const;

 private:
  at::Tensor mean_, components_, eigenvalues_;
};

}  // namespace penumbra
