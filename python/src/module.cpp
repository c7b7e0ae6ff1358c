// The extension module penumbra._penumbra: Penumbra's library from Python.
// Errors keep the library's one-line messages and map to Python's classes:
// usage → ValueError, bad data → penumbra.DataError, missing input →
// FileNotFoundError, internal → RuntimeError.
#include <ATen/Parallel.h>
#include <pybind11/pybind11.h>

#include "penumbra/version.hpp"
#include "python/src/bindings.hpp"
#include "src/core/errors.hpp"
#include "src/core/log.hpp"
#include "src/core/threads.hpp"

namespace py = pybind11;

namespace {

void register_errors(py::module_& m) {
  static py::exception<penumbra::DataError> data_error(m, "DataError", PyExc_Exception);
  data_error.doc() = "Input that exists but is malformed (the message names the file, column, row and value).";
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const penumbra::UsageError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const penumbra::DataError& e) {
      data_error(e.what());
    } catch (const penumbra::MissingInputError& e) {
      PyErr_SetString(PyExc_FileNotFoundError, e.what());
    } catch (const penumbra::Error& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
    }
  });
}

void set_threads(int n) {
  penumbra::set_thread_count(n);
  at::set_num_threads(penumbra::thread_count());
}

}  // namespace

PYBIND11_MODULE(_penumbra, m) {
  m.doc() = "Penumbra: Bayesian imaging and uncertainty for radio interferometry (the C++ library from NumPy).";
  m.attr("__version__") = penumbra::kVersion;
  register_errors(m);
  // Python sessions see warnings and errors only; set_log_level("info") shows what the CLI logs.
  penumbra::init_logging("warn");
  m.def("set_log_level", &penumbra::init_logging, py::arg("level"),
        "Level of the library's log on stderr: trace, debug, info, warn (the module's default), error or off.");
  m.def("set_threads", &set_threads, py::arg("n"),
        "Threads for LibTorch, FFTW and the NUFFT (n <= 0: all cores), as the CLI's --threads.");
  m.def("threads", &penumbra::thread_count, "Threads the library runs on.");
  penumbra::python::bind_io(m);
  penumbra::python::bind_instruments(m);
  penumbra::python::bind_priors(m);
  penumbra::python::bind_posterior(m);
  penumbra::python::bind_diagnostics(m);
}
