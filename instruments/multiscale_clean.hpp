#pragma once
// Multiscale CLEAN (Cornwell 2008, in the form of WSClean's "fast" variant,
// Offringa & Smirnov 2017): the model is a sum of components of several sizes
// ("scales"), so an extended source is fitted by a few broad components
// instead of thousands of points. Used as the minor cycle of
// instruments/clean.hpp (Högbom or inside Cotton–Schwab major cycles).
//
// Scales and kernels. A scale s > 0 (pixels) is a unit-sum kernel K_s whose
// full width at half maximum is s pixels; scale 0 is the point (delta), which
// is always included. Shapes:
//   tapered paraboloid  K ∝ (1 − x²)·exp(c(√(1 − x²) − 1)), x = r/s < 1, 0 beyond
//                       (Cornwell's truncated paraboloid under a spheroidal-like
//                       taper; c = ln 1.5 / (1 − √0.75) puts the half maximum at r = s/2)
//   Gaussian            K ∝ exp(−4 ln 2 · r²/s²), truncated at r = 1.5 s (2e-3 of the peak)
// A component of α Jy at scale s adds α·K_s to the model (Jy/pixel).
//
// Scale selection. With R the residual (Jy/beam) and P the PSF (peak 1):
//   R_s = K_s ⊛ R,  P_s = K_s ⊛ P,  P_ss = K_s ⊛ K_s ⊛ P   (FFT convolutions)
//   v_s = R_s(p_s) / P_s(0) at p_s = argmax |R_s|
// v_s reads S for a point source of S Jy at every scale, and grows towards the
// flux within the kernel for extended emission, so larger scales win on
// extended emission and ties go to the small-scale bias
//   b_s = 1 − β · s / s_max      (Cornwell 2008; β = scale bias, default 0.6).
// The scale with the largest b_s·|v_s| is cleaned in a sub-minor loop: Högbom
// on R_s with P_ss (component α = gain · R_s(p) / P_ss(0), which lowers R_s's
// peak by the gain), until R_s's peak fell by 20 % or to the stop level; then
// R −= Σ α·P_s(· − p) and the scale-convolved residuals are recomputed. Scale
// components are only placed where the whole kernel fits inside the image, so
// the model holds exactly the flux that was subtracted.
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "src/core/image_grid.hpp"
#include "src/core/beam.hpp"

namespace penumbra {

enum class ScaleShape { TaperedParaboloid, Gaussian };
ScaleShape parse_scale_shape(const std::string& name);  // "paraboloid" | "gaussian"; UsageError otherwise
std::string scale_shape_name(ScaleShape shape);

struct ScaleKernel {
  double scale = 0;             // FWHM, pixels (0: the point)
  int half_width = 0;           // the kernel is (2h + 1)², centred at (h, h)
  std::vector<double> values;   // sum 1
};
// UsageError for a scale that is negative, not finite, or in (0, 1) (narrower than a pixel).
ScaleKernel make_scale_kernel(double scale, ScaleShape shape);

// The scales WSClean-style when none are given: 0, then 2 × the clean beam's
// FWHM (geometric mean of the axes, pixels), doubling while the scale is at most
// an eighth of the image's smaller side.
std::vector<double> default_scales(const Beam& beam, const ImageGrid& grid);

// Sorted, de-duplicated, 0 added; UsageError for a bad scale or one whose kernel
// is wider than half the image.
std::vector<double> normalise_scales(std::vector<double> scales, const ImageGrid& grid, ScaleShape shape);

class MultiscaleMinorCycle {
 public:
  // `psf2`: the PSF on the 2nx × 2ny grid centred at (nx, ny) (clean_minor_cycle.hpp).
  // `scales` as normalise_scales returns them.
  MultiscaleMinorCycle(std::span<const double> psf2, const ImageGrid& grid, std::vector<double> scales,
                       ScaleShape shape, double scale_bias);
  ~MultiscaleMinorCycle();

  // Cleans `residual` (Jy/beam) into `model` (Jy/pixel) until the residual's
  // |peak| ≤ stop_level, no scale has a peak above it, or `budget` components.
  // Returns the components placed.
  int run(std::vector<double>& residual, std::vector<double>& model, double gain, double stop_level, int budget);

  const std::vector<double>& scales() const { return scales_; }
  // Components placed per scale and flux (Jy) per scale, over all run() calls.
  const std::vector<int>& components() const { return components_; }
  const std::vector<double>& flux() const { return flux_; }

 private:
  struct Scale;
  ImageGrid grid_;
  std::vector<double> scales_;
  std::vector<Scale> per_scale_;
  std::vector<int> components_;
  std::vector<double> flux_;
  struct Convolvers;
  std::unique_ptr<Convolvers> conv_;
};

}  // namespace penumbra
