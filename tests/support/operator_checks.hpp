#pragma once
// The one check every LinearOperator (instruments/linear_operator.hpp) passes:
// sizes, adjointness ⟨A x, y⟩ = ⟨x, Re Aᴴ y⟩ (real part: the images are real),
// linearity of apply and of adjoint, and — where the operator is an imaging
// one — agreement with the direct Fourier transform (instruments/dft.hpp).
// Called from each operator's test file with its own problem; tolerances are
// by dtype, relative to the size of the terms compared, so one set fits every
// operator that is linear up to rounding.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "instruments/dft.hpp"
#include "instruments/linear_operator.hpp"
#include "src/core/image_grid.hpp"

namespace penumbra::test {

// Rounding-level agreement for a linear map in T (sums accumulated in T).
template <class T>
constexpr double rounding_tolerance() {
  return std::is_same_v<T, float> ? 2e-5 : 1e-13;
}

template <class T>
std::vector<T> random_real(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g;
  std::vector<T> x(n);
  for (auto& a : x) a = static_cast<T>(g(rng));
  return x;
}

template <class T>
std::vector<std::complex<T>> random_complex(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g;
  std::vector<std::complex<T>> y(n);
  for (auto& a : y) a = {static_cast<T>(g(rng)), static_cast<T>(g(rng))};
  return y;
}

template <class V>
std::vector<std::complex<double>> widen(const std::vector<std::complex<V>>& a) {
  return {a.begin(), a.end()};
}
template <class V>
std::vector<double> widen(const std::vector<V>& a) {
  return {a.begin(), a.end()};
}

// Sizes, adjointness and linearity, with random inputs drawn from `seed`.
template <class T>
void expect_linear_operator(const LinearOperator<T>& op, std::uint64_t seed = 1) {
  SCOPED_TRACE(std::string(op.name()) + (op.dtype() == Dtype::kFloat32 ? " float32" : " float64"));
  const OperatorShape s = op.shape();
  const std::size_t n = op.input_size(), m = op.output_size();
  ASSERT_EQ(n, s.height * s.width);
  ASSERT_GT(n, 0u);
  ASSERT_GT(m, 0u);
  const double tol = rounding_tolerance<T>();
  auto x1 = random_real<T>(n, seed), x2 = random_real<T>(n, seed + 1);
  auto y1 = random_complex<T>(m, seed + 2), y2 = random_complex<T>(m, seed + 3);
  std::vector<std::complex<T>> ax1(m), ax2(m), axc(m);
  std::vector<T> ay1(n), ay2(n), ayc(n);
  op.apply(x1, ax1);
  op.apply(x2, ax2);
  op.adjoint(y1, ay1);
  op.adjoint(y2, ay2);

  // ⟨A x, y⟩ = Re Σ (A x)_k conj(y_k) against Σ x_j (Re Aᴴ y)_j, relative to Σ |terms|.
  double lhs = 0, rhs = 0, scale = 0;
  for (std::size_t k = 0; k < m; ++k) {
    lhs += (std::complex<double>(ax1[k]) * std::conj(std::complex<double>(y1[k]))).real();
    scale += std::abs(std::complex<double>(ax1[k])) * std::abs(std::complex<double>(y1[k]));
  }
  for (std::size_t j = 0; j < n; ++j) rhs += double(x1[j]) * double(ay1[j]);
  EXPECT_LE(std::abs(lhs - rhs), tol * scale) << "adjointness: " << lhs << " vs " << rhs;

  // A (a x1 + b x2) = a A x1 + b A x2, and the same for the adjoint.
  const T a = T(2), b = T(-0.5);
  std::vector<T> xc(n);
  for (std::size_t j = 0; j < n; ++j) xc[j] = a * x1[j] + b * x2[j];
  op.apply(xc, axc);
  std::vector<std::complex<double>> want(m);
  for (std::size_t k = 0; k < m; ++k)
    want[k] = double(a) * std::complex<double>(ax1[k]) + double(b) * std::complex<double>(ax2[k]);
  EXPECT_LE(relative_l2_error(widen(axc), want), tol) << "apply is not linear";
  std::vector<std::complex<T>> yc(m);
  for (std::size_t k = 0; k < m; ++k) yc[k] = a * y1[k] + b * y2[k];
  op.adjoint(yc, ayc);
  std::vector<double> want_img(n);
  for (std::size_t j = 0; j < n; ++j) want_img[j] = double(a) * ay1[j] + double(b) * ay2[j];
  EXPECT_LE(relative_l2_error(widen(ayc), want_img), tol) << "adjoint is not linear";
}

// apply and adjoint against the direct transform at (u, v) on `grid`, relative
// L2 error ≤ `tolerance` each (an operator's accuracy, e.g. the NUFFT's ε).
template <class T>
void expect_matches_dft(const LinearOperator<T>& op, const std::vector<double>& u, const std::vector<double>& v,
                        const ImageGrid& grid, double tolerance, std::uint64_t seed = 11) {
  SCOPED_TRACE(std::string(op.name()) + " against the DFT");
  ASSERT_EQ(op.input_size(), grid.size());
  ASSERT_EQ(op.output_size(), u.size());
  DftOperator<double> dft(u, v, grid);
  auto x = random_real<T>(op.input_size(), seed);
  auto y = random_complex<T>(op.output_size(), seed + 1);
  std::vector<std::complex<T>> ax(u.size());
  std::vector<std::complex<double>> ref(u.size());
  op.apply(x, ax);
  dft.apply(widen(x), ref);
  EXPECT_LE(relative_l2_error(widen(ax), ref), tolerance) << "apply";
  std::vector<T> ay(grid.size());
  std::vector<double> ref_img(grid.size());
  op.adjoint(y, ay);
  dft.adjoint(widen(y), ref_img);
  EXPECT_LE(relative_l2_error(widen(ay), ref_img), tolerance) << "adjoint";
}

}  // namespace penumbra::test
