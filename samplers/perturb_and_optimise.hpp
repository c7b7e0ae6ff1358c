#pragma once
// Exact draws from a Gaussian times an exact (linear-Gaussian) likelihood:
//
//   x ~ N(m, diag v) · p(y | x)
//
// by perturb-and-optimise: the draw is the solution of
//
//   (P + H) x = P (m + √v ⊙ ξ) + g̃,    P = diag 1/v,  H = ∇²(−log p(y | x)),
//
// with ξ ~ N(0, I) and g̃ the likelihood score at 0 with freshly re-noised data
// (Likelihood::perturbed_score); the two random terms have covariances P and H, so
// the solution has exactly the product's mean and covariance. Solved per chain by
// conjugate gradients, one exact likelihood score per iteration, in float64. The
// preconditioner: when v is one number and the likelihood offers a circulant
// approximation of H (Likelihood::circulant_hessian: the visibilities' weights on
// the cells of a padded FFT grid), (1/v + H_circ)⁻¹ by FFT on that grid, which
// captures H's huge spread of eigenvalues (bright, well-measured sources: 1 + v·λ_max
// up to ~10⁵); otherwise the diagonal P + h₀ (h₀ the diagonal of H, the same for
// every pixel of a Fourier operator).
//
// Used by the exact final step of the diffusion samplers (samplers/exact_final_draw.hpp:
// m, v from the prior's Tweedie moments) and by the split-Gibbs sampler's likelihood
// step (samplers/split_gibbs.hpp: m the current image, v = ρ²).
#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

#include "src/model/model.hpp"

namespace penumbra {

struct ConjugateGradientOptions {
  std::int64_t max_iterations = 500;
  // Stop when the draw's error, in units of the Gaussian's own standard deviation per
  // pixel (energy norm √(eᵀAe / (H·W)), estimated as √(rᵀM⁻¹r / (H·W)) through the
  // preconditioner M ≈ A), is below this in every chain: 0.01 is far below the
  // draw's own spread.
  double tolerance = 0.01;
  int circulant_pad = 2;    // padded grid of the circulant preconditioner, × the image side; 0: diagonal only
  void validate() const;    // UsageError naming the setting
  std::string describe() const;  // "cg<=N tol=T"
};

struct ConjugateGradientInfo {
  std::int64_t iterations = 0;
  double error_norm = 0;  // the estimate above, worst chain
};

// The solver for one likelihood and image size. What does not depend on the
// Gaussian — the likelihood score at 0, H's diagonal and the circulant
// approximation's eigenvalues — is computed once here, so a Gibbs chain that
// draws every iteration pays only for the CG iterations.
class PerturbAndOptimise {
 public:
  // UsageError when the likelihood cannot re-noise its data (not an exact one) or
  // the options are out of range. `exact` must outlive the solver.
  PerturbAndOptimise(const Likelihood& exact, std::int64_t height, std::int64_t width,
                     const ConjugateGradientOptions& options);
  // mean: [B, H, W]; variance: [B, H, W] or one number as a [1, 1, 1] tensor (> 0;
  // either may be float32 or float64). `start` (optional, [B, H, W]): where CG
  // starts (default: mean), e.g. the previous draw of a Gibbs chain. Returns the
  // draw [B, H, W] float64. UsageError on a wrong shape; InternalError on
  // non-finite values.
  at::Tensor draw(const at::Tensor& mean, const at::Tensor& variance, at::Generator& gen,
                  ConjugateGradientInfo* info = nullptr, const at::Tensor& start = {}) const;
  std::int64_t height() const { return height_; }
  std::int64_t width() const { return width_; }

 private:
  const Likelihood& exact_;
  std::int64_t height_, width_, pad_ = 0;
  ConjugateGradientOptions options_;
  at::Tensor score_at_zero_;  // [1, H, W] float64
  double hessian_diagonal_ = 0;
  at::Tensor circulant_;      // [pad, pad] eigenvalues, or undefined
};

// One draw with a solver built for it (a single exact final draw).
at::Tensor gaussian_likelihood_draw(const Likelihood& exact, const at::Tensor& mean, const at::Tensor& variance,
                                    const ConjugateGradientOptions& options, at::Generator& gen,
                                    ConjugateGradientInfo* info = nullptr, const at::Tensor& start = {});

}  // namespace penumbra
