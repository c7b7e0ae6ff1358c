#include "src/io/fits_image.hpp"

#include <fitsio.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "src/core/errors.hpp"
#include "src/core/run_folder.hpp"
#include "src/core/units.hpp"

namespace penumbra {

namespace {

std::string fits_error_text(int status) {
  char text[FLEN_STATUS] = {0};
  fits_get_errstatus(status, text);
  // The error stack holds the detailed reason (e.g. which keyword); take its first line.
  char msg[FLEN_ERRMSG] = {0};
  std::string detail;
  if (fits_read_errmsg(msg)) detail = msg;
  fits_clear_errmsg();
  return detail.empty() ? fmt::format("{} (status {})", text, status)
                        : fmt::format("{}: {} (status {})", text, detail, status);
}

// Owns a fitsfile* and closes it on every path out.
class FitsFile {
 public:
  explicit FitsFile(std::string path) : path_(std::move(path)) {}
  ~FitsFile() {
    if (f_) {
      int s = 0;
      fits_close_file(f_, &s);
    }
  }
  FitsFile(const FitsFile&) = delete;
  FitsFile& operator=(const FitsFile&) = delete;

  fitsfile** out() { return &f_; }
  fitsfile* get() const { return f_; }
  const std::string& path() const { return path_; }

  // Throws DataError naming the file and what we were doing when cfitsio failed.
  void check(int status, const std::string& doing) const {
    if (status) throw DataError(fmt::format("{}: FITS error while {}: {}", path_, doing, fits_error_text(status)));
  }
  // Closes explicitly so that a failure to flush is reported (the destructor cannot).
  void close() {
    int s = 0;
    fits_close_file(f_, &s);
    f_ = nullptr;
    check(s, "closing the file");
  }

  void key(const char* name, double value, const char* comment) {
    int s = 0;
    // 17 significant digits: doubles survive the round trip through the header text.
    fits_write_key_dbl(f_, name, value, -17, comment, &s);
    check(s, fmt::format("writing {}", name));
  }
  void key(const char* name, const std::string& value, const char* comment) {
    int s = 0;
    fits_write_key(f_, TSTRING, name, const_cast<char*>(value.c_str()), comment, &s);
    check(s, fmt::format("writing {}", name));
  }

  std::optional<double> read_double(const char* name) const {
    int s = 0;
    double v = 0;
    fits_read_key(f_, TDOUBLE, name, &v, nullptr, &s);
    if (s == KEY_NO_EXIST) {
      fits_clear_errmsg();
      return std::nullopt;
    }
    check(s, fmt::format("reading keyword {}", name));
    return v;
  }
  std::optional<std::string> read_string(const char* name) const {
    int s = 0;
    char v[FLEN_VALUE] = {0};
    fits_read_key(f_, TSTRING, name, v, nullptr, &s);
    if (s == KEY_NO_EXIST) {
      fits_clear_errmsg();
      return std::nullopt;
    }
    check(s, fmt::format("reading keyword {}", name));
    std::string out(v);
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
  }

