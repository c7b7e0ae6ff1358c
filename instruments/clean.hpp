#pragma once
// CLEAN deconvolution, the imaging baseline that posterior samples are
// compared with: Högbom (minor cycles on the dirty image alone) and
// Cotton–Schwab (major cycles that recompute the residual from the
// visibilities with the NUFFT, minor cycles on the residual image).
//
// The clean beam is fitted to the PSF by instruments/beam_fit.hpp.
//
// Units: residual and restored images in Jy/beam (the dirty-image
// normalisation of instruments/dirty_image.hpp, PSF peak 1), the model in
// Jy/pixel, so a point source of S Jy ends as S Jy in one model pixel. The
// restored image is model ⊛ clean beam (peak 1) + residual. Images in the
// ImageGrid layout ([y][x], x = 0 East).
#include <span>
#include <vector>

#include "src/core/image_grid.hpp"
#include "src/core/observation.hpp"
#include "instruments/multiscale_clean.hpp"
#include "src/core/beam.hpp"

namespace penumbra {

struct CleanOptions {
  int niter = 1000;           // total minor-cycle iterations
  double gain = 0.1;          // loop gain
  double threshold = 0.0;     // stop when |residual peak| ≤ threshold, Jy/beam
  bool cotton_schwab = true;  // false: Högbom
  int max_major_cycles = 20;
  double major_gain = 0.8;    // a minor cycle stops once the peak fell by this fraction
  double epsilon = 1e-6;      // NUFFT accuracy
  // Multiscale minor cycles (instruments/multiscale_clean.hpp); `scales` in
  // pixels (FWHM), empty: default_scales() of the fitted clean beam.
  bool multiscale = false;
  std::vector<double> scales;
  ScaleShape scale_shape = ScaleShape::TaperedParaboloid;
  double scale_bias = 0.6;
};

struct CleanResult {
  std::vector<double> model;     // Jy/pixel
  std::vector<double> residual;  // Jy/beam
  std::vector<double> restored;  // Jy/beam
  std::vector<double> psf;       // image-sized PSF, peak 1
  Beam beam;                     // fitted clean beam
  int iterations = 0;
  int major_cycles = 0;
  double final_peak = 0;         // |residual| peak at the end, Jy/beam
  // Multiscale only: the scales used (pixels), components and flux (Jy) per scale.
  std::vector<double> scales;
  std::vector<int> scale_components;
  std::vector<double> scale_flux;
};

// `imaging_weight` has one entry per visibility (instruments/weighting.hpp).
CleanResult clean(const VisibilitySet& vis, std::span<const double> imaging_weight, const ImageGrid& grid,
                  const CleanOptions& options);

// Adds each model pixel convolved with the clean beam (peak 1) to `image`.
void restore(std::span<const double> model, const Beam& beam, const ImageGrid& grid, std::span<double> image);

}  // namespace penumbra
