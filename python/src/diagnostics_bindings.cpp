// tarp, credible_interval_coverage, calibration, Classifier.
#include <ATen/Context.h>
#include <fmt/format.h>
#include <pybind11/stl.h>

#include "python/src/arrays.hpp"
#include "python/src/bindings.hpp"
#include "src/core/checks.hpp"
#include "src/core/rng.hpp"
#include "src/datasets/labelled_images.hpp"
#include "src/diagnostics/calibration.hpp"
#include "src/diagnostics/tarp.hpp"
#include "src/nn/ensemble.hpp"
#include "src/pipelines/classifier_evaluation.hpp"

namespace penumbra::python {

namespace {

// Same stream as `penumbra classify predict`, so a seed gives the CLI's weight draws.
constexpr std::uint64_t kPredictStream = 0x9ED1;

py::object json_to_python(const nlohmann::json& j) { return py::module_::import("json").attr("loads")(j.dump()); }

// samples [n_sims, n_samples, ...] and truths [n_sims, ...] → one CoverageSimulation per simulation.
std::vector<CoverageSimulation> simulations(const py::handle& samples, const py::handle& truths) {
  auto s = as_array<float>(samples, "samples");
  auto t = as_array<float>(truths, "truths");
  if (s.ndim() < 3) throw py::value_error("samples must have shape [n_sims, n_samples, ...], got fewer than 3 axes");
  std::vector<py::ssize_t> expected{s.shape(0)};
  std::string text = fmt::format("[{}", s.shape(0));
  for (py::ssize_t i = 2; i < s.ndim(); ++i) {
    expected.push_back(s.shape(i));
    text += fmt::format(", {}", s.shape(i));
  }
  require_shape(t, "truths", {expected}, text + "] (samples' shape without the sample axis)");
  require_finite_values(s, "samples");
  require_finite_values(t, "truths");
  const std::size_t n = s.shape(1), d = t.size() / t.shape(0);
  std::vector<CoverageSimulation> sims(s.shape(0));
  for (std::size_t j = 0; j < sims.size(); ++j) {
    sims[j].n = static_cast<int>(n);
    sims[j].samples.assign(s.data() + j * n * d, s.data() + (j + 1) * n * d);
    sims[j].truth.assign(t.data() + j * d, t.data() + (j + 1) * d);
  }
  return sims;
}

py::dict tarp(const py::handle& samples, const py::handle& truths, int n_alpha, int n_bootstrap, std::uint64_t seed,
              const std::string& normalisation) {
  require_in("normalisation", normalisation, {"per-coordinate", "global"});
  require_at_least("n_alpha", n_alpha, 2);
  require_at_least("n_bootstrap", n_bootstrap, 0);
  auto sims = simulations(samples, truths);
  TarpResult r;
  {
    py::gil_scoped_release release;
    r = tarp_coverage(sims, seed, n_alpha, n_bootstrap,
                      normalisation == "global" ? TarpNormalisation::kGlobal : TarpNormalisation::kPerCoordinate);
  }
  py::dict d;
  const auto n = static_cast<py::ssize_t>(r.alpha.size());
  d["alpha"] = array_of(r.alpha, {n});
  d["ecp"] = array_of(r.ecp, {n});
  d["ecp_low"] = array_of(r.ecp_low, {static_cast<py::ssize_t>(r.ecp_low.size())});
  d["ecp_high"] = array_of(r.ecp_high, {static_cast<py::ssize_t>(r.ecp_high.size())});
  d["f"] = array_of(r.f, {static_cast<py::ssize_t>(r.f.size())});
  d["max_abs_ecp_minus_alpha"] = r.max_abs_ecp_minus_alpha;
  d["calibrated_mean"] = r.calibrated_mean;
  d["calibrated_q95"] = r.calibrated_q95;
  d["p_value"] = r.p_value;
  return d;
}

double interval_coverage(const py::handle& samples, const py::handle& truths, double level) {
  require_in_range("level", level, 0.0, 1.0);
  return credible_interval_coverage(simulations(samples, truths), level);
}

py::object calibration(const py::handle& probabilities, const py::handle& labels, int bins) {
  auto p = as_array<double>(probabilities, "probabilities");
  require_shape(p, "probabilities", {{kAny, kAny}, {kAny, kAny, kAny}}, "[n, classes] or [samples, n, classes]");
  require_finite_values(p, "probabilities");
  const int K = p.ndim() == 3 ? static_cast<int>(p.shape(0)) : 1;
  const std::int64_t N = p.shape(p.ndim() - 2);
  const int C = static_cast<int>(p.shape(p.ndim() - 1));
  auto l = py::array_t<int, py::array::c_style | py::array::forcecast>::ensure(labels);
  if (!l || l.ndim() != 1 || l.shape(0) != N)
    throw py::value_error(fmt::format("labels must be integers of shape [n] = [{}]", N));
  std::vector<int> lab(l.data(), l.data() + N);
  for (std::int64_t i = 0; i < N; ++i)
    if (lab[i] < 0 || lab[i] >= C)
      throw py::value_error(fmt::format("labels must be in [0, {}), got {} at index {}", C, lab[i], i));
  require_at_least("bins", bins, 1);
  std::vector<double> probs(p.data(), p.data() + p.size());
  CalibrationReport r;
  {
    py::gil_scoped_release release;
    r = calibration_report(probs, K, N, C, lab, bins);
  }
  return json_to_python(r.to_json());
}

class PyClassifier {
 public:
  explicit PyClassifier(const std::string& dir) {
    require_exists(dir, "classifier folder");
    py::gil_scoped_release release;
    model_ = std::make_shared<ClassifierEnsemble>(ClassifierEnsemble::load(dir));
  }

