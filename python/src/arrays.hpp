#pragma once
// NumPy ↔ the library's spans, vectors and tensors, with the argument checks of
// the Python API: an array of the wrong dtype or memory order is converted when
// that loses nothing a caller meant (integers or the other float precision to
// the precision of the call, Fortran order to C order), anything else is a
// ValueError naming the argument and the expected shape. C-contiguous arrays of
// the right dtype are used in place (no copy); results are fresh arrays the
// library writes into, or views of a tensor the array keeps alive.
#include <ATen/core/Tensor.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <complex>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace penumbra::python {

namespace py = pybind11;

// Expected dimension sizes; kAny matches every size.
inline constexpr py::ssize_t kAny = -1;

// `obj` as a C-contiguous array of T (float, double, std::complex<float|double>),
// converted as described above. A complex array where a real one is expected is
// a ValueError (the imaginary part would be dropped).
template <class T>
py::array_t<T, py::array::c_style> as_array(const py::handle& obj, std::string_view name);

// ValueError unless `a` has one of the shapes in `shapes` (kAny: any size);
// `expected` is the shape as the message states it, e.g. "[npix, npix]".
void require_shape(const py::array& a, std::string_view name, std::initializer_list<std::vector<py::ssize_t>> shapes,
                   std::string_view expected);
// ValueError naming the argument and the first non-finite entry.
template <class T>
void require_finite_values(const py::array_t<T, py::array::c_style>& a, std::string_view name);

// Whether all n values at p are finite (a vectorised scan; no message).
template <class T>
bool all_finite_values(const T* p, std::size_t n);

template <class T>
std::span<const T> span_of(const py::array_t<T, py::array::c_style>& a) {
  return {a.data(), static_cast<std::size_t>(a.size())};
}
template <class T>
std::span<T> mutable_span_of(py::array_t<T, py::array::c_style>& a) {
  return {a.mutable_data(), static_cast<std::size_t>(a.size())};
}
// A read-only view of `data` whose lifetime is `owner`'s.
template <class T>
py::array view_of(const std::vector<T>& data, const py::handle& owner);
// A new array holding a copy of `data` with `shape`.
template <class T>
py::array_t<T> array_of(const std::vector<T>& data, std::vector<py::ssize_t> shape);

// A tensor viewing the array's memory (no copy); the array must outlive it.
at::Tensor tensor_view(const py::array& a);
// A float32/float64 array sharing the tensor's memory (made contiguous first).
py::array array_of_tensor(at::Tensor t);

// An angle from a number of arcseconds or a string with its unit ("3mas",
// "0.01asec", "1e-7rad"), in radians: the CLI's convention for --scale and --taper.
double angle_radians(const py::handle& angle, std::string_view name);

}  // namespace penumbra::python
