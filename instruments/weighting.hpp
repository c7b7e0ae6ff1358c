#pragma once
// Imaging weights: natural, uniform and Briggs (robust) weighting with an
// optional Gaussian uv taper, as CASA and WSClean define them
// (REFERENCE.md §1):
//
//   natural   W_k = w_k
//   uniform   W_k = w_k / S_c(k)
//   Briggs    W_k = w_k / (1 + S_c(k)·f²),  f² = (5·10^(−R))² / (Σ_c S_c² / Σ_k w_k)
//   taper     W_k ← W_k · exp(−2π²σ²(u_k² + v_k²)),  σ = θ_FWHM / (2√(2 ln 2))
//
// w_k are the thermal (natural) weights of the flattened Stokes-I samples
// (VisibilitySet::weight; every channel at its own uv — multi-frequency
// synthesis is just the flattened set) and S_c the sum of w over the uv cell c.
//
// The uv cells follow WSClean 3.1 (ImageWeights) exactly, so that the same
// MS gives the same weights in both programs:
//   * the weight grid has G_x × G_y cells of Δu = 1/(G_x·cell), Δv = 1/(G_y·cell)
//     (G = the image size by default; WSClean uses its *padded* image size, so
//     compare with `wsclean -padding 1`);
//   * a sample with v < 0 is first reflected to (−u, −v): a visibility and its
//     Hermitian conjugate share a cell;
//   * cell indices are floor(u/Δu + G_x/2) and floor(v/Δv), cells have their
//     lower corner on the grid lines (not centred on them);
//   * a sample outside the grid gets uniform/Briggs weight 0 (as in WSClean).
// The taper is an image-plane FWHM θ (radians): the PSF is convolved with a
// Gaussian of that FWHM. It is evaluated at each sample's own uv; WSClean's
// `-taper-gaussian θ` evaluates the same function at the cell corner, which
// differs by less than one cell's worth of the Gaussian's slope.
#include <span>
#include <string>
#include <vector>

#include "src/core/image_grid.hpp"
#include "src/core/observation.hpp"

namespace penumbra {

enum class WeightingScheme { kNatural, kUniform, kBriggs };

// "natural" | "uniform" | "briggs" (UsageError otherwise, naming the text).
WeightingScheme parse_weighting(const std::string& text);
std::string weighting_name(WeightingScheme scheme);

struct WeightingOptions {
  WeightingScheme scheme = WeightingScheme::kNatural;
  double robust = 0.0;       // Briggs R, −2 (≈ uniform) … 2 (≈ natural)
  double taper_fwhm = 0.0;   // image-plane FWHM of the Gaussian uv taper, radians; 0: no taper
  int grid_nx = 0, grid_ny = 0;  // weight-grid size in cells; 0: the image size
  // Throws UsageError for R outside [−2, 2], negative/non-finite taper or grid sizes.
  void validate() const;
};

struct ImagingWeights {
  std::vector<double> weight;  // one imaging weight per visibility, ≥ 0
  double sum = 0;              // Σ_k W_k
  std::size_t occupied_cells = 0;  // cells with S_c > 0 (0 for natural weighting)
  std::size_t outside = 0;         // samples outside the weight grid (weight 0 for uniform/Briggs)
  // Sensitivity loss against natural weighting: sqrt(Σ W²/w · Σ w) / Σ W (1 for natural, ≥ 1 otherwise).
  double noise_factor = 1;
};

// u, v in wavelengths, w the thermal weights (all of equal length, w ≥ 0);
// `grid` gives the cell size (and the default weight-grid size).
ImagingWeights compute_imaging_weights(std::span<const double> u, std::span<const double> v,
                                       std::span<const double> w, const ImageGrid& grid,
                                       const WeightingOptions& options);
inline ImagingWeights compute_imaging_weights(const VisibilitySet& vis, const ImageGrid& grid,
                                              const WeightingOptions& options) {
  return compute_imaging_weights(vis.u, vis.v, vis.weight, grid, options);
}

}  // namespace penumbra
