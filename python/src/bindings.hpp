#pragma once
// The parts of the module, one per floor of the library it wraps (module.cpp
// calls them in order, so later parts may name the classes of earlier ones).
#include <pybind11/pybind11.h>

namespace penumbra::python {

void bind_io(pybind11::module_& m);           // Observation, MeasurementSets, uvtables, FITS
void bind_instruments(pybind11::module_& m);  // NufftPlan, dirty_image, GaussianLikelihood
void bind_priors(pybind11::module_& m);       // Prior, analytic priors, DiffusionPrior
void bind_posterior(pybind11::module_& m);    // sample_posterior, Likelihood callbacks, sample
void bind_diagnostics(pybind11::module_& m);  // tarp, calibration, Classifier

}  // namespace penumbra::python
