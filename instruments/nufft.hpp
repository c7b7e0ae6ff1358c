#pragma once
// The interferometer's measurement operator as a planned type-2/type-1 NUFFT.
//
//   degrid:  (A x)_k  = Σ_j x_j · exp(−2πi (u_k l_j + v_k m_j))      image → visibilities
//   grid:    (Aᴴ y)_j = Re Σ_k y_k · exp(+2πi (u_k l_j + v_k m_j))    its adjoint for real images
//
// x is a real image in the ImageGrid layout ([y][x], l_j and m_j from the grid),
// u, v in wavelengths, sign convention as in src/core/observation.hpp. A plan
// is built once per (uv points, image grid, ε) — points bucketed by grid tile,
// kernel parameters chosen from ε, FFTW_MEASURE plans — and then applied
// thousands of times. Achieved relative L2 error against the direct transform
// (instruments/dft.hpp) is ≤ ε. A plan is not reentrant: one call at a time
// (it parallelises internally over thread_count() threads). As a LinearOperator
// (instruments/linear_operator.hpp), apply is degrid and adjoint is grid.
#include <complex>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "instruments/linear_operator.hpp"
#include "src/core/image_grid.hpp"

namespace penumbra {

// Expert overrides of the kernel choice (calibration, benchmarks); 0 = chosen from ε.
struct NufftOptions {
  int support = 0;      // kernel width W in grid cells (2..16)
  double sigma = 0;     // oversampling factor (≥ 1.2)
  double beta = 0;      // kernel shape factor per cell of support
  int tile = 0;         // tile side in grid cells (≥ lanes − 1)
  int degree = 0;       // degree of the kernel's piecewise polynomial (4..24)
  bool portable = false;  // use the portable kernels even where AVX2 is available (tests)
};

template <class T>  // float or double
class NufftPlan final : public LinearOperator<T> {
 public:
  // ε in [1e-10, 1e-1] for double, [1e-5, 1e-1] for float; UsageError otherwise.
  // Throws UsageError when a |u| or |v| exceeds what the grid resolves (1/(2·cell)),
  // naming the longest baseline and the cell size that would fit.
  NufftPlan(std::span<const double> u, std::span<const double> v, const ImageGrid& grid, double epsilon,
            int threads = 0 /* 0: thread_count() */);
  // Same, with the kernel parameters that `options` sets overriding the choice from ε
  // (ε then only sets the polynomial accuracy of the kernel evaluation).
  NufftPlan(std::span<const double> u, std::span<const double> v, const ImageGrid& grid, double epsilon,
            const NufftOptions& options, int threads = 0);
  ~NufftPlan();
  NufftPlan(NufftPlan&&) noexcept;
  NufftPlan& operator=(NufftPlan&&) noexcept;

  void degrid(std::span<const T> image, std::span<std::complex<T>> vis) const;
  void grid(std::span<const std::complex<T>> vis, std::span<T> image) const;

  void apply(std::span<const T> image, std::span<std::complex<T>> vis) const override { degrid(image, vis); }
  void adjoint(std::span<const std::complex<T>> vis, std::span<T> image) const override { grid(vis, image); }
  OperatorShape shape() const override;  // [ny][nx] → nvis
  std::string_view name() const override { return "nufft"; }

  std::size_t nvis() const;
  const ImageGrid& image_grid() const;
  double epsilon() const;
  int support() const;           // kernel width W in grid cells
  double oversampling() const;   // σ
  int padded_size() const;       // FFT grid side
  double plan_seconds() const;   // time spent building the plan
  int threads() const;           // threads the plan runs on
  const char* isa() const;       // instruction set of the spreading kernels ("avx2", "generic")

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Plans built so far in this process (either precision). A plan costs FFTW
// planning and a sort of the uv points, so a run builds one per (uv points,
// grid, ε) and shares it; tests count with this to keep it so.
std::int64_t nufft_plans_built();

extern template class NufftPlan<float>;
extern template class NufftPlan<double>;

}  // namespace penumbra
