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

FitsImage read_fits_image(const std::filesystem::path& path) {
  const std::string p = path.string();
  if (!std::filesystem::exists(path)) throw MissingInputError("FITS file not found: " + p);
  if (std::filesystem::is_directory(path)) throw DataError(fmt::format("{}: is a directory, expected a FITS file", p));
  FitsFile f(p);
  int s = 0;
  fits_open_diskfile(f.out(), p.c_str(), READONLY, &s);
  if (s) throw DataError(fmt::format("{}: not a readable FITS file: {}", p, fits_error_text(s)));

  int nhdu = 0;
  fits_get_num_hdus(f.get(), &nhdu, &s);
  f.check(s, "counting HDUs");
  // The first image HDU with at least two axes (the primary HDU may be empty).
  int naxis = 0;
  long naxes[9] = {0};
  int bitpix = 0;
  int found = 0;
  for (int h = 1; h <= nhdu && !found; ++h) {
    int type = 0;
    fits_movabs_hdu(f.get(), h, &type, &s);
    f.check(s, fmt::format("moving to HDU {}", h));
    if (type != IMAGE_HDU) continue;
    fits_get_img_param(f.get(), 9, &bitpix, &naxis, naxes, &s);
    f.check(s, fmt::format("reading the image size of HDU {}", h));
    if (naxis >= 2) found = h;
  }
  if (!found) throw DataError(fmt::format("{}: no image HDU with two or more axes", p));
  if (naxis > 9) throw DataError(fmt::format("{}: HDU {} has {} axes, expected at most 9", p, found, naxis));
  for (int k = 2; k < naxis; ++k)
    if (naxes[k] != 1)
      throw DataError(fmt::format("{}: axis {} has length {}; only 2-D images (extra axes of length 1) are supported",
                                  p, k + 1, naxes[k]));
  const long nx = naxes[0], ny = naxes[1];
  if (nx <= 0 || ny <= 0) throw DataError(fmt::format("{}: image size {}x{} is empty", p, nx, ny));

  FitsImage img;
  img.bitpix = bitpix == -64 ? -64 : -32;
  img.pixels.resize(static_cast<std::size_t>(nx) * ny);
  int anynul = 0;
  // Undefined pixels (NaN in float images, BLANK in integer ones) become NaN.
  double nulval = std::numeric_limits<double>::quiet_NaN();
  fits_read_img(f.get(), TDOUBLE, 1, static_cast<LONGLONG>(img.pixels.size()), &nulval, img.pixels.data(), &anynul,
                &s);
  if (s) throw DataError(fmt::format("{}: cannot read {}x{} pixels (truncated file?): {}", p, nx, ny, fits_error_text(s)));

  // --- WCS: celestial axes 1 and 2. ---
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
  double cdelt1 = require("CDELT1"), cdelt2 = require("CDELT2");
  double crpix1 = require("CRPIX1"), crpix2 = require("CRPIX2");
  double crval1 = require("CRVAL1"), crval2 = require("CRVAL2");
  if (cdelt1 == 0 || cdelt2 == 0 || !std::isfinite(cdelt1) || !std::isfinite(cdelt2))
    throw DataError(fmt::format("{}: CDELT1/CDELT2 = {}/{}, expected non-zero", p, cdelt1, cdelt2));
  if (std::abs(std::abs(cdelt1) - std::abs(cdelt2)) > 1e-6 * std::abs(cdelt2))
    throw DataError(fmt::format("{}: pixels are not square (|CDELT1| = {}, |CDELT2| = {} deg)", p, std::abs(cdelt1),
                                std::abs(cdelt2)));
  // Bring the pixels into the ImageGrid orientation: East left (CDELT1 < 0),
  // North up (CDELT2 > 0). A flip moves the reference pixel with it.
  if (cdelt1 > 0) {
    for (long y = 0; y < ny; ++y) std::reverse(img.pixels.begin() + y * nx, img.pixels.begin() + (y + 1) * nx);
    crpix1 = static_cast<double>(nx) + 1 - crpix1;
    cdelt1 = -cdelt1;
  }
  if (cdelt2 < 0) {
    for (long y = 0; y < ny / 2; ++y)
      std::swap_ranges(img.pixels.begin() + y * nx, img.pixels.begin() + (y + 1) * nx,
                       img.pixels.begin() + (ny - 1 - y) * nx);
    crpix2 = static_cast<double>(ny) + 1 - crpix2;
    cdelt2 = -cdelt2;
  }
  img.grid.nx = static_cast<int>(nx);
  img.grid.ny = static_cast<int>(ny);
  img.grid.cell = cdelt2 * kDeg;
  double ra0 = crval1 * kDeg, dec0 = crval2 * kDeg;
  // ImageGrid puts the phase centre at pixel (nx/2, ny/2), i.e. CRPIX = N/2 + 1.
  // When the file's reference pixel is elsewhere, the centre is the sky position
  // of that pixel (inverse SIN projection).
  double dx = img.grid.crpix1() - crpix1, dy = img.grid.crpix2() - crpix2;
  if (dx != 0 || dy != 0) {
    // The FITS intermediate coordinate x = CDELT1·(p − CRPIX1) grows with RA, i.e. it is l (East).
    double l = cdelt1 * dx * kDeg;
    double m = cdelt2 * dy * kDeg;
    double n2 = 1 - l * l - m * m;
    if (n2 < 0) throw DataError(fmt::format("{}: the image centre lies outside the SIN projection", p));
    double n = std::sqrt(n2);
    img.grid.dec = std::asin(m * std::cos(dec0) + n * std::sin(dec0));
    img.grid.ra = ra0 + std::atan2(l, n * std::cos(dec0) - m * std::sin(dec0));
  } else {
    img.grid.ra = ra0;
    img.grid.dec = dec0;
  }

  // --- Frequency, unit, beam, history. ---
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
  int nkeys = 0;
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
    img.history[line.substr(0, colon)] = line.substr(colon + 2);
  }
  return img;
}

}  // namespace penumbra
