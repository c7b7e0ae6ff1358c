// Prior (analytic priors from the run registry), DiffusionPrior (checkpoints).
#include <ATen/ATen.h>
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <memory>

#include "priors/diffusion_prior.hpp"
#include "python/src/arrays.hpp"
#include "python/src/bindings.hpp"
#include "python/src/prior_types.hpp"
#include "samplers/driver.hpp"
#include "src/core/checks.hpp"
#include "src/core/rng.hpp"
#include "src/pipelines/prior_sampling.hpp"

namespace penumbra::python {

PipelinePrior pipeline_prior(const py::handle& prior, int size) {
  if (py::isinstance<py::str>(prior)) return load_pipeline_prior(prior.cast<std::string>(), size);
  if (!py::isinstance<PyPrior>(prior))
    throw py::value_error("prior must be a penumbra.Prior or a spec string such as 'gaussian:0,0.01'");
  PipelinePrior p = prior.cast<const PyPrior&>().prior;
  if (size > 0 && p.prior->height() > 0 && (p.prior->height() != size || p.prior->width() != size))
    throw UsageError(fmt::format("prior {} is defined on {}x{} images but the image size is {}", p.spec,
                                 p.prior->width(), p.prior->height(), size));
  return p;
}

namespace {

// Same stream as `penumbra prior-sample`, so a seed draws the CLI's images.
constexpr std::uint64_t kPriorSampleStream = 0x5A3F1Eull;

struct PyDiffusionPrior : PyPrior {
  const DiffusionPrior& diffusion() const { return static_cast<const DiffusionPrior&>(*prior.prior); }
};

PyPrior from_registry(const std::string& name, std::vector<double> params, int size) {
  PyPrior p{prior_registry().get(name).make(params, size)};
  p.prior.spec = name;
  for (std::size_t i = 0; i < params.size(); ++i) p.prior.spec += fmt::format("{}{}", i ? "," : ":", params[i]);
  return p;
}

// x [H, W] or [B, H, W] in the prior's units, as a [B, H, W] tensor viewing the array
// (float32 for a network, else the array's float precision).
py::array prior_images(const PyPrior& p, const py::handle& x, bool network) {
  py::array a = network || py::array::ensure(x).dtype().is(py::dtype::of<float>())
                    ? py::array(as_array<float>(x, "x"))
                    : py::array(as_array<double>(x, "x"));
  const py::ssize_t h = p.prior.prior->height() > 0 ? p.prior.prior->height() : kAny;
  const py::ssize_t w = p.prior.prior->width() > 0 ? p.prior.prior->width() : kAny;
  require_shape(a, "x", {{h, w}, {kAny, h, w}},
                h == kAny ? std::string("[height, width] or [batch, height, width]")
                          : fmt::format("[{0}, {1}] or [batch, {0}, {1}]", h, w));
  if (a.dtype().is(py::dtype::of<float>()))
    require_finite_values(py::array_t<float, py::array::c_style>(a), "x");
  else
    require_finite_values(py::array_t<double, py::array::c_style>(a), "x");
  return a;
}

at::Tensor noise_levels(const py::handle& sigma, std::int64_t batch) {
  auto s = as_array<double>(sigma, "sigma");
  require_shape(s, "sigma", {{}, {batch}}, fmt::format("a number or [batch] = [{}]", batch));
  const double* p = s.data();
  for (py::ssize_t i = 0; i < s.size(); ++i) require_non_negative("sigma", p[i]);
  return s.ndim() == 0 ? at::full({batch}, p[0], at::kDouble) : at::from_blob(const_cast<double*>(p), {batch}, at::kDouble).clone();
}

py::array prior_score(const PyPrior& p, const py::handle& x, const py::handle& sigma) {
  const bool network = std::dynamic_pointer_cast<const DiffusionPrior>(p.prior.prior) != nullptr;
  py::array a = prior_images(p, x, network);
  at::Tensor t = tensor_view(a);
  const bool batched = t.dim() == 3;
  if (!batched) t = t.unsqueeze(0);
  at::Tensor s = noise_levels(sigma, t.size(0)).to(t.scalar_type());
  at::Tensor score;
  {
    py::gil_scoped_release release;
    score = p.prior.prior->score(t, s);
  }
  return array_of_tensor(batched ? score : score.squeeze(0));
}

py::object prior_log_prob(const PyPrior& p, const py::handle& x) {
  if (!p.prior.prior->has_log_prob())
    throw UsageError(fmt::format("prior {} has no tractable log density", p.prior.spec));
  py::array a = prior_images(p, x, false);
  at::Tensor t = tensor_view(a);
  const bool batched = t.dim() == 3;
  at::Tensor lp;
  {
    py::gil_scoped_release release;
    lp = p.prior.prior->log_prob(batched ? t : t.unsqueeze(0)).to(at::kDouble);
  }
  if (!batched) return py::float_(lp.item<double>());
  return array_of_tensor(lp);
}

// The shipped prior: $PENUMBRA_DATA_DIR/prior, the source tree the module was built from
// (a Python process's executable says nothing about where Penumbra is), then the library's places.
std::string default_prior() {
  std::vector<std::filesystem::path> places;
  if (const char* env = std::getenv("PENUMBRA_DATA_DIR")) places.push_back(std::filesystem::path(env) / "prior");
  places.push_back(std::filesystem::path(PENUMBRA_SOURCE_DATA_DIR) / "prior");
  for (const auto& dir : places)
    if (std::filesystem::exists(dir / "default.ckpt")) return (dir / "default.ckpt").string();
  return DiffusionPrior::default_checkpoint_path().string();
}

PyDiffusionPrior load_diffusion(const py::object& path, int size) {
  std::string file = path.is_none() ? default_prior() : py::str(path).cast<std::string>();
  PyDiffusionPrior p;
  p.prior = load_pipeline_prior(file, size);
  if (!std::dynamic_pointer_cast<const DiffusionPrior>(p.prior.prior))
    throw UsageError(fmt::format("{} is not a diffusion-prior checkpoint", file));
  return p;
}

py::array diffusion_sample(const PyDiffusionPrior& p, std::int64_t n, std::int64_t steps, const std::string& sampler,
                           std::uint64_t seed, std::int64_t batch) {
  require_at_least<std::int64_t>("n", n, 1);
  PriorSamplingSettings s;
  s.sampler = sampler;
  s.steps = steps;
  s.validate();
  const DiffusionPrior& d = p.diffusion();
  PriorDraws draws{n, batch > 0 ? batch : n, d.height(), d.width(), d.data_info().pixel_mean};
  at::Tensor x;
  {
    py::gil_scoped_release release;
    auto sampler_ptr = make_prior_sampler(p.prior.prior, s);
    auto gen = make_generator(derive_seed(seed, kPriorSampleStream));
    x = draw_prior_samples(*sampler_ptr, draws, gen);
  }
  return array_of_tensor(x);
}

void bind_prior_class(py::module_& m) {
  py::class_<PyPrior>(m, "Prior", R"(An image prior: score(x, sigma) = grad log p_sigma(x) at every noise level sigma >= 0,
with p_sigma = p * N(0, sigma^2 I).

A prior works in its own units: Jy/pixel = scale * x + offset (analytic priors are
sampled in units of their STD/SCALE, diffusion priors in network units), so x and
sigma given to score/log_prob are in those units.)")
      .def(py::init([](const std::string& spec, int size) { return PyPrior{load_pipeline_prior(spec, size)}; }),
           py::arg("spec"), py::arg("size") = 0,
           "From a spec as `penumbra sample --prior` takes it: 'gaussian:MEAN,STD', 'laplace:LOC,SCALE', "
           "'spectrum:VARIANCE,SLOPE' (Jy/pixel; spectrum needs size) or a checkpoint file.")
      .def_static("gaussian", [](double mean, double std) { return from_registry("gaussian", {mean, std}, 0); },
                  py::arg("mean"), py::arg("std"), "i.i.d. Gaussian pixels N(mean, std^2), Jy/pixel.")
      .def_static("laplace", [](double loc, double scale) { return from_registry("laplace", {loc, scale}, 0); },
                  py::arg("loc"), py::arg("scale"), "i.i.d. Laplace pixels (sparsity), Jy/pixel.")
      .def_static("spectrum",
                  [](double variance, double slope, int size) {
                    return from_registry("spectrum", {variance, slope}, size);
                  },
                  py::arg("variance"), py::arg("slope"), py::arg("size"),
                  "Stationary Gaussian with a power-law spectrum on size x size images (variance in (Jy/pixel)^2).")
      .def("score", &prior_score, py::arg("x"), py::arg("sigma"),
           "x [H, W] or [B, H, W] (prior units); sigma a number or [B] -> the score, x's shape.")
      .def("log_prob", &prior_log_prob, py::arg("x"),
           "log p(x) up to a constant: a float for [H, W], [B] for [B, H, W]; ValueError where not tractable.")
      .def_property_readonly("spec", [](const PyPrior& p) { return p.prior.spec; })
      .def_property_readonly("name", [](const PyPrior& p) { return p.prior.prior->name(); })
      .def_property_readonly("scale", [](const PyPrior& p) { return p.prior.units.scale; },
                             "Jy/pixel per prior unit (0: set from the data's dirty image when sampling).")
      .def_property_readonly("offset", [](const PyPrior& p) { return p.prior.units.offset; }, "Jy/pixel at x = 0.")
      .def_property_readonly("sigma_min", [](const PyPrior& p) { return p.prior.prior->sigma_min(); })
      .def_property_readonly("sigma_max", [](const PyPrior& p) { return p.prior.prior->sigma_max(); })
      .def_property_readonly("height", [](const PyPrior& p) { return p.prior.prior->height(); }, "0: any.")
      .def_property_readonly("width", [](const PyPrior& p) { return p.prior.prior->width(); }, "0: any.")
      .def("__repr__", [](const PyPrior& p) { return fmt::format("<penumbra.Prior {}>", p.prior.spec); });
}

}  // namespace

void bind_priors(py::module_& m) {
  bind_prior_class(m);
  py::class_<PyDiffusionPrior, PyPrior>(m, "DiffusionPrior",
                                        "A trained score-based diffusion prior (a `penumbra train-prior` checkpoint).")
      .def_static("load", &load_diffusion, py::arg("path") = py::none(), py::arg("size") = 0,
                  "Load a checkpoint (None: the shipped data/prior/default.ckpt). size: the image side it must have "
                  "(0: any). Missing file: FileNotFoundError; not a checkpoint: DataError.")
      .def("sample", &diffusion_sample, py::arg("n"), py::arg("steps") = 500, py::arg("sampler") = "em",
           py::arg("seed") = 0, py::arg("batch") = 0,
           R"(n unconditional draws [n, H, W] float32 in network units, as `penumbra prior-sample`
(same seed, sampler and steps: the same images). sampler: em or pc; batch: chains run
together (0: all n).)")
      .def_property_readonly("training_steps", [](const PyDiffusionPrior& p) { return p.diffusion().training_steps(); })
      .def_property_readonly("normalisation",
                             [](const PyDiffusionPrior& p) { return p.diffusion().data_info().normalisation; });
}

}  // namespace penumbra::python