  py::array predict(const py::handle& images, int samples, std::uint64_t seed, const std::string& tta) {
    const ClassifierConfig& cfg = model_->config();
    const py::ssize_t s = cfg.image_size;
    auto a = as_array<float>(images, "images");
    require_shape(a, "images", {{kAny, s, s}}, fmt::format("[n, {0}, {0}]", s));
    require_finite_values(a, "images");
    require_at_least("samples", samples, 1);
    const TestTimeAugmentation aug = parse_test_time_augmentation(tta, "tta");
    LabelledImages data;
    data.height = data.width = cfg.image_size;
    data.pixels.assign(a.data(), a.data() + a.size());
    data.labels.assign(a.shape(0), 0);
    data.class_names = cfg.class_names;
    std::vector<double> probs;
    {
      py::gil_scoped_release release;
      at::manual_seed(derive_seed(seed, kPredictStream));
      probs = predict_probabilities(*model_, data, samples, cfg.bayesian, aug);
    }
    const auto n = a.shape(0), c = static_cast<py::ssize_t>(cfg.n_classes);
    return array_of(probs, {static_cast<py::ssize_t>(probs.size()) / (n * c), n, c});
  }

  const ClassifierConfig& config() const { return model_->config(); }
  std::size_t members() const { return model_->size(); }

 private:
  std::shared_ptr<ClassifierEnsemble> model_;
};

}  // namespace

void bind_diagnostics(py::module_& m) {
  m.def("tarp", &tarp, py::arg("samples"), py::arg("truths"), py::arg("n_alpha") = 101, py::arg("n_bootstrap") = 100,
        py::arg("seed") = 0, py::arg("normalisation") = "per-coordinate",
        R"(TARP expected coverage (Lemos et al. 2023) of posterior samples against their truths.

samples [n_sims, n_samples, ...] and truths [n_sims, ...] (each image flattened).
normalisation: 'per-coordinate' (the paper's) or 'global' (one range for all pixels).
Returns a dict: alpha, ecp, ecp_low/ecp_high (bootstrap 95 % band), f (per simulation),
max_abs_ecp_minus_alpha, and what a calibrated sampler shows at this n_sims
(calibrated_mean, calibrated_q95, p_value).)");
  m.def("credible_interval_coverage", &interval_coverage, py::arg("samples"), py::arg("truths"),
        py::arg("level") = 0.68,
        "Fraction of truth pixels inside the samples' central credible interval of `level`, pooled over "
        "simulations (shapes as for tarp).");
  m.def("calibration", &calibration, py::arg("probabilities"), py::arg("labels"), py::arg("bins") = 15,
        R"(Calibration of a probabilistic classifier: probabilities [n, C] or [K, n, C] (K posterior
samples), labels [n] in 0..C-1. Returns a dict: accuracy, nll, brier, ece, uce, entropy,
mutual_information (nats), reliability and uncertainty bins, confusion matrix, and the
ECE of a calibrated model on the same confidences (ece_calibrated_mean/q95, ece_p_value).)");
  py::class_<PyClassifier>(m, "Classifier", "A trained radio-galaxy classifier or ensemble (`penumbra classify`).")
      .def_static("load", [](const std::string& dir) { return std::make_unique<PyClassifier>(dir); }, py::arg("dir"),
                  "Load a model or ensemble folder. Missing: FileNotFoundError; not a model: DataError.")
      .def("predict", &PyClassifier::predict, py::arg("images"), py::arg("samples") = 16, py::arg("seed") = 0,
           py::arg("tta") = "none",
           R"(Class probabilities [K, n, C] of images [n, S, S] (the model's pixel scale, normalised
inside): K = samples weight draws per member for a Bayesian model (1 pass with the means
otherwise) times the members. tta: 'none' or 'd4' (average over the 8 symmetries).
Mean over axis 0 is the predictive; feed the array to calibration().)")
      .def_property_readonly("class_names", [](const PyClassifier& c) { return c.config().class_names; })
      .def_property_readonly("image_size", [](const PyClassifier& c) { return c.config().image_size; })
      .def_property_readonly("backbone", [](const PyClassifier& c) { return c.config().backbone; })
      .def_property_readonly("bayesian", [](const PyClassifier& c) { return c.config().bayesian; })
      .def_property_readonly("members", &PyClassifier::members);
}

}  // namespace penumbra::python
