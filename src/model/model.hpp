#pragma once
// The interfaces of the probabilistic layer: what samplers see of a prior and
// a likelihood (DESIGN.md: samplers never see a concrete prior or instrument).
// Header-only and torch-typed: only LibTorch targets include it, so core
// itself still links no LibTorch.
//
// Images are at::Tensor [B, H, W] (float32 by default, float64 in exactness
// tests), one chain per batch entry.
//
// Noise levels use the variance-exploding (VE) form throughout: p_σ is the
// density of x = x₀ + σ z, z ~ N(0, I). A VP-trained prior presents the same
// interface through x_VE = x_VP / μ(t), σ_VE = σ(t)/μ(t), score_VE(x) = μ·score_VP(μx).
#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <string>

namespace penumbra {

class Prior {
 public:
  virtual ~Prior() = default;
  // ∇ₓ log p_σ(x) with p_σ = p ∗ N(0, σ²I). x [B,H,W]; sigma [B], σ ≥ 0.
  virtual at::Tensor score(const at::Tensor& x, const at::Tensor& sigma) const = 0;
  // log p(x) up to a constant, [B]; only where tractable.
  virtual bool has_log_prob() const { return false; }
  virtual at::Tensor log_prob(const at::Tensor& x) const;
  // Image shape the prior is defined on (0 = any).
  virtual int height() const { return 0; }
  virtual int width() const { return 0; }
  // Largest noise level the prior knows (where annealing starts).
  virtual double sigma_max() const = 0;
  virtual double sigma_min() const = 0;
  virtual std::string name() const = 0;
};

class Likelihood {
 public:
  virtual ~Likelihood() = default;
  // ∇ₓ log p_σ(y | x): the noise-level-aware likelihood score at x = x₀ + σz
  // (σ = 0: the exact likelihood gradient). x [B,H,W]; sigma [B].
  virtual at::Tensor score(const at::Tensor& x, const at::Tensor& sigma) const = 0;
  // −log p(y | x) up to a constant, [B] (σ = 0).
  virtual at::Tensor energy(const at::Tensor& x) const = 0;
  virtual std::string name() const = 0;  // recorded in every run ("convolved-gridded", "nufft-exact", ...)
  // The σ = 0 score with the data y replaced by y + n, n a fresh draw of the
  // measurement noise for every chain: the randomised right-hand side of
  // perturb-and-optimise draws (samplers/exact_final_draw.hpp). Exact likelihoods only.
  virtual bool can_perturb_data() const { return false; }
  virtual at::Tensor perturbed_score(const at::Tensor& x, at::Generator& gen) const;
  // H = ∇²(−log p(y | x)) approximated by a circulant operator on a zero-padded
  // padded × padded grid: its eigenvalues [padded, padded] (float64, torch.fft order;
  // H x ≈ crop(ifft2(λ · fft2(pad x)))), or an undefined tensor when the likelihood
  // cannot say. Preconditions the conjugate gradients of exact draws.
  virtual at::Tensor circulant_hessian(int padded) const;
};

inline at::Tensor Likelihood::perturbed_score(const at::Tensor&, at::Generator&) const {
  throw std::logic_error(name() + " cannot redraw its data noise");
}

inline at::Tensor Likelihood::circulant_hessian(int) const { return {}; }

inline at::Tensor Prior::log_prob(const at::Tensor&) const {
  throw std::logic_error(name() + " has no tractable log density");
}

}  // namespace penumbra
