#pragma once
// Azimuthally averaged brightness of an inclined disk: each pixel is placed at its
// deprojected radius with the geometry of protoplanetary_disk.hpp (major axis at
// position angle PA East of North, inclination i):
//   r = √(a² + (b / cos i)²),  a = l·sin PA + m·cos PA,  b = l·cos PA − m·sin PA,
// (l, m) the pixel's offset from the disk centre, and pixels are averaged in bins of
// deprojected radius. Used to compare an image's rings and gaps (a truth, a dirty
// image, a posterior sample) with a model profile such as as209_brightness().
#include <cstddef>
#include <span>
#include <vector>

#include "src/core/image_grid.hpp"

namespace penumbra {

struct RadialProfile {
  double bin_width = 0;             // radians
  std::vector<double> radius;       // bin centres, radians
  std::vector<double> mean;         // mean pixel value in the bin (the image's unit); NaN for an empty bin
  std::vector<double> scatter;      // standard deviation of the bin's pixels (0 for fewer than two)
  std::vector<std::size_t> count;   // pixels in the bin
};

struct DiskOrientation {
  double inclination = 0;             // radians, [0°, 89°]
  double position_angle = 0;          // radians, major axis East of North
  double offset_l = 0, offset_m = 0;  // disk centre relative to the phase centre, radians
};

// Bins [k·w, (k + 1)·w) for k = 0 … ⌈max_radius / w⌉ − 1 over `image` ([y][x] on `grid`).
// UsageError naming the quantity for a non-positive bin width or maximum radius, an
// inclination outside [0°, 89°], or an image whose size is not the grid's.
RadialProfile deprojected_radial_profile(std::span<const double> image, const ImageGrid& grid,
                                         const DiskOrientation& disk, double bin_width, double max_radius);

// Radius of the largest (`maximum`) or smallest mean among the bins whose centres lie
// in [r_lo, r_hi], refined by the vertex of the parabola through that bin and its two
// neighbours. UsageError when no non-empty bin lies in the range.
double profile_extremum(const RadialProfile& profile, double r_lo, double r_hi, bool maximum);

}  // namespace penumbra
