#pragma once
// Exact Gaussian likelihoods of visibilities for the probabilistic layer
// (src/model/model.hpp's Likelihood):
//
//   −log p(y | x) = ½ Σ_k w_k |y_k − (A x_phys)_k|² + const,   x_phys = scale·x + offset,
//
// w_k = 1/σ_k² with σ_k the rms of Re and of Im of visibility k, A as in
// instruments/nufft.hpp. The sampler's x lives in the prior's units; `PixelUnits`
// maps it to Jy/pixel (the score picks up the factor `scale`, and a noise level σ
// of the prior is σ·scale Jy/pixel).
//
//  * NufftLikelihood: A is the planned NUFFT; its score is σ-independent,
//    ∇ log p(y | x) = scale · Re Aᴴ W (y − A x_phys) ("nufft-exact"), evaluated as
//    scale · (Re AᴴWy − T x_phys): Re AᴴWA is a convolution with the dirty beam
//    Σ_k w_k cos 2π(u_k Δl + v_k Δm) over pixel offsets (Toeplitz), applied exactly
//    by FFT on a grid padded to 2ny × 2nx — the kernel is one adjoint NUFFT of the
//    weights onto that grid (ε = 1e-10), computed on first use. A score then costs
//    two real FFTs instead of a NUFFT pair, whatever the number of visibilities.
//  * DenseGaussianLikelihood: A is a small dense matrix (tests, tiny problems).
//    Mode kExact: the same σ-independent score ("dense-exact"). Mode kConvolved:
//    the convolved likelihood evaluated exactly, without the diagonal
//    approximation ("dense-convolved"):
//      ∇ log p_σ(y | x) = scale · A_rᵀ (Σ_y + σ_phys² A_r A_rᵀ)⁻¹ (y_r − A_r x_phys),
//    with A_r = [Re A; Im A] the real form of A and Σ_y = diag(1/w, 1/w).
#include <ATen/core/Tensor.h>

#include <complex>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "src/core/image_grid.hpp"
#include "src/model/model.hpp"
#include "src/core/observation.hpp"
#include "src/core/pixel_units.hpp"

namespace penumbra {

class NufftOperator;

class NufftLikelihood final : public Likelihood {
 public:
  // vis: the measured visibilities (validated: finite, weights ≥ 0); the
  // operator must have been built on the same u, v (nvis checked).
  NufftLikelihood(std::shared_ptr<const NufftOperator> op, const VisibilitySet& vis, PixelUnits units = {});
  at::Tensor score(const at::Tensor& x, const at::Tensor& sigma) const override;  // σ ignored
  at::Tensor energy(const at::Tensor& x) const override;
  std::string name() const override { return "nufft-exact"; }
  bool can_perturb_data() const override { return true; }
  at::Tensor perturbed_score(const at::Tensor& x, at::Generator& gen) const override;
  // Each visibility's weight at its nearest cell of the padded FFT grid, symmetrised
  // (a real image sees u and −u alike), × scale² · padded²: the circulant whose
  // diagonal is H's, Σ_k w_k · scale².
  at::Tensor circulant_hessian(int padded) const override;
  // Model visibilities A x_phys, complex [B, nvis].
  at::Tensor model(const at::Tensor& x) const;
  std::int64_t nvis() const;
  // Re AᴴWA u for physical images u [..., H, W] (x's dtype), by the Toeplitz FFT above.
  at::Tensor normal_operator(const at::Tensor& u) const;

 private:
  void build_toeplitz() const;

  std::shared_ptr<const NufftOperator> op_;
  at::Tensor y_, w_;  // complex128 / float64 [nvis]
  mutable std::once_flag toeplitz_once_;
  mutable at::Tensor toeplitz_spectrum_;  // rfft2 of the embedded kernel, real float64 [2ny, nx + 1]
  mutable at::Tensor dirty_;              // Re AᴴWy, float64 [H, W]
  std::vector<double> u_, v_;
  PixelUnits units_;
};

class DenseGaussianLikelihood final : public Likelihood {
 public:
  enum class Mode { kExact, kConvolved };
  // a: complex [m, n] (n = height·width, ImageGrid layout), y: complex [m], w: [m] > 0.
  DenseGaussianLikelihood(const at::Tensor& a, const at::Tensor& y, const at::Tensor& w, int height, int width,
                          Mode mode = Mode::kConvolved, PixelUnits units = {});
  at::Tensor score(const at::Tensor& x, const at::Tensor& sigma) const override;
  at::Tensor energy(const at::Tensor& x) const override;
  std::string name() const override { return mode_ == Mode::kExact ? "dense-exact" : "dense-convolved"; }
  bool can_perturb_data() const override { return mode_ == Mode::kExact; }
  at::Tensor perturbed_score(const at::Tensor& x, at::Generator& gen) const override;
  // The real form A_r [2m, n] (float64), y_r [2m] and the noise variances [2m].
  const at::Tensor& real_operator() const { return ar_; }
  const at::Tensor& real_data() const { return yr_; }
  const at::Tensor& noise_variance() const { return var_; }

 private:
  int h_, w_;
  Mode mode_;
  PixelUnits units_;
  at::Tensor ar_, yr_, var_;  // float64
};

// The dense DFT matrix of `grid` at (u, v): A_kj = exp(−2πi(u_k l_j + v_k m_j)),
// complex128 [nvis, nx·ny] (instruments/dft.hpp conventions). For tests and tiny images.
at::Tensor dft_matrix(const std::vector<double>& u, const std::vector<double>& v, const ImageGrid& grid);

}  // namespace penumbra
