#pragma once
// The convolved-likelihood approximation on gridded visibilities (REFERENCE.md
// §2 "Posterior"; derivation in docs/sampling.md), for diffusion sampling:
//
//   ∇ₓ log p_σ(y | x) ≈ Aᵀ (Σ_y + σ² diag(A Aᵀ))⁻¹ (y − A x)
//
// The operator A (the "gridded operator"): the N×N image is zero-padded to the
// M×M grid (M = pad·N, phase centre → M/2), rolled so the phase centre is
// index 0, and Fourier transformed (unnormalised, e^{−2πi k·j/M}); A keeps the
// occupied cells of instruments/gridded_visibilities.hpp on that M×M grid
// (Δu = 1/(M·cell)). Its real form maps x to (Re, Im) per cell. For the
// padded grid AAᵀ is NOT diagonal across cells (the image window makes
// neighbouring cells correlate), and within a cell Re and Im have
//   Var Re = ½(n + Re D_k),  Var Im = ½(n − Re D_k),  Cov(Re, Im) = ½ Im D_k,
//   D_k = Π_axes Σ_{j=−N/2}^{N/2−1} exp(−2πi·2k·j/M),   n = N²,
// which this class uses as the "diagonal": the exact 2×2 per-cell blocks of AAᵀ.
// (With M = 2N, D_k vanishes except at the four cells with k ≡ 0 mod N per
// axis, so Var Re = Var Im = n/2 almost everywhere; with M = N it reduces to the
// orthonormal-DFT picture with the DC/Nyquist exceptions.)
//
// The gridded data hold each measurement twice (at k and its Hermitian
// partner −k), so every non-self-conjugate cell enters the likelihood with
// weight ½; self-conjugate cells (DC, Nyquist) carry only Re (their Im is
// identically zero for a real image). σ is the prior's noise level, in prior
// units (σ_phys = scale·σ). Name: "convolved-gridded".
#include <ATen/core/Tensor.h>

#include <string>

#include "instruments/gridded_visibilities.hpp"
#include "instruments/torch/exact_likelihood.hpp"
#include "src/core/model.hpp"

namespace penumbra {

class ConvolvedGriddedLikelihood final : public Likelihood {
 public:
  // `g` must be gridded on the M×M padded grid of the image (ImageGrid{M, M, cell}),
  // M ≥ N and M − N even. dtype: the dtype the sampler will pass (float32/float64).
  ConvolvedGriddedLikelihood(const GriddedVisibilities& g, int image_size, PixelUnits units = {},
                             at::ScalarType dtype = at::kFloat);
  at::Tensor score(const at::Tensor& x, const at::Tensor& sigma) const override;
  // ½ Σ_cells f_c [r_re²/v + r_im²/v]: the σ = 0 energy of the gridded data.
  at::Tensor energy(const at::Tensor& x) const override;
  std::string name() const override { return "convolved-gridded"; }

  // The gridded operator and its adjoint (physical units: no PixelUnits applied).
  // x [B, N, N] → complex [B, M, M] (all cells, FFT order); g complex [B, M, M] → [B, N, N]
  // with Aᵀg = Re Σ_k g_k e^{+2πi k·j/M} (the real adjoint for ⟨a, b⟩ = Re Σ a conj(b)).
  at::Tensor apply(const at::Tensor& x) const;
  at::Tensor adjoint(const at::Tensor& g) const;
  // The per-cell 2×2 blocks of A Aᵀ (formula above), float64 [3, M, M]: Var Re, Var Im, Cov.
  at::Tensor aat_blocks() const { return blocks_; }
  int image_size() const { return n_; }
  int grid_size() const { return m_; }
  std::int64_t occupied_cells() const { return occupied_; }

 private:
  int n_, m_;
  PixelUnits units_;
  std::int64_t occupied_ = 0;
  at::Tensor blocks_;                         // float64 [3, M, M]
  // The sampling path works on the half spectrum (rfft2 columns 0..M/2): the
  // image is real and the gridded data Hermitian, so the residual and the
  // per-cell solve are Hermitian too and the other half adds nothing.
  // All [M, M/2+1], the sampler's dtype (y_: its complex dtype).
  at::Tensor y_;                              // gridded data
  at::Tensor var_, half_re_, half_im_;        // variance; f_c masks (0 where unused)
  at::Tensor c_re_, c_im_, c_ri_;             // AAᵀ blocks
  at::Tensor self_;                           // bool: self-conjugate occupied cells (Re only)
  at::Tensor e_re_, e_im_;                    // energy weights: multiplicity·f_c/v
  // x [B, N, N] (physical units) → A x on the half spectrum, complex [B, M, M/2+1].
  at::Tensor apply_half(const at::Tensor& x) const;
  // Hermitian g on the half spectrum → Aᵀ g [B, N, N].
  at::Tensor adjoint_half(const at::Tensor& g) const;
  // The per-cell solve as g = α r + β conj(r) for noise level(s) σ [B] (one set when all equal).
  std::pair<at::Tensor, at::Tensor> solve_coefficients(const at::Tensor& sigma) const;
};

}  // namespace penumbra
