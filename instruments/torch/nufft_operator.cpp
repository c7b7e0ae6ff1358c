#include "instruments/torch/nufft_operator.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include <algorithm>
#include <complex>
#include <mutex>

#include "src/core/errors.hpp"

namespace penumbra {

namespace {

// Batched calls of a LinearOperator (instruments/linear_operator.hpp), one image
// at a time, serialised per operator (an operator is not reentrant).
template <class T>
at::Tensor apply_batch(const LinearOperator<T>& op, std::mutex& mutex, const at::Tensor& x) {
  const std::int64_t b = x.size(0), n = static_cast<std::int64_t>(op.input_size()),
                     m = static_cast<std::int64_t>(op.output_size());
  at::Tensor out = torch::empty({b, m}, torch::dtype(c10::CppTypeToScalarType<c10::complex<T>>::value));
  const T* in = x.data_ptr<T>();
  auto* o = reinterpret_cast<std::complex<T>*>(out.data_ptr<c10::complex<T>>());
  std::lock_guard lock(mutex);
  for (std::int64_t i = 0; i < b; ++i)
    op.apply(std::span<const T>(in + i * n, n), std::span<std::complex<T>>(o + i * m, m));
  return out;
}

template <class T>
at::Tensor adjoint_batch(const LinearOperator<T>& op, std::mutex& mutex, const at::Tensor& y) {
  const OperatorShape s = op.shape();
  const std::int64_t b = y.size(0), n = static_cast<std::int64_t>(op.input_size()),
                     m = static_cast<std::int64_t>(op.output_size());
  at::Tensor out = torch::empty({b, static_cast<std::int64_t>(s.height), static_cast<std::int64_t>(s.width)},
                          torch::dtype(c10::CppTypeToScalarType<T>::value));
  const auto* in = reinterpret_cast<const std::complex<T>*>(y.data_ptr<c10::complex<T>>());
  T* o = out.data_ptr<T>();
  std::lock_guard lock(mutex);
  for (std::int64_t i = 0; i < b; ++i)
    op.adjoint(std::span<const std::complex<T>>(in + i * m, m), std::span<T>(o + i * n, n));
  return out;
}

}  // namespace

struct NufftOperator::Impl {
  std::vector<double> u, v;
  ImageGrid grid;
  double epsilon;
  int threads;
  std::mutex mutex_d, mutex_f;  // one call at a time per plan
  std::once_flag once_d, once_f;
  std::shared_ptr<NufftPlan<double>> plan_d;
  std::shared_ptr<NufftPlan<float>> plan_f;

  NufftPlan<double>& pd() {
    std::call_once(once_d, [&] { plan_d = std::make_shared<NufftPlan<double>>(u, v, grid, epsilon, threads); });
    return *plan_d;
  }
  NufftPlan<float>& pf() {
    std::call_once(once_f, [&] {
      plan_f = std::make_shared<NufftPlan<float>>(u, v, grid, std::max(epsilon, 1e-5), threads);
    });
    return *plan_f;
  }

  // x: real [B, ny, nx] contiguous → complex [B, M].
  at::Tensor degrid(const at::Tensor& x) {
    return x.scalar_type() == at::kDouble ? apply_batch<double>(pd(), mutex_d, x) : apply_batch<float>(pf(), mutex_f, x);
  }
  // y: complex [B, M] contiguous → real [B, ny, nx].
  at::Tensor grid_(const at::Tensor& y) {
    return y.scalar_type() == at::kComplexDouble ? adjoint_batch<double>(pd(), mutex_d, y)
                                                 : adjoint_batch<float>(pf(), mutex_f, y);
  }
};

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Keeps the operator state alive for as long as an autograd graph refers to
// it: an empty tensor whose deleter owns a reference.
at::Tensor keep_alive(const std::shared_ptr<NufftOperator::Impl>& impl) {
  auto* holder = new std::shared_ptr<NufftOperator::Impl>(impl);
  return torch::from_blob(holder, {0}, [holder](void*) { delete holder; }, torch::dtype(torch::kUInt8));
}
NufftOperator::Impl* impl_of(AutogradContext* ctx) {
  return reinterpret_cast<NufftOperator::Impl*>(ctx->saved_data["impl"].toInt());
}

at::ScalarType complex_of(at::ScalarType t) { return t == at::kDouble ? at::kComplexDouble : at::kComplexFloat; }
at::ScalarType real_of(at::ScalarType t) { return t == at::kComplexDouble ? at::kDouble : at::kFloat; }

struct DegridFunction : public torch::autograd::Function<DegridFunction> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, std::shared_ptr<NufftOperator::Impl> impl) {
    ctx->saved_data["impl"] = reinterpret_cast<std::int64_t>(impl.get());
    ctx->saved_data["keep"] = keep_alive(impl);
    ctx->saved_data["dtype"] = static_cast<std::int64_t>(x.scalar_type());
    return impl->degrid(x.contiguous());
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad) {
    auto real = static_cast<at::ScalarType>(ctx->saved_data["dtype"].toInt());
    auto g = grad[0].to(complex_of(real)).contiguous();
    return {impl_of(ctx)->grid_(g), at::Tensor()};
  }
};

