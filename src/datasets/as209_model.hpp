#pragma once
// AS 209 at its own scale (REFERENCE.md §1; Andrews et al. 2018, Guzmán et al. 2018):
// the AS 209-like ring-and-gap profile of protoplanetary_disk.hpp with its outer edge
// at 1.6″ — bright inner disk with narrow rings inside ≈ 0.35″, bright rings at
// ≈ 0.62″ and ≈ 1.0″ between deep gaps at ≈ 0.50″ and ≈ 0.87″, faint emission to
// ≈ 1.6″ — inclined 35° at position angle 86°, 0.3 Jy at 240 GHz. The truth image of
// `penumbra simulate --preset dsharp-as209` (3 mas cells over ±1.8″), and the radial
// profile that posterior profiles are compared with.
#include <vector>

#include "src/core/image_grid.hpp"
#include "src/datasets/protoplanetary_disk.hpp"

namespace penumbra {

// Outer edge of the emission, radians (194 au at ≈ 121 pc).
inline constexpr double kAs209OuterRadius = 1.6 * 4.84813681109536e-6;

// The disk: as209_like_disk(kAs209OuterRadius), centred on the phase centre.
ProtoplanetaryDisk as209_disk();

// Surface brightness in Jy/sr at deprojected radius `r` (radians), normalised so that
// the inclined disk's integral on the sky is its 0.3 Jy: I(r) = c·profile(r/R) with
// c = flux / (cos i · 2π R² ∫ profile(x) x dx).
double as209_brightness(double r);

// Radii (radians) of the profile's local maxima (rings) and minima (gaps) beyond the
// core, found on a fine grid of the profile: rings ≈ 0.115, 0.234, 0.32, 0.618,
// 0.79, 0.997, 1.16″.
struct As209Features {
  std::vector<double> rings, gaps;
};
As209Features as209_features();

// The truth grid: `cell` (default 3 mas, DSHARP's image pixels) over ±`half_width`
// (default 1.8″) around the phase centre, an even number of pixels (1200² by default).
ImageGrid as209_truth_grid(double cell = 3e-3 * 4.84813681109536e-6, double half_width = 1.8 * 4.84813681109536e-6);

// The disk rendered on `grid` in Jy/pixel (render_disk, 4 × 4 sub-pixels; the pixels
// sum to 0.3 Jy). UsageError when the grid is smaller than the disk.
std::vector<double> render_as209(const ImageGrid& grid);

}  // namespace penumbra
