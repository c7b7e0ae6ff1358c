#pragma once
// The gridded operator: the measurement operator A of instruments/nufft.hpp
// evaluated exactly on the cell centres of a uv grid (instruments/gridded_visibilities.hpp),
// which is the operator of the convolved-likelihood path
// (instruments/torch/convolved_likelihood.hpp). The nx × ny image is zero-padded
// to the mx × my grid, rolled so that its phase-centre pixel (nx/2, ny/2) sits at
// index (0, 0), and Fourier transformed without normalisation:
//
//   (A x)[ky][kx] = Σ_{y,x} x[y][x] · exp(−2πi (kx·(x − nx/2)/mx + ky·(y − ny/2)/my))
//
// which is the direct transform (instruments/dft.hpp) at the cell centres
// u = −kx'·Δu, v = ky'·Δv (k' the signed frequency, Δu = 1/(mx·cell),
// Δv = 1/(my·cell)). Output: all mx·my cells in FFT order [ky][kx].
// Adjoint: (Re Aᴴ y)[y][x] = Re Σ_k y_k exp(+2πi (…)), the unnormalised backward
// transform cropped back to the image. One FFT of the padded grid per call
// (FFTW, planned once); not reentrant.
#include <complex>
#include <memory>
#include <span>
#include <vector>

#include "instruments/linear_operator.hpp"
#include "src/core/image_grid.hpp"

namespace penumbra {

template <class T>  // float or double
class GriddedOperator final : public LinearOperator<T> {
 public:
  // padded_nx ≥ image.nx and padded_ny ≥ image.ny (UsageError otherwise).
  GriddedOperator(const ImageGrid& image, int padded_nx, int padded_ny);
  ~GriddedOperator();
  GriddedOperator(GriddedOperator&&) noexcept = default;

  void apply(std::span<const T> image, std::span<std::complex<T>> cells) const override;
  void adjoint(std::span<const std::complex<T>> cells, std::span<T> image) const override;
  OperatorShape shape() const override;  // [ny][nx] → mx·my
  std::string_view name() const override { return "gridded"; }

  // The (u, v) in wavelengths of every output cell's centre, in output order.
  struct CellCentres {
    std::vector<double> u, v;
  };
  CellCentres cell_centres() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

extern template class GriddedOperator<float>;
extern template class GriddedOperator<double>;

}  // namespace penumbra
