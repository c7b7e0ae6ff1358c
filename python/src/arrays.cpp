#include "python/src/arrays.hpp"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <type_traits>

#include "src/core/units.hpp"

namespace penumbra::python {

namespace {

template <class T>
struct IsComplex : std::false_type {};
template <class T>
struct IsComplex<std::complex<T>> : std::true_type {};

std::string shape_text(const py::array& a) {
  std::string s = "[";
  for (py::ssize_t i = 0; i < a.ndim(); ++i) s += (i ? ", " : "") + std::to_string(a.shape(i));
  return s + "]";
}

// Whether every value is finite, by the exponent bits (all ones for inf and NaN): an integer
// OR-reduction the compiler vectorises, where a branch per value would not be.
template <class R>
bool all_finite(const R* p, std::size_t n) {
  using Bits = std::conditional_t<sizeof(R) == 8, std::uint64_t, std::uint32_t>;
  constexpr Bits exponent = static_cast<Bits>(sizeof(R) == 8 ? 0x7FF0000000000000ull : 0x7F800000ull);
  Bits any_bad = 0;
  for (std::size_t i = 0; i < n; ++i) {
    Bits b;
    std::memcpy(&b, p + i, sizeof b);
    any_bad |= static_cast<Bits>((b & exponent) == exponent);
  }
  return any_bad == 0;
}

template <class T>
bool finite(T v) {
  if constexpr (IsComplex<T>::value)
    return std::isfinite(v.real()) && std::isfinite(v.imag());
  else
    return std::isfinite(v);
}

}  // namespace

template <class T>
py::array_t<T, py::array::c_style> as_array(const py::handle& obj, std::string_view name) {
  constexpr bool complex = IsComplex<T>::value;
  py::array a = py::array::ensure(obj);
  if (!a)
    throw py::value_error(fmt::format("{} must be an array of numbers, got {}", name,
                                      py::str(py::type::of(obj).attr("__name__")).cast<std::string>()));
  const char kind = a.dtype().kind();
  const bool ok = kind == 'f' || kind == 'i' || kind == 'u' || kind == 'b' || (complex && kind == 'c');
  if (!ok)
    throw py::value_error(fmt::format("{} must be {}, got dtype {}", name,
                                      complex ? "complex (complex64 or complex128)" : "real (float32 or float64)",
                                      py::str(a.dtype()).cast<std::string>()));
  auto converted = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(a);
  if (!converted) throw py::error_already_set();
  return converted;
}

void require_shape(const py::array& a, std::string_view name, std::initializer_list<std::vector<py::ssize_t>> shapes,
                   std::string_view expected) {
  for (const auto& shape : shapes) {
    if (static_cast<py::ssize_t>(shape.size()) != a.ndim()) continue;
    bool match = true;
    for (std::size_t i = 0; i < shape.size(); ++i) match &= shape[i] == kAny || shape[i] == a.shape(i);
    if (match) return;
  }
  throw py::value_error(fmt::format("{} must have shape {}, got {}", name, expected, shape_text(a)));
}

template <class T>
void require_finite_values(const py::array_t<T, py::array::c_style>& a, std::string_view name) {
  const T* p = a.data();
  if (all_finite_values(p, static_cast<std::size_t>(a.size()))) return;
  for (py::ssize_t i = 0; i < a.size(); ++i)
    if (!finite(p[i]))
      throw py::value_error(fmt::format("{} must be finite, got a non-finite value at flat index {}", name, i));
}

template <class T>
bool all_finite_values(const T* p, std::size_t n) {
  if constexpr (IsComplex<T>::value)
    return all_finite(reinterpret_cast<const typename T::value_type*>(p), 2 * n);
  else
    return all_finite(p, n);
}

template <class T>
py::array view_of(const std::vector<T>& data, const py::handle& owner) {
  py::array_t<T> a({static_cast<py::ssize_t>(data.size())}, {static_cast<py::ssize_t>(sizeof(T))}, data.data(), owner);
  py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return std::move(a);
}

template <class T>
py::array_t<T> array_of(const std::vector<T>& data, std::vector<py::ssize_t> shape) {
  py::array_t<T> a(shape);
  std::copy(data.begin(), data.end(), a.mutable_data());
  return a;
}

at::Tensor tensor_view(const py::array& a) {
  std::vector<std::int64_t> sizes(a.shape(), a.shape() + a.ndim());
  const at::ScalarType type = a.dtype().is(py::dtype::of<float>()) ? at::kFloat : at::kDouble;
  return at::from_blob(const_cast<void*>(a.data()), sizes, at::TensorOptions().dtype(type));
}

py::array array_of_tensor(at::Tensor t) {
  t = t.contiguous();
  if (t.scalar_type() != at::kFloat && t.scalar_type() != at::kDouble) t = t.to(at::kDouble);
  std::vector<py::ssize_t> shape(t.sizes().begin(), t.sizes().end());
  std::vector<py::ssize_t> strides;
  for (auto s : t.strides()) strides.push_back(s * static_cast<py::ssize_t>(t.element_size()));
  auto* holder = new at::Tensor(t);
  py::capsule owner(holder, [](void* p) { delete static_cast<at::Tensor*>(p); });
  py::dtype dtype = t.scalar_type() == at::kFloat ? py::dtype::of<float>() : py::dtype::of<double>();
  return py::array(dtype, shape, strides, t.data_ptr(), owner);
}

double angle_radians(const py::handle& angle, std::string_view name) {
  if (py::isinstance<py::str>(angle)) return parse_angle(angle.cast<std::string>(), "asec");
  try {
    return angle.cast<double>() * kArcsec;
  } catch (const py::cast_error&) {
    throw py::value_error(fmt::format("{} must be a number of arcseconds or a string with a unit (e.g. '3mas')",
                                      name));
  }
}

#define PENUMBRA_ARRAY_TYPE(T)                                                                     \
  template py::array_t<T, py::array::c_style> as_array<T>(const py::handle&, std::string_view);    \
  template void require_finite_values<T>(const py::array_t<T, py::array::c_style>&, std::string_view); \
  template bool all_finite_values<T>(const T*, std::size_t);
PENUMBRA_ARRAY_TYPE(float)
PENUMBRA_ARRAY_TYPE(double)
PENUMBRA_ARRAY_TYPE(std::complex<float>)
PENUMBRA_ARRAY_TYPE(std::complex<double>)
#undef PENUMBRA_ARRAY_TYPE
template py::array view_of<double>(const std::vector<double>&, const py::handle&);
template py::array view_of<std::complex<double>>(const std::vector<std::complex<double>>&, const py::handle&);
template py::array_t<double> array_of<double>(const std::vector<double>&, std::vector<py::ssize_t>);
template py::array_t<float> array_of<float>(const std::vector<float>&, std::vector<py::ssize_t>);

}  // namespace penumbra::python
