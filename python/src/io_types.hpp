#pragma once
// What the Python API hands around between its parts: an observation as read
// (and its Stokes-I samples, which every imaging call uses), and the beam as a
// dict in the units users read in FITS headers and papers.
#include <pybind11/pybind11.h>

#include <string>

#include "src/core/beam.hpp"
#include "src/core/image_grid.hpp"
#include "src/core/observation.hpp"

namespace penumbra::python {

struct PyObservation {
  Observation obs;      // as read (empty rows for an observation made from arrays)
  VisibilitySet vis;    // Stokes I, validated: what .u .v .vis .weight show
  std::string source;   // file name or "arrays", for messages
  double mean_freq_hz() const;  // 0 when unknown
};

// {"bmaj": arcsec, "bmin": arcsec, "bpa": degrees East of North} and back.
pybind11::dict beam_to_dict(const Beam& beam);
Beam beam_from_dict(const pybind11::dict& d);

// An npix × npix grid of `cell` radians centred on the observation's phase centre.
// UsageError for npix < 2 or a non-positive cell.
ImageGrid square_grid(const PyObservation& obs, int npix, double cell);

}  // namespace penumbra::python
