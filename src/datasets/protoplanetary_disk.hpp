#pragma once
// Sky models of protoplanetary disks: a bright inner disk, narrow rings and deep
// gaps on a smooth, softly truncated envelope, seen at an inclination and a
// position angle — the structures DSHARP resolved (REFERENCE.md §1). Used by
// `penumbra simulate` for its truth images and, with random parameters per
// seed, as a generator of test sets. Plain std::vector<double> images; no LibTorch.
//
// Radial profile, with x = r / radius (radius = the outer edge of the emission):
//   I(x) = [ core·exp(−x²/2w_c²) + envelope·(1 + (x/x_e)²)^(−γ/2)
//            + Σ_rings A_k·exp(−(x − x_k)²/2w_k²) ]
//          · Π_gaps (1 − d_j·exp(−(x − x_j)²/2g_j²)) · ½ erfc((x − 1)/(√2·edge))
// Geometry on the sky (l towards East, m towards North, as in ImageGrid): the major
// axis points along position angle PA (East of North); a point at offsets (l, m)
// from the disk centre sits at deprojected radius
//   r = √(a² + (b / cos i)²),  a = l·sin PA + m·cos PA,  b = l·cos PA − m·sin PA.
#include <cstdint>
#include <string>
#include <vector>

#include "src/core/image_grid.hpp"

namespace penumbra {

struct DiskRing {
  double radius = 0.5;     // x = r / outer radius
  double width = 0.02;     // Gaussian σ in units of the outer radius
  double amplitude = 0.3;  // relative to the core amplitude scale of the profile
};

struct DiskGap {
  double radius = 0.5;  // x
  double width = 0.02;  // Gaussian σ in x
  double depth = 0.9;   // fractional depression, 0…1
};

struct ProtoplanetaryDisk {
  double flux = 0.3;                  // total flux density, Jy
  double radius = 0.28 * 4.84813681109536e-6;  // outer radius of the emission, radians
  double inclination = 0;             // radians, 0 = face-on, < 90°
  double position_angle = 0;          // radians, major axis East of North
  double offset_l = 0, offset_m = 0;  // disk centre relative to the phase centre, radians
  double core_amplitude = 1.0, core_width = 0.03;
  double envelope_amplitude = 0.1, envelope_scale = 0.1, envelope_index = 1.0;
  double edge = 0.04;                 // width of the soft outer edge, in x
  std::vector<DiskRing> rings;
  std::vector<DiskGap> gaps;

  // Unnormalised surface brightness at x = r / radius (the formula above).
  double profile(double x) const;
  // Throws UsageError naming the parameter for values outside their ranges
  // (flux ≤ 0, radius ≤ 0, inclination ∉ [0°, 90°), gap depth ∉ [0, 1], …).
  void validate() const;
  // True when the whole disk (its major axis plus the centre offset, out to
  // x = 1 + 2·edge) lies within usable_half_width(grid) of the phase centre.
  bool fits(const ImageGrid& grid) const;
  // One line for logs: "flux 0.3 Jy, radius 0.29″, i 35°, PA 86°, 7 rings, 5 gaps".
  std::string describe() const;
};

// AS 209-like (Andrews et al. 2018; Guzmán et al. 2018): a bright inner disk, narrow
// rings at 14, 28 and 39 au, deep gaps at 61 and 105 au between bright rings at 74 and
// 120 au, faint rings beyond, emission to ≈ 194 au (1.6″ at 121 pc); i = 35°, PA = 86°,
// 0.3 Jy. `outer_radius` (radians) rescales the whole structure on the sky — 1.6″
// is AS 209 itself; the demo uses a compact analogue (docs/simulate.md).
ProtoplanetaryDisk as209_like_disk(double outer_radius = 1.6 * 4.84813681109536e-6);

// Half-width of sky an image offers around its phase centre: (min(nx, ny)/2 − 1)·cell
// (the even grid has N/2 − ½ pixels on its short side; one pixel of margin).
double usable_half_width(const ImageGrid& grid);

// Ranges of the random generator; radii as fractions of usable_half_width().
struct RandomDiskRanges {
  double radius_min = 0.4, radius_max = 0.9;     // outer radius / usable half-width
  double flux_min = 0.05, flux_max = 1.0;        // Jy, log-uniform
  double max_inclination = 70.0 * 0.017453292519943295;  // cos i uniform in [cos max, 1]
  int max_rings = 4, max_gaps = 3;
  double max_offset = 0.05;                      // centre offset / usable half-width
};

// A random disk for test sets: the same seed and grid give the same disk.
ProtoplanetaryDisk random_disk(std::uint64_t seed, const ImageGrid& grid, const RandomDiskRanges& ranges = {});

// Renders the disk on `grid` in Jy/pixel ([y][x], ImageGrid layout), averaging
// `supersample`² sub-pixel samples per pixel (narrow rings alias otherwise), and
// scales the image so its pixels sum to `disk.flux`. UsageError when the disk does not
// fit the grid (see fits()) or supersample < 1.
std::vector<double> render_disk(const ProtoplanetaryDisk& disk, const ImageGrid& grid, int supersample = 4);

}  // namespace penumbra
