#pragma once
// The measurement operator as differentiable tensor functions for the
// probabilistic layer (the only place where instruments meet LibTorch).
//
//   apply(x)   = A x      x real [B, H, W] (or [H, W])  →  complex [B, M] (or [M])
//   adjoint(y) = Re Aᴴ y  y complex [B, M] (or [M])     →  real [B, H, W] (or [H, W])
//
// with A as in instruments/nufft.hpp ((A x)_k = Σ_j x_j exp(−2πi(u_k l_j + v_k m_j)),
// images in the ImageGrid layout, H = ny, W = nx). Both are
// torch::autograd::Functions whose backward is the other one, following
// PyTorch's convention for complex tensors (the gradient handed back for a
// complex output z is ∂L/∂Re z + i ∂L/∂Im z): for a real loss L,
//   ∂L/∂x = Re Aᴴ (∂L/∂z)   and   ∂L/∂y = A (∂L/∂x).
// float32 images run through a NufftPlan<float> (→ complex64), float64 through a
// NufftPlan<double> (→ complex128); each plan is built on first use and seen
// through its LinearOperator interface (instruments/linear_operator.hpp). CPU tensors
// only. Calls are serialised per plan (a plan is not reentrant). Autograd graphs
// keep the operator's state alive, so they may outlive the NufftOperator object.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "instruments/nufft.hpp"
#include "src/core/image_grid.hpp"

namespace penumbra {

class NufftOperator {
 public:
  // u, v in wavelengths; ε is the double-precision accuracy, float plans use
  // max(ε, 1e-5) (the float NUFFT's floor).
  NufftOperator(std::vector<double> u, std::vector<double> v, const ImageGrid& grid, double epsilon = 1e-6,
                int threads = 0);
  ~NufftOperator();
  NufftOperator(const NufftOperator&) = default;
  NufftOperator& operator=(const NufftOperator&) = default;

  at::Tensor apply(const at::Tensor& images) const;
  at::Tensor adjoint(const at::Tensor& vis) const;

  std::int64_t nvis() const;
  const ImageGrid& grid() const;
  // The underlying plans (built on demand), e.g. for GaussianVisibilityLikelihood.
  // Calls through them are not serialised with this operator's.
  std::shared_ptr<const NufftPlan<double>> plan_double() const;
  std::shared_ptr<const NufftPlan<float>> plan_float() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace penumbra
