#pragma once
// Gridded visibilities: the measured visibilities binned onto the FFT uv grid
// of the image, for the diffusion samplers' convolved-likelihood approximation
// (REFERENCE.md §2 "Posterior"), where A Aᵀ must be diagonal.
//
// The grid and how it relates to the operator A (instruments/nufft.hpp)
// ---------------------------------------------------------------------
// Image: nx × ny pixels of `cell` radians, ImageGrid layout ([y][x], phase
// centre at pixel (nx/2, ny/2), l = −(x − nx/2)·cell, m = (y − ny/2)·cell).
// uv grid: nx × ny cells of Δu = 1/(nx·cell), Δv = 1/(ny·cell), stored in
// *FFT order* [ky][kx], ky ∈ [0, ny), kx ∈ [0, nx); the signed frequency of
// an index k is k for k < n/2 and k − n otherwise.
//
// Let x' be the image rolled so that its phase-centre pixel sits at index
// (0, 0) (numpy: ifftshift), and F = the unnormalised forward DFT
// (FFTW_FORWARD, exponent −2πi, no 1/N):
//     F[ky][kx] = Σ_{y,x} x'[y][x] · exp(−2πi (ky·y/ny + kx·x/nx)).
// Then the operator A evaluated on grid points is exactly
//     (A x)(u = −kx·Δu, v = +ky·Δv) = F[ky][kx]
// — note the minus sign on u: l grows towards East, i.e. towards decreasing x.
// So a visibility at (u, v) belongs to the cell
//     kx = round(−u/Δu) mod nx,   ky = round(v/Δv) mod ny
// (nearest grid point; the mod makes the ±n/2 frequencies one bin, as in the FFT).
// With the orthonormal DFT F/√(nx·ny), A restricted to the grid is
// √(nx·ny) · (orthonormal DFT) ∘ ifftshift, which is what makes A Aᵀ diagonal.
//
// Contents per cell
// -----------------
// Every visibility V_k (thermal weight w_k = 1/σ_k², σ_k the rms of Re and of
// Im) contributes V_k to its cell and its Hermitian copy conj(V_k) to the
// cell of (−u, −v), so the grid is Hermitian: mean[−k] = conj(mean[k]).
//   weight   Σ w over the cell (each measured visibility counted once per cell)
//   mean     Σ w·V / Σ w                     (0 where weight = 0)
//   variance 1/Σw: the variance of Re(mean) and of Im(mean), each
//            (+∞ where the cell is empty)
//   count    how many measured visibilities landed in the cell
// Self-conjugate cells (k ≡ −k: the DC cell and the Nyquist row/column) receive
// V and conj(V) together: their mean is real, Im(mean) is exactly 0 with no
// noise, and the variance given is that of Re(mean) (the two copies carry the
// same noise, so they are counted once, not twice).
#include <cmath>
#include <complex>
#include <cstdint>
#include <vector>

#include "src/core/image_grid.hpp"
#include "src/core/observation.hpp"

namespace penumbra {

struct GriddedVisibilities {
  int nx = 0, ny = 0;
  double du = 0, dv = 0;                    // cell size in wavelengths: 1/(nx·cell), 1/(ny·cell)
  std::vector<std::complex<double>> mean;   // [ky][kx], FFT order, Jy (internal sign convention)
  std::vector<double> weight;               // [ky][kx], Σw, Jy⁻²
  std::vector<double> variance;             // [ky][kx], 1/Σw, Jy² (per Re and per Im); +∞ when empty
  std::vector<std::int64_t> count;          // [ky][kx]
  std::size_t nvis = 0;                     // measured visibilities gridded

  std::size_t index(int ky, int kx) const { return static_cast<std::size_t>(ky) * nx + kx; }
  // Signed frequency of FFT index k on an axis of n cells.
  static int signed_frequency(int k, int n) { return k < (n + 1) / 2 ? k : k - n; }
  // True for cells that are their own Hermitian partner (DC, Nyquist).
  bool self_conjugate(int ky, int kx) const { return (2 * ky) % ny == 0 && (2 * kx) % nx == 0; }
  // The (u, v) in wavelengths of a cell's centre.
  double u_of(int kx) const { return -signed_frequency(kx, nx) * du; }
  double v_of(int ky) const { return signed_frequency(ky, ny) * dv; }
  std::size_t occupied_cells() const;
};

// FFT-order cell of a uv point on a grid of nx × ny cells of size du × dv
// (see above). lround is symmetric, so the cell of (−u, −v) is always the
// negated cell of (u, v).
inline void uv_to_fft_cell(double u, double v, int nx, int ny, double du, double dv, int& kx, int& ky) {
  long px = std::lround(-u / du), py = std::lround(v / dv);
  kx = static_cast<int>(((px % nx) + nx) % nx);
  ky = static_cast<int>(((py % ny) + ny) % ny);
}

// Bins `vis` (internal sign convention, thermal weights) onto the FFT grid of
// `grid`. Throws DataError for an invalid set (VisibilitySet::validate).
GriddedVisibilities grid_visibilities(const VisibilitySet& vis, const ImageGrid& grid);

}  // namespace penumbra