struct GridFunction : public torch::autograd::Function<GridFunction> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& y, std::shared_ptr<NufftOperator::Impl> impl) {
    ctx->saved_data["impl"] = reinterpret_cast<std::int64_t>(impl.get());
    ctx->saved_data["keep"] = keep_alive(impl);
    ctx->saved_data["dtype"] = static_cast<std::int64_t>(y.scalar_type());
    return impl->grid_(y.contiguous());
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad) {
    auto cplx = static_cast<at::ScalarType>(ctx->saved_data["dtype"].toInt());
    auto g = grad[0].to(real_of(cplx)).contiguous();
    return {impl_of(ctx)->degrid(g), at::Tensor()};
  }
};

}  // namespace

NufftOperator::NufftOperator(std::vector<double> u, std::vector<double> v, const ImageGrid& grid, double epsilon,
                             int threads)
    : impl_(std::make_shared<Impl>()) {
  grid.validate();
  if (u.size() != v.size())
    throw UsageError(fmt::format("NUFFT operator: {} u and {} v coordinates", u.size(), v.size()));
  impl_->u = std::move(u);
  impl_->v = std::move(v);
  impl_->grid = grid;
  impl_->epsilon = epsilon;
  impl_->threads = threads;
}

NufftOperator::~NufftOperator() = default;

std::int64_t NufftOperator::nvis() const { return static_cast<std::int64_t>(impl_->u.size()); }
const ImageGrid& NufftOperator::grid() const { return impl_->grid; }
std::shared_ptr<const NufftPlan<double>> NufftOperator::plan_double() const {
  impl_->pd();
  return impl_->plan_d;
}
std::shared_ptr<const NufftPlan<float>> NufftOperator::plan_float() const {
  impl_->pf();
  return impl_->plan_f;
}

at::Tensor NufftOperator::apply(const at::Tensor& images) const {
  const auto& g = impl_->grid;
  if (!images.defined() || images.device().type() != at::kCPU)
    throw UsageError("NUFFT operator: images must be a defined CPU tensor");
  if (images.scalar_type() != at::kFloat && images.scalar_type() != at::kDouble)
    throw UsageError(fmt::format("NUFFT operator: images must be float32 or float64, got {}",
                                 c10::toString(images.scalar_type())));
  const bool single = images.dim() == 2;
  if (!((images.dim() == 3 || single) && images.size(-2) == g.ny && images.size(-1) == g.nx))
    throw UsageError(fmt::format("NUFFT operator: images have shape {}; expected [B, {}, {}] or [{}, {}]",
                                 fmt::join(images.sizes(), "x"), g.ny, g.nx, g.ny, g.nx));
  auto x = single ? images.unsqueeze(0) : images;
  auto out = DegridFunction::apply(x, impl_);
  return single ? out.squeeze(0) : out;
}

at::Tensor NufftOperator::adjoint(const at::Tensor& vis) const {
  if (!vis.defined() || vis.device().type() != at::kCPU)
    throw UsageError("NUFFT operator adjoint: visibilities must be a defined CPU tensor");
  if (vis.scalar_type() != at::kComplexFloat && vis.scalar_type() != at::kComplexDouble)
    throw UsageError(fmt::format("NUFFT operator adjoint: visibilities must be complex64 or complex128, got {}",
                                 c10::toString(vis.scalar_type())));
  const bool single = vis.dim() == 1;
  if (!((vis.dim() == 2 || single) && vis.size(-1) == nvis()))
    throw UsageError(fmt::format("NUFFT operator adjoint: visibilities have shape {}; expected [B, {}] or [{}]",
                                 fmt::join(vis.sizes(), "x"), nvis(), nvis()));
  auto y = single ? vis.unsqueeze(0) : vis;
  auto out = GridFunction::apply(y, impl_);
  return single ? out.squeeze(0) : out;
}

}  // namespace penumbra
