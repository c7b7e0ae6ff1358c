// NufftPlan, dirty_image, GaussianLikelihood: the instrument on NumPy arrays.
#include <fmt/format.h>

#include <memory>
#include <mutex>
#include <variant>

#include "instruments/beam_fit.hpp"
#include "instruments/dirty_image.hpp"
#include "instruments/gaussian_likelihood.hpp"
#include "instruments/nufft.hpp"
#include "instruments/weighting.hpp"
#include "python/src/arrays.hpp"
#include "python/src/bindings.hpp"
#include "python/src/io_types.hpp"
#include "src/core/checks.hpp"

namespace penumbra::python {

namespace {

// float32 or float64 from anything numpy.dtype() takes (np.float32, "float64", ...).
bool single_precision(const py::object& dtype) {
  py::dtype d = py::dtype::from_args(dtype);
  if (d.is(py::dtype::of<float>())) return true;
  if (d.is(py::dtype::of<double>())) return false;
  throw py::value_error(fmt::format("dtype must be float32 or float64, got {}", py::str(d).cast<std::string>()));
}

// Images [npix, npix] or a batch [B, npix, npix] as one C-contiguous array and the batch size (0: no batch axis).
template <class T>
std::pair<py::array_t<T, py::array::c_style>, py::ssize_t> images_arg(const py::handle& obj, std::string_view name,
                                                                      py::ssize_t ny, py::ssize_t nx) {
  auto a = as_array<T>(obj, name);
  require_shape(a, name, {{ny, nx}, {kAny, ny, nx}}, fmt::format("[{0}, {1}] or [batch, {0}, {1}]", ny, nx));
  require_finite_values(a, name);
  return {a, a.ndim() == 3 ? a.shape(0) : 0};
}

// A caller's `out` array (written in place: C-contiguous, writeable, of exactly this dtype and
// shape, else ValueError), or a new one when `out` is None.
template <class V>
py::array_t<V> output_arg(const py::object& out, const std::vector<py::ssize_t>& shape) {
  if (out.is_none()) return py::array_t<V>(shape);
  std::string expected = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) expected += (i ? ", " : "") + std::to_string(shape[i]);
  expected += "]";
  const std::string what = fmt::format("out must be a writeable C-contiguous {} array of shape {}",
                                       py::str(py::dtype::of<V>()).cast<std::string>(), expected);
  if (!py::isinstance<py::array_t<V>>(out)) throw py::value_error(what);
  auto a = out.cast<py::array_t<V>>();
  const bool ok = a.ptr() == out.ptr() && a.writeable() && (a.flags() & py::array::c_style) &&
                  std::vector<py::ssize_t>(a.shape(), a.shape() + a.ndim()) == shape;
  if (!ok) throw py::value_error(what);
  return a;
}

// One precision's plan with the image/visibility conversions around it.
template <class T>
class TypedNufft {
 public:
  using C = std::complex<T>;
  explicit TypedNufft(std::shared_ptr<NufftPlan<T>> plan) : plan_(std::move(plan)) {}

  py::array degrid(const py::handle& image, const py::object& out_arg) const {
    const ImageGrid& g = plan_->image_grid();
    auto [x, batch] = images_arg<T>(image, "image", g.ny, g.nx);
    const auto nvis = static_cast<py::ssize_t>(plan_->nvis());
    py::array_t<C> out = output_arg<C>(out_arg, batched(batch, {nvis}));
    std::span<const T> in = span_of(x);
    C* o = out.mutable_data();
    each_image(batch, [&](py::ssize_t b) {
      plan_->degrid(in.subspan(b * g.size(), g.size()), {o + b * nvis, static_cast<std::size_t>(nvis)});
    });
    return out;
  }

