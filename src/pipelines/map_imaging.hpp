#pragma once
// MAP / regularised maximum-likelihood imaging with a regulariser of
// prior_registry() (mem, tv, l1): samplers/map_estimate.hpp on the exact NUFFT
// likelihood of one PlannedObservation.
//
// Optimiser units: x_phys = pixel_unit·x with pixel_unit the peak-brightness
// estimate of the dirty image, so pixels are O(1) whatever the flux scale and
// λ means the same for faint and bright sources. MEM's default level 1e-3, TV's
// smoothing ε 1e-3 and the Laplace scale 1/λ are in those units.
#include <string>
#include <vector>

#include "src/core/image_grid.hpp"
#include "src/core/observation.hpp"

namespace penumbra {

class PlannedObservation;

struct MapImagingOptions {
  std::string prior = "tv";  // a regulariser of prior_registry()
  double lambda = 1.0;       // regularisation weight (> 0), in optimiser units
  bool positive = false;     // project onto x ≥ 0
  bool start_from_dirty = true;
  int max_iterations = 300;
  double tolerance = 1e-7;
  double nufft_epsilon = 1e-6;
  void validate() const;  // UsageError naming the quantity
};

struct MapImagingResult {
  std::vector<double> image;       // [ny][nx] Jy/pixel
  std::vector<double> energy;      // per iteration
  std::vector<double> start;       // starting image, Jy/pixel
  double pixel_unit = 0;           // Jy/pixel per optimiser unit (the dirty-peak estimate)
  double chi2_start = 0, chi2 = 0; // reduced χ² of the start and of the result
  int iterations = 0;
  bool converged = false;
};

// `obs` must have been planned with options.nufft_epsilon.
MapImagingResult map_image(const PlannedObservation& obs, const MapImagingOptions& options);
// The same on a plan of its own.
MapImagingResult map_image(const VisibilitySet& vis, const ImageGrid& grid, const MapImagingOptions& options);

}  // namespace penumbra
