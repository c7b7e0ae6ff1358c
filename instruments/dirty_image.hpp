#pragma once
// Dirty image and point-spread function (PSF) of a set of visibilities:
//
//   dirty = Re Aᴴ (W · V) / Σ W,     psf = Re Aᴴ W / Σ W
//
// with A the measurement operator of instruments/nufft.hpp (Aᴴ y)_j =
// Re Σ_k y_k exp(+2πi (u_k l_j + v_k m_j)), W the imaging weights
// (instruments/weighting.hpp) and V the visibilities in the internal sign
// convention. Dividing by Σ W makes the PSF exactly 1 at the phase centre
// (pixel (nx/2, ny/2)), which is its peak, so the dirty image is in Jy/beam:
// a point source of S Jy at a pixel centre shows as S there. This is the
// normalisation of CASA and of WSClean (with its default weight normalisation).
// Both images are nx × ny, ImageGrid layout ([y][x]); computed with a
// NufftPlan<double> of accuracy ε (relative L2 error of Aᴴ against the direct
// transform), so pixel values are within ~ε·‖image‖ of the exact sums.
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "instruments/nufft.hpp"
#include "src/core/image_grid.hpp"
#include "src/core/observation.hpp"

namespace penumbra {

struct DirtyImageOptions {
  double epsilon = 1e-6;  // NUFFT accuracy
  int threads = 0;        // 0: thread_count()
  bool make_psf = true;
};

struct ImageStats {
  double peak = 0;        // largest value
  int peak_x = 0, peak_y = 0;
  double min = 0;
  double rms = 0;         // over all pixels
};
ImageStats image_stats(std::span<const double> image, int nx, int ny);

struct DirtyImage {
  ImageGrid grid;
  std::vector<double> dirty;  // [ny][nx], Jy/beam
  std::vector<double> psf;    // [ny][nx], peak 1 (empty unless make_psf)
  double weight_sum = 0;      // Σ W
  std::size_t nvis = 0;       // visibilities with W > 0
  double plan_seconds = 0, grid_seconds = 0;
};

// Throws UsageError when some |u| or |v| ≥ 1/(2·cell) (the image would alias
// it), naming the visibility, its uv and the largest cell that would fit.
void check_uv_fits_grid(std::span<const double> u, std::span<const double> v, const ImageGrid& grid);

// `imaging_weight` has one entry per visibility (≥ 0); visibilities with zero
// weight are skipped. Throws DataError when there is no visibility or all
// weights are zero, or for non-finite input (naming the index).
DirtyImage make_dirty_image(const VisibilitySet& vis, std::span<const double> imaging_weight, const ImageGrid& grid,
                            const DirtyImageOptions& options = {});
// The same on an existing plan of all of vis's uv points (a run shares one plan
// between its dirty image, likelihood, χ² and residual); options.epsilon and
// threads are the plan's. Zero-weight visibilities then cost NUFFT time but
// contribute exactly nothing, so the images equal the ones above.
DirtyImage make_dirty_image(const NufftPlan<double>& plan, const VisibilitySet& vis,
                            std::span<const double> imaging_weight, bool make_psf = true);

}  // namespace penumbra