  py::array grid(const py::handle& vis, const py::object& out_arg) const {
    const ImageGrid& g = plan_->image_grid();
    const auto nvis = static_cast<py::ssize_t>(plan_->nvis());
    auto y = as_array<C>(vis, "vis");
    require_shape(y, "vis", {{nvis}, {kAny, nvis}}, fmt::format("[{0}] or [batch, {0}]", nvis));
    const py::ssize_t batch = y.ndim() == 2 ? y.shape(0) : 0;
    py::array_t<T> out = output_arg<T>(out_arg, batched(batch, {g.ny, g.nx}));
    std::span<const C> in = span_of(y);
    T* o = out.mutable_data();
    each_image(batch, [&](py::ssize_t b) { plan_->grid(in.subspan(b * nvis, nvis), {o + b * g.size(), g.size()}); });
    // A non-finite visibility spreads into the image: scanning the image (npix², in cache) rather
    // than the visibilities (often 10x larger) finds it at a fraction of the memory traffic.
    if (!all_finite_values(o, static_cast<std::size_t>(out.size()))) require_finite_values(y, "vis");
    return out;
  }

  const NufftPlan<T>& plan() const { return *plan_; }

 private:
  static std::vector<py::ssize_t> batched(py::ssize_t batch, std::vector<py::ssize_t> shape) {
    if (batch) shape.insert(shape.begin(), batch);
    return shape;
  }
  // f(b) for each image of the batch (one when there is no batch axis), without the GIL.
  template <class F>
  void each_image(py::ssize_t batch, F f) const {
    py::gil_scoped_release release;
    std::lock_guard lock(mutex_);
    for (py::ssize_t b = 0; b < std::max<py::ssize_t>(batch, 1); ++b) f(b);
  }

  std::shared_ptr<NufftPlan<T>> plan_;
  mutable std::mutex mutex_;  // a plan owns its work buffers: one call at a time
};

class PyNufftPlan {
 public:
  PyNufftPlan(const py::handle& u, const py::handle& v, int npix, const py::handle& cell, double epsilon,
              const py::object& dtype, int threads) {
    auto ua = as_array<double>(u, "u"), va = as_array<double>(v, "v");
    require_shape(ua, "u", {{kAny}}, "[nvis]");
    require_shape(va, "v", {{ua.size()}}, fmt::format("[nvis] = [{}]", ua.size()));
    require_finite_values(ua, "u");
    require_finite_values(va, "v");
    require_at_least("npix", npix, 2);
    ImageGrid g{npix, npix, angle_radians(cell, "cell"), 0, 0};
    g.validate();
    const bool single = single_precision(dtype);
    py::gil_scoped_release release;  // FFTW_MEASURE planning and the sort take a while
    if (single)
      single_ = std::make_unique<TypedNufft<float>>(
          std::make_shared<NufftPlan<float>>(span_of(ua), span_of(va), g, epsilon, threads));
    else
      double_ = std::make_unique<TypedNufft<double>>(
          std::make_shared<NufftPlan<double>>(span_of(ua), span_of(va), g, epsilon, threads));
  }

  // f(the typed plan) for whichever precision this plan has.
  template <class F>
  auto with(F f) const {
    return single_ ? f(*single_) : f(*double_);
  }
  py::array degrid(const py::handle& image, const py::object& out) const {
    return with([&](const auto& p) { return p.degrid(image, out); });
  }
  py::array grid(const py::handle& vis, const py::object& out) const {
    return with([&](const auto& p) { return p.grid(vis, out); });
  }
  std::size_t nvis() const { return with([](const auto& p) { return p.plan().nvis(); }); }
  int npix() const { return with([](const auto& p) { return p.plan().image_grid().nx; }); }
  double epsilon() const { return with([](const auto& p) { return p.plan().epsilon(); }); }
  int support() const { return with([](const auto& p) { return p.plan().support(); }); }
  py::dtype dtype() const { return single_ ? py::dtype::of<float>() : py::dtype::of<double>(); }

