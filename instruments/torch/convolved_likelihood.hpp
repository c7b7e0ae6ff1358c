#pragma once
// The convolved-likelihood approximation on gridded visibilities (REFERENCE.md
// §2 "Posterior"; derivation in docs/sampling.md), for diffusion sampling:
//
//   ∇ₓ log p_σ(y | x) ≈ Aᵀ (Σ_y + σ² diag(A Aᵀ))⁻¹ (y − A x)
//
// The operator A (the "gridded operator", GriddedOperator of
// instruments/gridded_operator.hpp): the N×N image is zero-padded to the
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
#include <vector>

#include "instruments/gridded_visibilities.hpp"
#include "instruments/torch/exact_likelihood.hpp"
#include "src/model/model.hpp"

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
  // The sampling path works on the half spectrum (rfft columns 0..M/2): the
  // image is real and the gridded data Hermitian, so the residual and the
  // per-cell solve are Hermitian too and the other half adds nothing. It also
  // places the image at indices 0..N−1 (no roll): A x = e^{iφ_k} F_k with F the
  // plain transform and φ_k = 2π(kx + ky)(N/2)/M, so the phase is folded into the
  // data (y' = e^{−iφ} y) and into each cell's 2×2 solve, and the zero rows of
  // the padded image are never transformed.
  std::int64_t mh_ = 0;                       // M/2 + 1
  at::Tensor y_;                              // y' [M, M/2+1], the complex sampler dtype (energy)
  at::Tensor e_re_, e_im_;                    // energy weights multiplicity·f_c/v [M, M/2+1]
  struct Cell {                               // one occupied half-spectrum cell, for the fused solve
    std::int64_t index;                       // ky·(M/2+1) + kx
    double var, c_re, c_im, c_ri;             // v and the AAᵀ block
    double f_re, f_im;                        // weights f_c of Re and Im (self-conjugate: 1, 0)
    double cos_phi, sin_phi;                  // e^{iφ}
    double y_re, y_im;                        // y'
  };
  std::vector<Cell> cells_;
  std::vector<std::int64_t> cell_index_, empty_;  // occupied cells' indices; half-spectrum cells without data
  struct FullGrid;
  FullGrid read_cells(const GriddedVisibilities& g);  // counts occupied_
  void build_half_spectrum(const FullGrid& full, at::ScalarType dtype);  // needs blocks_
  // F = plain transform [B, M, M/2+1]; and its adjoint back to [B, N, N].
  at::Tensor forward_plain(const at::Tensor& x) const;
  at::Tensor adjoint_plain(const at::Tensor& g) const;
  // In place: F ← e^{−iφ} G_σ(e^{iφ}(y' − F)), the weighted per-cell solve, for each chain's σ.
  void solve_in_place(at::Tensor& f, const at::Tensor& sigma) const;
};

}  // namespace penumbra
