#pragma once
// The image grid: npix × npix cells of `cell` radians around a phase centre.
//
// Layout and orientation (used everywhere, FITS included): images are row-major
// [y][x], x = FITS axis 1 (RA), y = FITS axis 2 (Dec). Pixel (x, y), 0-based, sits at
//   l = -(x - nx/2)·cell   (l grows towards East, so x = 0 is the East edge, CDELT1 < 0)
//   m = +(y - ny/2)·cell
// The phase centre is pixel (nx/2, ny/2), i.e. FITS CRPIX = N/2 + 1.
#include <cstddef>

namespace penumbra {

struct ImageGrid {
  int nx = 0, ny = 0;
  double cell = 0;     // radians per pixel
  double ra = 0;       // phase centre, radians
  double dec = 0;

  std::size_t size() const { return static_cast<std::size_t>(nx) * ny; }
  double l(int x) const { return -(x - nx / 2) * cell; }
  double m(int y) const { return (y - ny / 2) * cell; }
  // FITS WCS (degrees, 1-based reference pixel).
  double crpix1() const { return nx / 2 + 1; }
  double crpix2() const { return ny / 2 + 1; }
  double cdelt1_deg() const;
  double cdelt2_deg() const;
  double crval1_deg() const;
  double crval2_deg() const;
  // Longest |uv| (wavelengths) the grid resolves without aliasing: 1/(2·cell).
  double max_uv() const { return 0.5 / cell; }
  // Throws UsageError for non-positive sizes or cells.
  void validate() const;
};

}  // namespace penumbra