 private:
  std::unique_ptr<TypedNufft<float>> single_;
  std::unique_ptr<TypedNufft<double>> double_;
};

py::tuple dirty_image(const PyObservation& o, int npix, const py::handle& cell, const std::string& weighting,
                      double robust, const py::object& taper, double epsilon) {
  WeightingOptions wo;
  wo.scheme = parse_weighting(weighting);
  wo.robust = robust;
  if (!taper.is_none()) wo.taper_fwhm = angle_radians(taper, "taper");
  wo.validate();
  const ImageGrid grid = square_grid(o, npix, angle_radians(cell, "cell"));
  check_uv_fits_grid(o.vis.u, o.vis.v, grid);
  DirtyImage d;
  Beam beam;
  {
    py::gil_scoped_release release;
    ImagingWeights w = compute_imaging_weights(o.vis, grid, wo);
    DirtyImageOptions opt;
    opt.epsilon = epsilon;
    d = make_dirty_image(o.vis, w.weight, grid, opt);
    beam = fit_beam(d.psf, grid);
  }
  return py::make_tuple(array_of(d.dirty, {npix, npix}), array_of(d.psf, {npix, npix}), beam_to_dict(beam));
}

// The Gaussian likelihood of an observation on a square grid, in one precision.
class PyGaussianLikelihood {
 public:
  PyGaussianLikelihood(const PyObservation& o, int npix, const py::handle& cell, double epsilon,
                       const py::object& dtype)
      : grid_(square_grid(o, npix, angle_radians(cell, "cell"))) {
    check_uv_fits_grid(o.vis.u, o.vis.v, grid_);
    const bool single = single_precision(dtype);
    py::gil_scoped_release release;
    if (single)
      like_ = make<float>(o, epsilon);
    else
      like_ = make<double>(o, epsilon);
  }

  py::object log_likelihood(const py::handle& x) const {
    return std::visit([&](const auto& l) { return energy_of(*l, x); }, like_);
  }
  py::array gradient(const py::handle& x) const {
    return std::visit([&](const auto& l) { return gradient_of(*l, x); }, like_);
  }
  std::size_t nvis() const {
    return std::visit([](const auto& l) { return l->nvis(); }, like_);
  }
  int npix() const { return grid_.nx; }

 private:
  template <class T>
  using Typed = std::shared_ptr<GaussianVisibilityLikelihood<T>>;

  template <class T>
  Typed<T> make(const PyObservation& o, double epsilon) const {
    auto plan = std::make_shared<const NufftPlan<T>>(o.vis.u, o.vis.v, grid_, epsilon);
    return std::make_shared<GaussianVisibilityLikelihood<T>>(plan, o.vis.vis, o.vis.weight);
  }

  template <class T>
  py::object energy_of(const GaussianVisibilityLikelihood<T>& l, const py::handle& x) const {
    auto [img, batch] = images_arg<T>(x, "x", grid_.ny, grid_.nx);
    std::vector<double> e(std::max<py::ssize_t>(batch, 1));
    {
      py::gil_scoped_release release;
      std::lock_guard lock(mutex_);
      l.energy(span_of(img), e);
    }
    for (double& v : e) v = -v;
    if (!batch) return py::float_(e[0]);
    return array_of(e, {batch});
  }

  template <class T>
  py::array gradient_of(const GaussianVisibilityLikelihood<T>& l, const py::handle& x) const {
    auto [img, batch] = images_arg<T>(x, "x", grid_.ny, grid_.nx);
    py::array_t<T, py::array::c_style> g(std::vector<py::ssize_t>(img.shape(), img.shape() + img.ndim()));
    {
      py::gil_scoped_release release;
      std::lock_guard lock(mutex_);
      l.gradient(span_of(img), mutable_span_of(g));
    }
    T* p = g.mutable_data();
    for (py::ssize_t i = 0; i < g.size(); ++i) p[i] = -p[i];  // ∇ log L = −∇E
    return g;
  }

