#pragma once
// CLEAN deconvolution, the imaging baseline that posterior samples are
// compared with: Högbom (minor cycles on the dirty image alone) and
// Cotton–Schwab (major cycles that recompute the residual from the
// visibilities with the NUFFT, minor cycles on the residual image).
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
#include "src/io/fits_image.hpp"

namespace penumbra {

struct CleanOptions {
  int niter = 1000;           // total minor-cycle iterations
  double gain = 0.1;          // loop gain
  double threshold = 0.0;     // stop when |residual peak| ≤ threshold, Jy/beam
  bool cotton_schwab = true;  // false: Högbom
  int max_major_cycles = 20;
  double major_gain = 0.8;    // a minor cycle stops once the peak fell by this fraction
  double epsilon = 1e-6;      // NUFFT accuracy
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
};

// `imaging_weight` has one entry per visibility (instruments/weighting.hpp).
CleanResult clean(const VisibilitySet& vis, std::span<const double> imaging_weight, const ImageGrid& grid,
                  const CleanOptions& options);

// Least-squares elliptical Gaussian fit to the PSF's main lobe (the connected
// pixels above half of the peak around the centre): FWHM axes and position
// angle (East of North), radians. Throws DataError when the lobe is too small
// to fit (fewer than 6 pixels: the cell does not sample the beam).
Beam fit_clean_beam(std::span<const double> psf, const ImageGrid& grid);

// Adds each model pixel convolved with the clean beam (peak 1) to `image`.
void restore(std::span<const double> model, const Beam& beam, const ImageGrid& grid, std::span<double> image);

}  // namespace penumbra
