#pragma once
// The direct (non-uniform) Fourier transform: the test oracle of every NUFFT
// and imaging operator. Same conventions as instruments/nufft.hpp:
//
//   degrid:  (A x)_k  = Σ_j x_j · exp(−2πi (u_k l_j + v_k m_j))      image → visibilities
//   grid:    (Aᴴ y)_j = Re Σ_k y_k · exp(+2πi (u_k l_j + v_k m_j))    its adjoint for real images
//
// x is a real image in the ImageGrid layout (row-major [y][x], nx·ny values,
// l_j = grid.l(x), m_j = grid.m(y)); u, v in wavelengths; y, Aᴴy in the same units
// as x (no normalisation). Cost O(nvis · nx · ny): for tests and for checking a
// NUFFT on a subsample, never for production imaging.
//
// Evaluated in double with each phase reduced modulo one turn before the
// complex exponential, so it is accurate to ~1e-15 relative for any |u·l|.
// The exponential is separable (exp(−2πi u l)·exp(−2πi v m)), so each
// visibility costs nx + ny sincos and nx·ny complex multiply-adds.
// Parallel over visibilities (degrid) and image rows (grid) with `threads`
// std::threads (0: thread_count()); results do not depend on the thread count
// (each output is summed in the same order whatever the split).
#include <complex>
#include <span>
#include <vector>

#include "instruments/linear_operator.hpp"
#include "src/core/image_grid.hpp"

namespace penumbra {

// vis.size() == u.size() == v.size(), image.size() == grid.size(); UsageError otherwise.
void dft_degrid(std::span<const double> u, std::span<const double> v, const ImageGrid& grid,
                std::span<const double> image, std::span<std::complex<double>> vis, int threads = 0);

void dft_grid(std::span<const double> u, std::span<const double> v, const ImageGrid& grid,
              std::span<const std::complex<double>> vis, std::span<double> image, int threads = 0);

// The same transform as a LinearOperator (instruments/linear_operator.hpp), the
// oracle the operator checks compare the others with. Always evaluated in
// double; DftOperator<float> rounds its inputs up and its results down.
template <class T>  // float or double
class DftOperator final : public LinearOperator<T> {
 public:
  // u.size() == v.size() (UsageError otherwise); threads as for dft_degrid.
  DftOperator(std::vector<double> u, std::vector<double> v, const ImageGrid& grid, int threads = 0);

  void apply(std::span<const T> image, std::span<std::complex<T>> vis) const override;
  void adjoint(std::span<const std::complex<T>> vis, std::span<T> image) const override;
  OperatorShape shape() const override;  // [ny][nx] → nvis
  std::string_view name() const override { return "dft"; }

 private:
  std::vector<double> u_, v_;
  ImageGrid grid_;
  int threads_;
};

extern template class DftOperator<float>;
extern template class DftOperator<double>;

// Relative L2 error as in REFERENCE.md §1: sqrt(Σ|a−b|² / max(Σ|a|², Σ|b|²))
// (0 when both are zero). Sizes must match (UsageError otherwise).
double relative_l2_error(std::span<const std::complex<double>> a, std::span<const std::complex<double>> b);
double relative_l2_error(std::span<const double> a, std::span<const double> b);

}  // namespace penumbra
