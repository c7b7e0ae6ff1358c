#pragma once
// The "exponential of semicircle" gridding kernel of the planned NUFFT
// (instruments/nufft.hpp), private to it but tested on its own.
//
//   ψ(r) = exp(β·W·(√(1 − (2r/W)²) − 1)),  |r| ≤ W/2 (r in grid cells), 0 outside,
//
// W the support in cells and β a shape factor per cell of support. Its Fourier
// transform ψ̂(k) = ∫ ψ(r) cos(2πkr) dr (k in cycles per cell) is what the
// image is divided by ("grid correction"); it has no closed form and is
// computed by Gauss–Legendre quadrature after the substitution 2r/W = sin θ,
// which makes the integrand analytic (the √ end-point singularity disappears),
// so the quadrature converges exponentially.
#include <cstddef>
#include <vector>

namespace penumbra::nufft_detail {

struct KernelParams {
  int support = 0;       // W, cells
  double sigma = 0;      // oversampling factor of the FFT grid
  double beta = 0;       // shape factor per cell of support (exponent scale β·W)
};

// Support, oversampling and β for a requested relative L2 accuracy `epsilon`
// (single: float arithmetic). Picks, among the calibrated oversampling factors,
// the cheapest (spreading ∝ nvis·W², FFT ∝ N² log N) whose calibrated error meets
// ε. The table is measured (see docs/benchmarks.md, "kernel calibration").
KernelParams choose_kernel(double epsilon, bool single, std::size_t nvis, int nx, int ny);

// The calibrated table itself: the largest ε that support W reaches at
// oversampling σ (σ among calibrated_sigmas()), or 0 when W is too small
// for any ε in the supported range.
const std::vector<double>& calibrated_sigmas();
double calibrated_error(double sigma, int support);
// β per cell of support used for (σ, W): 0.97·π·(1 − 1/(2σ)) (Barnett et al. 2019),
// checked by the calibration scan.
double default_beta(double sigma);

// Degree of the kernel polynomial: the lowest with which the end-to-end error stays
// at the calibrated value (higher degrees change nothing: the kernel's own aliasing
// dominates).
int kernel_degree(int support);

double es_kernel(double r, int support, double beta);
// ψ̂(k), by `nodes`-point Gauss–Legendre quadrature (0: a count that is converged
// to double precision for W ≤ 16, |k| ≤ 1).
double es_kernel_ft(double k, int support, double beta, int nodes = 0);

// The kernel tabulated as one polynomial per unit cell of the support, so a point
// needs W polynomial evaluations that share one argument (vectorisable):
//   ψ(−W/2 + i + f) ≈ Σ_d coeffs[d·lanes + i] · z^(degree−d),  z = 2f − 1 ∈ [−1, 1],
// for cells i < W; lanes ≥ W (padding lanes are zero). Fitted by Chebyshev
// interpolation; the degree is raised until the measured maximum error on a
// fine sample is ≤ tolerance (or the degree cap is hit, see max_error).
struct KernelPolynomial {
  int support = 0, lanes = 0, degree = 0;
  std::vector<double> coeffs;  // [(degree + 1) · lanes], highest power first
  double max_error = 0;        // measured max |poly − ψ| over the support (ψ(0) = 1)
};
// Degrees tried: min_degree..max_degree (the first that meets the tolerance wins;
// otherwise the most accurate). The two outer cells carry the kernel's √-type edge
// (ψ jumps from e^(−βW) to 0), so their error falls only slowly with the degree.
KernelPolynomial fit_kernel_polynomial(int support, double beta, int lanes, double tolerance, int min_degree = 4,
                                       int max_degree = 24);

// Smallest even n' ≥ n whose prime factors are 2, 3, 5, 7 (fast FFT sizes).
int next_fft_size(int n);

}  // namespace penumbra::nufft_detail