 private:
  std::string path_;
  fitsfile* f_ = nullptr;
};

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

void write_fits_image(const std::filesystem::path& path, const FitsImage& image) {
  const ImageGrid& g = image.grid;
  g.validate();
  if (image.pixels.size() != g.size())
    throw UsageError(fmt::format("{}: {} pixels given for a {}x{} image", path.string(), image.pixels.size(), g.nx, g.ny));
  if (image.bitpix != -32 && image.bitpix != -64)
    throw UsageError(fmt::format("{}: BITPIX {} not supported, expected -32 or -64", path.string(), image.bitpix));
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  write_atomic(path, [&](const std::filesystem::path& tmp) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);  // cfitsio refuses to create over an existing file
    FitsFile f(tmp.string());
    int s = 0;
    // The "diskfile" variants take the name literally (no cfitsio extended-filename syntax).
    fits_create_diskfile(f.out(), tmp.c_str(), &s);
    f.check(s, "creating the file");
    long naxes[4] = {g.nx, g.ny, 1, 1};
    fits_create_img(f.get(), image.bitpix, 4, naxes, &s);
    f.check(s, "creating the image HDU");

    f.key("BUNIT", image.bunit, "Brightness (pixel) unit");
    if (image.beam) {
      f.key("BMAJ", image.beam->bmaj / kDeg, "[deg] Beam major axis FWHM");
      f.key("BMIN", image.beam->bmin / kDeg, "[deg] Beam minor axis FWHM");
      f.key("BPA", image.beam->bpa / kDeg, "[deg] Beam position angle, East of North");
    }
    f.key("RADESYS", std::string("FK5"), "Celestial reference frame");
    f.key("EQUINOX", 2000.0, "[yr] Equinox of the coordinates (J2000)");
    f.key("CTYPE1", std::string("RA---SIN"), "Right ascension, orthographic projection");
    f.key("CRPIX1", g.crpix1(), "Reference pixel = phase centre");
    f.key("CDELT1", g.cdelt1_deg(), "[deg] Negative: East is left");
    f.key("CRVAL1", g.crval1_deg(), "[deg] RA of the phase centre");
    f.key("CUNIT1", std::string("deg"), "");
    f.key("CTYPE2", std::string("DEC--SIN"), "Declination, orthographic projection");
    f.key("CRPIX2", g.crpix2(), "Reference pixel = phase centre");
    f.key("CDELT2", g.cdelt2_deg(), "[deg]");
    f.key("CRVAL2", g.crval2_deg(), "[deg] Dec of the phase centre");
    f.key("CUNIT2", std::string("deg"), "");
    f.key("CTYPE3", std::string("FREQ"), "Frequency");
    f.key("CRPIX3", 1.0, "");
    f.key("CDELT3", image.bandwidth_hz > 0 ? image.bandwidth_hz : 1.0, "[Hz] Bandwidth (1 when unknown)");
    f.key("CRVAL3", image.freq_hz, "[Hz] Frequency (0 when unknown)");
    f.key("CUNIT3", std::string("Hz"), "");
    f.key("CTYPE4", std::string("STOKES"), "");
    f.key("CRPIX4", 1.0, "");
    f.key("CDELT4", 1.0, "");
    f.key("CRVAL4", 1.0, "Stokes I");
    f.key("ORIGIN", std::string("Penumbra"), "Software that wrote this file");
    fits_write_date(f.get(), &s);
    f.check(s, "writing DATE");
    for (const auto& [k, v] : image.history) {
      std::string line = k + ": " + v;
      fits_write_history(f.get(), line.c_str(), &s);
      f.check(s, "writing HISTORY");
    }
    fits_write_img(f.get(), TDOUBLE, 1, static_cast<LONGLONG>(image.pixels.size()),
                   const_cast<double*>(image.pixels.data()), &s);
    f.check(s, "writing the pixels");
    f.close();
  });
}

