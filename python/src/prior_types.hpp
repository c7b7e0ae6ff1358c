#pragma once
// A prior as the Python API holds it: the library's Prior with its pixel units
// (Jy/pixel = scale · x + offset), as a run's prior registry makes it, so that
// sample_posterior sees exactly what `penumbra sample --prior SPEC` sees.
#include <pybind11/pybind11.h>

#include "src/pipelines/prior_registry.hpp"

namespace penumbra::python {

struct PyPrior {
  PipelinePrior prior;
};

// A PyPrior object, or a spec string as the CLI's --prior takes it (size: the image side, 0: not given).
PipelinePrior pipeline_prior(const pybind11::handle& prior, int size);

}  // namespace penumbra::python
