#pragma once
// The seam every instrument operator implements: a linear map A from a real
// image to complex values (visibilities, uv cells), and its adjoint for real
// images,
//
//   apply:    out = A in          in: input_size() reals,  out: output_size() complex
//   adjoint:  out = Re Aᴴ in      in: output_size() complex, out: input_size() reals
//
// so that ⟨A x, y⟩ = Re Σ_k (A x)_k conj(y_k) = Σ_j x_j (Re Aᴴ y)_j for every real x
// and complex y. The image is row-major [height][width] (the ImageGrid layout of
// src/core/image_grid.hpp when the operator is an imaging one). T is the
// precision of both sides: float (complex64) or double (complex128).
//
// One virtual call per image, never per visibility: the implementations run
// their own loops over contiguous memory. Implemented by NufftPlan
// (instruments/nufft.hpp), DftOperator (instruments/dft.hpp) and GriddedOperator
// (instruments/gridded_operator.hpp); tests/support/operator_checks.hpp checks
// every one of them the same way. Calls are const but not necessarily
// reentrant (a plan owns its work buffers): one call at a time per object.
#include <complex>
#include <cstddef>
#include <span>
#include <string_view>
#include <type_traits>

namespace penumbra {

enum class Dtype { kFloat32, kFloat64 };

// Input image [height][width] (real) → `outputs` complex values.
struct OperatorShape {
  std::size_t height = 0, width = 0;
  std::size_t outputs = 0;
};

template <class T>
class LinearOperator {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "LinearOperator<float> or <double>");

 public:
  using value_type = T;
  virtual ~LinearOperator() = default;

  // Sizes must match input_size()/output_size(); UsageError otherwise.
  virtual void apply(std::span<const T> in, std::span<std::complex<T>> out) const = 0;
  virtual void adjoint(std::span<const std::complex<T>> in, std::span<T> out) const = 0;
  virtual OperatorShape shape() const = 0;
  virtual std::string_view name() const = 0;

  std::size_t input_size() const {
    const OperatorShape s = shape();
    return s.height * s.width;
  }
  std::size_t output_size() const { return shape().outputs; }
  static constexpr Dtype dtype() { return std::is_same_v<T, float> ? Dtype::kFloat32 : Dtype::kFloat64; }

 protected:
  LinearOperator() = default;
  LinearOperator(const LinearOperator&) = default;
  LinearOperator(LinearOperator&&) noexcept = default;
  LinearOperator& operator=(const LinearOperator&) = default;
  LinearOperator& operator=(LinearOperator&&) noexcept = default;
};

}  // namespace penumbra