namespace {

// The first image HDU with at least two axes (the primary HDU may be empty);
// the file is left positioned on it.
struct ImageHdu {
  int index = 0, naxis = 0, bitpix = 0;
  long naxes[9] = {0};
};

ImageHdu find_image_hdu(FitsFile& f) {
  const std::string& p = f.path();
  int s = 0;
  int nhdu = 0;
  fits_get_num_hdus(f.get(), &nhdu, &s);
  f.check(s, "counting HDUs");
  ImageHdu hdu;
  for (int h = 1; h <= nhdu && !hdu.index; ++h) {
    int type = 0;
    fits_movabs_hdu(f.get(), h, &type, &s);
    f.check(s, fmt::format("moving to HDU {}", h));
    if (type != IMAGE_HDU) continue;
    fits_get_img_param(f.get(), 9, &hdu.bitpix, &hdu.naxis, hdu.naxes, &s);
    f.check(s, fmt::format("reading the image size of HDU {}", h));
    if (hdu.naxis >= 2) hdu.index = h;
  }
  if (!hdu.index) throw DataError(fmt::format("{}: no image HDU with two or more axes", p));
  if (hdu.naxis > 9) throw DataError(fmt::format("{}: HDU {} has {} axes, expected at most 9", p, hdu.index, hdu.naxis));
  for (int k = 2; k < hdu.naxis; ++k)
    if (hdu.naxes[k] != 1)
      throw DataError(fmt::format("{}: axis {} has length {}; only 2-D images (extra axes of length 1) are supported",
                                  p, k + 1, hdu.naxes[k]));
  if (hdu.naxes[0] <= 0 || hdu.naxes[1] <= 0)
    throw DataError(fmt::format("{}: image size {}x{} is empty", p, hdu.naxes[0], hdu.naxes[1]));
  return hdu;
}

// Undefined pixels (NaN in float images, BLANK in integer ones) become NaN.
std::vector<double> read_pixels(const FitsFile& f, long nx, long ny) {
  std::vector<double> pixels(static_cast<std::size_t>(nx) * ny);
  int s = 0, anynul = 0;
  double nulval = std::numeric_limits<double>::quiet_NaN();
  fits_read_img(f.get(), TDOUBLE, 1, static_cast<LONGLONG>(pixels.size()), &nulval, pixels.data(), &anynul, &s);
  if (s)
    throw DataError(
        fmt::format("{}: cannot read {}x{} pixels (truncated file?): {}", f.path(), nx, ny, fits_error_text(s)));
  return pixels;
}

// The celestial axes 1 and 2 of a SIN-projected image with square pixels.
struct CelestialWcs {
  double cdelt1 = 0, cdelt2 = 0, crpix1 = 0, crpix2 = 0, crval1 = 0, crval2 = 0;  // deg, pixels, deg
};

CelestialWcs read_celestial_wcs(const FitsFile& f) {
  const std::string& p = f.path();
  auto require = [&](const char* key) {
    auto v = f.read_double(key);
    if (!v) throw DataError(fmt::format("{}: keyword {} missing, expected a celestial WCS", p, key));
    return *v;
  };
  std::string ctype1 = upper(f.read_string("CTYPE1").value_or(""));
  std::string ctype2 = upper(f.read_string("CTYPE2").value_or(""));
  if (ctype1.rfind("RA", 0) != 0 || ctype2.rfind("DEC", 0) != 0)
    throw DataError(fmt::format("{}: CTYPE1/CTYPE2 are '{}'/'{}', expected RA---SIN / DEC--SIN", p, ctype1, ctype2));
  if (ctype1.size() >= 8 && ctype1.substr(5, 3) != "SIN")
    throw DataError(fmt::format("{}: projection '{}' not supported, expected RA---SIN", p, ctype1));
  CelestialWcs w;
  w.cdelt1 = require("CDELT1");
  w.cdelt2 = require("CDELT2");
  w.crpix1 = require("CRPIX1");
  w.crpix2 = require("CRPIX2");
  w.crval1 = require("CRVAL1");
  w.crval2 = require("CRVAL2");
  if (w.cdelt1 == 0 || w.cdelt2 == 0 || !std::isfinite(w.cdelt1) || !std::isfinite(w.cdelt2))
    throw DataError(fmt::format("{}: CDELT1/CDELT2 = {}/{}, expected non-zero", p, w.cdelt1, w.cdelt2));
  if (std::abs(std::abs(w.cdelt1) - std::abs(w.cdelt2)) > 1e-6 * std::abs(w.cdelt2))
    throw DataError(fmt::format("{}: pixels are not square (|CDELT1| = {}, |CDELT2| = {} deg)", p, std::abs(w.cdelt1),
                                std::abs(w.cdelt2)));
  return w;
}

// Brings the pixels into the ImageGrid orientation: East left (CDELT1 < 0),
// North up (CDELT2 > 0). A flip moves the reference pixel with it.
void orient_east_left_north_up(std::vector<double>& pixels, long nx, long ny, CelestialWcs& w) {
  if (w.cdelt1 > 0) {
    for (long y = 0; y < ny; ++y) std::reverse(pixels.begin() + y * nx, pixels.begin() + (y + 1) * nx);
    w.crpix1 = static_cast<double>(nx) + 1 - w.crpix1;
    w.cdelt1 = -w.cdelt1;
  }
  if (w.cdelt2 < 0) {
    for (long y = 0; y < ny / 2; ++y)
      std::swap_ranges(pixels.begin() + y * nx, pixels.begin() + (y + 1) * nx, pixels.begin() + (ny - 1 - y) * nx);
    w.crpix2 = static_cast<double>(ny) + 1 - w.crpix2;
    w.cdelt2 = -w.cdelt2;
  }
}

// ImageGrid puts the phase centre at pixel (nx/2, ny/2), i.e. CRPIX = N/2 + 1.
// When the file's reference pixel is elsewhere, the centre is the sky position
// of that pixel (inverse SIN projection).
void set_phase_centre(ImageGrid& g, const CelestialWcs& w, const std::string& p) {
  double ra0 = w.crval1 * kDeg, dec0 = w.crval2 * kDeg;
  double dx = g.crpix1() - w.crpix1, dy = g.crpix2() - w.crpix2;
  if (dx == 0 && dy == 0) {
    g.ra = ra0;
    g.dec = dec0;
    return;
  }
  // The FITS intermediate coordinate x = CDELT1·(p − CRPIX1) grows with RA, i.e. it is l (East).
  double l = w.cdelt1 * dx * kDeg;
  double m = w.cdelt2 * dy * kDeg;
  double n2 = 1 - l * l - m * m;
  if (n2 < 0) throw DataError(fmt::format("{}: the image centre lies outside the SIN projection", p));
  double n = std::sqrt(n2);
  g.dec = std::asin(m * std::cos(dec0) + n * std::sin(dec0));
  g.ra = ra0 + std::atan2(l, n * std::cos(dec0) - m * std::sin(dec0));
}

// Frequency and bandwidth (a FREQ axis), BUNIT and the restoring beam.
void read_frequency_unit_beam(const FitsFile& f, int naxis, FitsImage& img) {
  for (int k = 3; k <= naxis; ++k) {
    std::string ct = upper(f.read_string(fmt::format("CTYPE{}", k).c_str()).value_or(""));
    if (ct.rfind("FREQ", 0) != 0) continue;
    double crval = f.read_double(fmt::format("CRVAL{}", k).c_str()).value_or(0);
    double cdelt = f.read_double(fmt::format("CDELT{}", k).c_str()).value_or(0);
    double crpix = f.read_double(fmt::format("CRPIX{}", k).c_str()).value_or(1);
    img.freq_hz = crval + (1 - crpix) * cdelt;
    img.bandwidth_hz = std::abs(cdelt) == 1.0 ? 0.0 : std::abs(cdelt);
  }
  img.bunit = f.read_string("BUNIT").value_or("");
  if (auto bmaj = f.read_double("BMAJ")) {
    Beam b;
    b.bmaj = *bmaj * kDeg;
    b.bmin = f.read_double("BMIN").value_or(*bmaj) * kDeg;
    b.bpa = f.read_double("BPA").value_or(0) * kDeg;
    img.beam = b;
  }
}

// HISTORY cards of the form "key: value", as write_fits_image writes them.
std::map<std::string, std::string> read_history(const FitsFile& f) {
  std::map<std::string, std::string> history;
  int s = 0, nkeys = 0;
  fits_get_hdrspace(f.get(), &nkeys, nullptr, &s);
  f.check(s, "reading the header size");
  for (int k = 1; k <= nkeys; ++k) {
    char card[FLEN_CARD] = {0};
    fits_read_record(f.get(), k, card, &s);
    f.check(s, fmt::format("reading header card {}", k));
    if (std::strncmp(card, "HISTORY ", 8) != 0) continue;
    std::string line(card + 8);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    auto colon = line.find(": ");
    if (colon == std::string::npos || colon == 0) continue;
    history[line.substr(0, colon)] = line.substr(colon + 2);
  }
  return history;
}

}  // namespace