  ImageGrid grid_;
  std::variant<Typed<float>, Typed<double>> like_;
  mutable std::mutex mutex_;
};

void bind_nufft(py::module_& m) {
  py::class_<PyNufftPlan>(m, "NufftPlan", R"(A planned NUFFT: the interferometer's measurement operator.

degrid: V_k = sum_j x_j exp(-2 pi i (u_k l_j + v_k m_j))   (image -> visibilities)
grid:   x_j = Re sum_k V_k exp(+2 pi i (u_k l_j + v_k m_j)) (its adjoint for real images)

Images are [npix, npix] (row-major [y][x], pixel x = 0 the East edge, phase centre at
pixel (npix/2, npix/2)); l = -(x - npix/2) cell, m = (y - npix/2) cell. The plan is built
once and applied many times; relative L2 error against the direct sum <= epsilon.)")
      .def(py::init<const py::handle&, const py::handle&, int, const py::handle&, double, const py::object&, int>(),
           py::arg("u"), py::arg("v"), py::arg("npix"), py::arg("cell"), py::arg("epsilon") = 1e-6,
           py::arg("dtype") = py::dtype::of<double>(), py::arg("threads") = 0,
           R"(u, v [nvis]: wavelengths. cell: pixel size, arcsec (number) or a string with a unit ('3mas').
epsilon: accuracy, [1e-10, 0.1] for float64, [1e-5, 0.1] for float32. dtype: float64 (complex128
visibilities) or float32 (complex64). threads: 0 = set_threads()'s. A |u| or |v| beyond
1/(2 cell): ValueError naming the cell that would fit.)")
      .def("degrid", &PyNufftPlan::degrid, py::arg("image"), py::arg("out") = py::none(),
           "image [npix, npix] or [batch, npix, npix] (Jy/pixel) -> visibilities [nvis] or [batch, nvis] (Jy); "
           "out: an array to write them into (complex of the plan's precision, C order).")
      .def("grid", &PyNufftPlan::grid, py::arg("vis"), py::arg("out") = py::none(),
           "vis [nvis] or [batch, nvis] (Jy) -> the adjoint image [npix, npix] or [batch, npix, npix]; "
           "out: an array to write it into (the plan's dtype, C order).")
      .def_property_readonly("nvis", &PyNufftPlan::nvis)
      .def_property_readonly("npix", &PyNufftPlan::npix)
      .def_property_readonly("epsilon", &PyNufftPlan::epsilon)
      .def_property_readonly("support", &PyNufftPlan::support, "Kernel width in grid cells.")
      .def_property_readonly("dtype", &PyNufftPlan::dtype, "float32 or float64.");
}

}  // namespace

void bind_instruments(py::module_& m) {
  bind_nufft(m);
  m.def("dirty_image", &dirty_image, py::arg("obs"), py::arg("npix"), py::arg("cell"),
        py::arg("weighting") = "natural", py::arg("robust") = 0.0, py::arg("taper") = py::none(),
        py::arg("epsilon") = 1e-6,
        R"(Dirty image and PSF of an Observation: (dirty [npix, npix] Jy/beam, psf [npix, npix] peak 1, beam).

cell: pixel size, arcsec (number) or a string with a unit. weighting: natural, uniform or
briggs (robust in [-2, 2]); taper: image-plane FWHM of a Gaussian uv taper, arcsec or a
string with a unit. beam: the fitted main lobe {'bmaj': arcsec, 'bmin': arcsec, 'bpa': deg}.
The same images as `penumbra image` with the same options.)");
  py::class_<PyGaussianLikelihood>(m, "GaussianLikelihood", R"(Gaussian likelihood of an observation's visibilities.

log L(x) = -1/2 sum_k w_k |(A x)_k - d_k|^2 (+ const), gradient = Re A^H W (d - A x), with A the
NUFFT of the grid (NufftPlan), x an image in Jy/pixel, d the Stokes-I visibilities and w their
weights 1/sigma^2.)")
      .def(py::init<const PyObservation&, int, const py::handle&, double, const py::object&>(), py::arg("obs"),
           py::arg("npix"), py::arg("cell"), py::arg("epsilon") = 1e-6, py::arg("dtype") = py::dtype::of<double>(),
           "cell: pixel size, arcsec (number) or a string with a unit; dtype float32 or float64.")
      .def("log_likelihood", &PyGaussianLikelihood::log_likelihood, py::arg("x"),
           "x [npix, npix] -> float, or [batch, npix, npix] -> [batch]; Jy/pixel, up to a constant.")
      .def("gradient", &PyGaussianLikelihood::gradient, py::arg("x"),
           "Gradient of log_likelihood with respect to x (same shape as x, the likelihood's dtype).")
      .def_property_readonly("nvis", &PyGaussianLikelihood::nvis)
      .def_property_readonly("npix", &PyGaussianLikelihood::npix);
}

}  // namespace penumbra::python
