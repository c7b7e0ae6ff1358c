#include "instruments/es_kernel.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>
#include <numbers>

#include "src/core/errors.hpp"

namespace penumbra::nufft_detail {
namespace {

constexpr double kPi = std::numbers::pi;

// Gauss–Legendre nodes and weights on [−1, 1] (Newton on P_n, Golub-free).
struct GaussLegendre {
  std::vector<double> x, w;
};

const GaussLegendre& gauss_legendre(int n) {
  static std::mutex m;
  static std::map<int, GaussLegendre> cache;
  std::lock_guard<std::mutex> lock(m);
  auto it = cache.find(n);
  if (it != cache.end()) return it->second;
  GaussLegendre g;
  g.x.resize(n);
  g.w.resize(n);
  for (int i = 0; i < (n + 1) / 2; ++i) {
    double z = std::cos(kPi * (i + 0.75) / (n + 0.5)), dp = 0;
    for (int iter = 0; iter < 100; ++iter) {
      double p0 = 1, p1 = 0;
      for (int j = 1; j <= n; ++j) {
        double p2 = p1;
        p1 = p0;
        p0 = ((2.0 * j - 1) * z * p1 - (j - 1.0) * p2) / j;
      }
      dp = n * (z * p0 - p1) / (z * z - 1);
      double dz = p0 / dp;
      z -= dz;
      if (std::abs(dz) < 1e-16) break;
    }
    g.x[i] = -z;
    g.x[n - 1 - i] = z;
    g.w[i] = g.w[n - 1 - i] = 2 / ((1 - z * z) * dp * dp);
  }
  return cache.emplace(n, std::move(g)).first->second;
}

// Calibrated table: calibrated_error(σ, W) = worst achieved relative L2 error of
// the 2-D NUFFT (degrid and grid, double) against the direct transform, measured by
// `bench_nufft --calibrate` (docs/benchmarks.md) and rounded up. Rows: σ; columns: W = 2..16.
constexpr std::array<double, 4> kSigmas = {1.25, 1.5, 1.75, 2.0};
constexpr int kMinW = 2, kMaxW = 16;
// Measured with kernel polynomials of degree max(4, W + 1) and β =
// default_beta(σ), ×1.5 margin. `bench_nufft --beta-scan` found γ = 0.97 best (of
// 0.85…1.06) for W ≥ 6 and within 2× of the best for W = 4.
constexpr double kCalibration[4][kMaxW - kMinW + 1] = {
    {3.1e-01, 8.7e-02, 2.1e-02, 4.8e-03, 1.1e-03, 2.3e-04, 5.5e-05, 1.5e-05, 4.5e-06, 1.3e-06, 3.7e-07, 9.0e-08, 2.0e-08, 3.7e-09, 8.2e-10},  // σ = 1.25
    {2.1e-01, 3.7e-02, 5.8e-03, 8.3e-04, 1.2e-04, 1.9e-05, 3.6e-06, 6.9e-07, 1.2e-07, 2.1e-08, 3.3e-09, 5.1e-10, 8.3e-11, 1.5e-11, 3.0e-12},  // σ = 1.5
    {1.6e-01, 2.2e-02, 2.6e-03, 2.9e-04, 3.4e-05, 4.9e-06, 7.5e-07, 1.0e-07, 1.4e-08, 1.7e-09, 2.1e-10, 2.9e-11, 4.1e-12, 5.8e-13, 8.3e-14},  // σ = 1.75
    {1.4e-01, 1.6e-02, 1.5e-03, 1.4e-04, 1.5e-05, 2.0e-06, 2.5e-07, 2.8e-08, 2.9e-09, 3.1e-10, 3.5e-11, 4.4e-12, 5.2e-13, 6.1e-14, 1.1e-14},  // σ = 2.0
};

}  // namespace

const std::vector<double>& calibrated_sigmas() {
  static const std::vector<double> s(kSigmas.begin(), kSigmas.end());
  return s;
}

double calibrated_error(double sigma, int support) {
  if (support < kMinW || support > kMaxW) return 0;
  for (std::size_t i = 0; i < kSigmas.size(); ++i)
    if (std::abs(kSigmas[i] - sigma) < 1e-9) return kCalibration[i][support - kMinW];
  return 0;
}

// W − 1 for W ≥ 7 changed the calibrated errors by < 1 % (at most 0.6 %, W = 7;
// `bench_nufft --calibrate` lists degrees W − 2 … 24), well inside the table's ×1.5
// margin; below that the degree matters more (W = 6 at degree 5: +5 %).
int kernel_degree(int support) { return support >= 7 ? support - 1 : std::max(4, support + 1); }

double default_beta(double sigma) { return 0.97 * kPi * (1 - 0.5 / sigma); }

KernelParams choose_kernel(double epsilon, bool single, std::size_t nvis, int nx, int ny) {
  double lo = single ? 1e-5 : 1e-10;
  if (!(epsilon >= lo && epsilon <= 1e-1))
    throw UsageError(fmt::format("NUFFT accuracy epsilon = {:g} is outside the supported range [{:g}, 0.1] for {} precision",
                                 epsilon, lo, single ? "single" : "double"));
  KernelParams best;
  double best_cost = std::numeric_limits<double>::infinity();
  for (double sigma : kSigmas) {
    int w = 0;
    for (int cand = kMinW; cand <= kMaxW; ++cand) {
      double e = calibrated_error(sigma, cand);
      // Float arithmetic adds ~1e-7·√(operations) of rounding: keep a margin.
      if (e > 0 && e <= epsilon * (single ? 0.5 : 1.0)) {
        w = cand;
        break;
      }
    }
    if (w == 0) continue;
    double nxp = next_fft_size(static_cast<int>(std::ceil(sigma * nx)));
    double nyp = next_fft_size(static_cast<int>(std::ceil(sigma * ny)));
    // Cost model in nanoseconds on one core (measured order of magnitude, see
    // docs/benchmarks.md): spreading ≈ 0.3 ns per kernel cell and point plus
    // per-point overhead; half-complex FFT ≈ 0.5 ns per point and log2.
    double spread = static_cast<double>(nvis) * (0.3 * w * w + 4.0 * w + 10.0);
    double fft = 0.5 * nxp * nyp * std::log2(nxp * nyp) * 0.6;
    double cost = spread + fft;
    if (cost < best_cost) {
      best_cost = cost;
      best = {w, sigma, default_beta(sigma)};
    }
  }
  if (best.support == 0)
    throw UsageError(fmt::format("NUFFT accuracy epsilon = {:g} cannot be reached by the calibrated kernels", epsilon));
  return best;
}

double es_kernel(double r, int support, double beta) {
  double x = 2 * r / support;
  if (std::abs(x) > 1) return 0;
  return std::exp(beta * support * (std::sqrt(1 - x * x) - 1));
}

double es_kernel_ft(double k, int support, double beta, int nodes) {
  // r = (W/2)·sin θ, dr = (W/2) cos θ dθ, √(1 − x²) = cos θ, θ ∈ [−π/2, π/2].
  if (nodes <= 0) nodes = 80 + 8 * support;
  const GaussLegendre& g = gauss_legendre(nodes);
  double h = 0.5 * support, bw = beta * support, sum = 0;
  for (int i = 0; i < nodes; ++i) {
    double th = 0.5 * kPi * g.x[i];
    double c = std::cos(th);
    sum += g.w[i] * std::exp(bw * (c - 1)) * std::cos(2 * kPi * k * h * std::sin(th)) * c;
  }
  return sum * h * 0.5 * kPi;
}

KernelPolynomial fit_kernel_polynomial(int support, double beta, int lanes, double tolerance, int min_degree,
                                       int max_degree) {
  if (lanes < support) throw InternalError("fit_kernel_polynomial: fewer lanes than the support");
  KernelPolynomial best;
  for (int degree = min_degree; degree <= max_degree; ++degree) {
    KernelPolynomial p;
    p.support = support;
    p.lanes = lanes;
    p.degree = degree;
    p.coeffs.assign(static_cast<std::size_t>(degree + 1) * lanes, 0.0);
    const int n = degree + 1;
    for (int i = 0; i < support; ++i) {
      // Chebyshev interpolation of ψ(−W/2 + i + (z + 1)/2) on z ∈ [−1, 1].
      std::vector<double> vals(n), cheb(n, 0.0);
      for (int k = 0; k < n; ++k) {
        double z = std::cos(kPi * (k + 0.5) / n);
        vals[k] = es_kernel(-0.5 * support + i + 0.5 * (z + 1), support, beta);
      }
      for (int j = 0; j < n; ++j) {
        double s = 0;
        for (int k = 0; k < n; ++k) s += vals[k] * std::cos(kPi * j * (k + 0.5) / n);
        cheb[j] = s * 2.0 / n;
      }
      cheb[0] *= 0.5;
      // Σ cheb_j T_j(z) in monomials: T_{j+1} = 2z T_j − T_{j−1}.
      std::vector<double> mono(n, 0.0), tprev(n, 0.0), tcur(n, 0.0), tnext(n, 0.0);
      tprev[0] = 1;  // T_0
      if (n > 1) tcur[1] = 1;  // T_1
      for (int d = 0; d < n; ++d) mono[d] += cheb[0] * tprev[d];
      if (n > 1)
        for (int d = 0; d < n; ++d) mono[d] += cheb[1] * tcur[d];
      for (int j = 2; j < n; ++j) {
        for (int d = 0; d < n; ++d) tnext[d] = (d > 0 ? 2 * tcur[d - 1] : 0.0) - tprev[d];
        for (int d = 0; d < n; ++d) mono[d] += cheb[j] * tnext[d];
        tprev = tcur;
        tcur = tnext;
      }
      for (int d = 0; d <= degree; ++d) p.coeffs[static_cast<std::size_t>(degree - d) * lanes + i] = mono[d];
    }
    // Measure: Horner in double on a fine sample of every cell.
    double err = 0;
    for (int i = 0; i < support; ++i)
      for (int s = 0; s <= 256; ++s) {
        double z = -1 + 2.0 * s / 256;
        double acc = 0;
        for (int d = 0; d <= degree; ++d) acc = acc * z + p.coeffs[static_cast<std::size_t>(d) * lanes + i];
        // The kernel is discontinuous at ±W/2 (ψ jumps to 0 outside), so the last
        // cell's right end is the limit from inside: evaluate inside the support.
        double r = -0.5 * support + i + 0.5 * (z + 1);
        r = std::clamp(r, -0.5 * support, 0.5 * support);
        err = std::max(err, std::abs(acc - es_kernel(r, support, beta)));
      }
    p.max_error = err;
    if (best.degree == 0 || err < best.max_error) best = p;
    if (err <= tolerance) return p;
  }
  return best;
}

int next_fft_size(int n) {
  if (n < 2) n = 2;
  for (int m = n + (n & 1);; m += 2) {
    int r = m;
    for (int p : {2, 3, 5, 7})
      while (r % p == 0) r /= p;
    if (r == 1) return m;
  }
}

}  // namespace penumbra::nufft_detail