FitsImage read_fits_image(const std::filesystem::path& path) {
  const std::string p = path.string();
  if (!std::filesystem::exists(path)) throw MissingInputError("FITS file not found: " + p);
  if (std::filesystem::is_directory(path)) throw DataError(fmt::format("{}: is a directory, expected a FITS file", p));
  FitsFile f(p);
  int s = 0;
  fits_open_diskfile(f.out(), p.c_str(), READONLY, &s);
  if (s) throw DataError(fmt::format("{}: not a readable FITS file: {}", p, fits_error_text(s)));
  const ImageHdu hdu = find_image_hdu(f);
  const long nx = hdu.naxes[0], ny = hdu.naxes[1];
  FitsImage img;
  img.bitpix = hdu.bitpix == -64 ? -64 : -32;
  img.pixels = read_pixels(f, nx, ny);
  CelestialWcs wcs = read_celestial_wcs(f);
  orient_east_left_north_up(img.pixels, nx, ny, wcs);
  img.grid.nx = static_cast<int>(nx);
  img.grid.ny = static_cast<int>(ny);
  img.grid.cell = wcs.cdelt2 * kDeg;
  set_phase_centre(img.grid, wcs, p);
  read_frequency_unit_beam(f, hdu.naxis, img);
  img.history = read_history(f);
  return img;
}

FitsImage make_fits_image(std::vector<double> pixels, const ImageGrid& grid, double freq_hz, const std::string& bunit,
                          const std::string& what) {
  FitsImage img;
  img.pixels = std::move(pixels);
  img.grid = grid;
  img.freq_hz = freq_hz;
  img.bunit = bunit;
  img.history["penumbra"] = what;
  return img;
}

}  // namespace penumbra
