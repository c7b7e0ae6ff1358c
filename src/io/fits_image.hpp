#pragma once
// FITS images with a celestial WCS that astropy and DS9 read: axes
// RA---SIN (CDELT1 < 0), DEC--SIN, FREQ, STOKES (degenerate), CRPIX = N/2 + 1,
// BUNIT, and BMAJ/BMIN/BPA (degrees) when a beam is given. Pixels are written
// in the ImageGrid layout ([y][x], x = FITS axis 1) without flips.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "src/core/beam.hpp"
#include "src/core/image_grid.hpp"

namespace penumbra {

struct FitsImage {
  std::vector<double> pixels;  // [ny][nx]
  ImageGrid grid;
  double freq_hz = 0;          // 0: no FREQ axis value known
  double bandwidth_hz = 0;     // CDELT3; 0: unknown (written as 1 Hz so the WCS stays invertible)
  int bitpix = -32;            // -32 (float32, as imagers write) or -64 (float64, exact round trip)
  std::string bunit = "Jy/beam";
  std::optional<Beam> beam;
  // Provenance written as HISTORY "key: value" cards (read back from cards of that
  // form; keep key + value under ~70 characters or cfitsio wraps the card).
  std::map<std::string, std::string> history;
};

// An image of Penumbra's own making: `what` goes into HISTORY as "penumbra: <what>".
FitsImage make_fits_image(std::vector<double> pixels, const ImageGrid& grid, double freq_hz, const std::string& bunit,
                          const std::string& what);

// Written to `path.tmp` and renamed; overwrites.
void write_fits_image(const std::filesystem::path& path, const FitsImage& image);
// Reads the first 2-D (or 2-D with degenerate extra axes) image HDU; throws
// MissingInputError / DataError naming the file and the problem. Images with
// CDELT1 > 0 or CDELT2 < 0 are flipped into the ImageGrid orientation, and a
// reference pixel other than N/2 + 1 is turned into the sky position of pixel
// (nx/2, ny/2) (exact at that pixel; elsewhere the re-centred SIN grid differs
// by second-order terms in the field size, negligible for radio images).
FitsImage read_fits_image(const std::filesystem::path& path);

}  // namespace penumbra
