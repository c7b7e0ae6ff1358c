#include "src/io/fits_image.hpp"

#include <fitsio.h>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>

#include "src/core/errors.hpp"
#include "src/core/units.hpp"
#include "src/io/describe.hpp"
#include "tests/support/paths.hpp"

namespace penumbra {
namespace {

namespace fs = std::filesystem;

bool have_astropy() { return test::run_command("/usr/bin/python3 -c 'import astropy, numpy'") == 0; }

FitsImage test_image(int nx, int ny) {
  FitsImage img;
  img.grid = ImageGrid{nx, ny, 4e-3 * kArcsec, 248.0 * kDeg, -37.0 * kDeg};
  img.pixels.resize(img.grid.size());
  for (std::size_t k = 0; k < img.pixels.size(); ++k) img.pixels[k] = std::cos(0.7 * k) * 1e-3 + 1e-9 * k;
  img.freq_hz = 240e9;
  img.bandwidth_hz = 2e9;
  img.bunit = "Jy/beam";
  img.beam = Beam{0.035 * kArcsec, 0.028 * kArcsec, 86 * kDeg};
  img.history = {{"command", "penumbra image"}, {"seed", "42"}};
  return img;
}

// Sky position of pixel (x, y) of a grid by the inverse SIN projection.
void pixel_to_sky(const ImageGrid& g, int x, int y, double* ra, double* dec) {
  double l = g.l(x), m = g.m(y), n = std::sqrt(1 - l * l - m * m);
  *dec = std::asin(m * std::cos(g.dec) + n * std::sin(g.dec));
  *ra = g.ra + std::atan2(l, n * std::cos(g.dec) - m * std::sin(g.dec));
}

TEST(FitsImage, RoundTripDoubleIsExact) {
  auto dir = test::scratch_dir("fits_roundtrip64");
  auto file = dir / "img.fits";
  FitsImage img = test_image(8, 6);
  img.bitpix = -64;
  img.pixels[5] = std::numeric_limits<double>::quiet_NaN();
  write_fits_image(file, img);
  EXPECT_FALSE(fs::exists(dir / "img.fits.tmp"));
  FitsImage b = read_fits_image(file);
  EXPECT_EQ(b.bitpix, -64);
  ASSERT_EQ(b.pixels.size(), img.pixels.size());
  EXPECT_TRUE(std::isnan(b.pixels[5]));
  for (std::size_t k = 0; k < img.pixels.size(); ++k) {
    if (k == 5) continue;
    EXPECT_EQ(b.pixels[k], img.pixels[k]) << k;
  }
  EXPECT_EQ(b.grid.nx, 8);
  EXPECT_EQ(b.grid.ny, 6);
  // Degrees in the header, radians in the grid: equal up to the conversion's rounding.
  EXPECT_NEAR(b.grid.cell, img.grid.cell, 4e-16 * img.grid.cell);
  EXPECT_NEAR(b.grid.ra, img.grid.ra, 1e-15);
  EXPECT_NEAR(b.grid.dec, img.grid.dec, 1e-15);
  EXPECT_DOUBLE_EQ(b.freq_hz, 240e9);
  EXPECT_DOUBLE_EQ(b.bandwidth_hz, 2e9);
  EXPECT_EQ(b.bunit, "Jy/beam");
  ASSERT_TRUE(b.beam.has_value());
  EXPECT_NEAR(b.beam->bmaj, img.beam->bmaj, 1e-12 * img.beam->bmaj);
  EXPECT_NEAR(b.beam->bmin, img.beam->bmin, 1e-12 * img.beam->bmin);
  EXPECT_NEAR(b.beam->bpa, img.beam->bpa, 1e-12);
  EXPECT_EQ(b.history, img.history);
}

TEST(FitsImage, RoundTripFloatAndOverwrite) {
  auto dir = test::scratch_dir("fits_roundtrip32");
  auto file = dir / "img [1].fits";  // no cfitsio extended-filename parsing of our paths
  FitsImage first = test_image(4, 4);
  write_fits_image(file, first);
  FitsImage img = test_image(5, 7);
  img.beam.reset();
  img.bunit = "Jy/pixel";
  write_fits_image(file, img);  // overwrites
  FitsImage b = read_fits_image(file);
  EXPECT_EQ(b.bitpix, -32);
  EXPECT_EQ(b.grid.nx, 5);
  EXPECT_EQ(b.grid.ny, 7);
  for (std::size_t k = 0; k < img.pixels.size(); ++k)
    EXPECT_FLOAT_EQ(static_cast<float>(b.pixels[k]), static_cast<float>(img.pixels[k]));
  EXPECT_FALSE(b.beam.has_value());
  EXPECT_EQ(b.bunit, "Jy/pixel");
}

TEST(FitsImage, HeaderFollowsTheConvention) {
  auto dir = test::scratch_dir("fits_header");
  auto file = dir / "img.fits";
  FitsImage img = test_image(10, 8);
  write_fits_image(file, img);
  fitsfile* f = nullptr;
  int s = 0;
  fits_open_diskfile(&f, file.c_str(), READONLY, &s);
  ASSERT_EQ(s, 0);
  auto dbl = [&](const char* k) {
    double v = 0;
    int st = 0;
    fits_read_key(f, TDOUBLE, k, &v, nullptr, &st);
    EXPECT_EQ(st, 0) << k;
    return v;
  };
  auto str = [&](const char* k) {
    char v[FLEN_VALUE] = {0};
    int st = 0;
    fits_read_key(f, TSTRING, k, v, nullptr, &st);
    EXPECT_EQ(st, 0) << k;
    return std::string(v);
  };
  EXPECT_EQ(dbl("NAXIS"), 4);
  EXPECT_EQ(dbl("NAXIS1"), 10);
  EXPECT_EQ(dbl("NAXIS2"), 8);
  EXPECT_EQ(dbl("NAXIS3"), 1);
  EXPECT_EQ(dbl("NAXIS4"), 1);
  EXPECT_EQ(str("CTYPE1"), "RA---SIN");
  EXPECT_EQ(str("CTYPE2"), "DEC--SIN");
  EXPECT_EQ(str("CTYPE3"), "FREQ");
  EXPECT_EQ(str("CTYPE4"), "STOKES");
  EXPECT_EQ(dbl("CRPIX1"), 6);  // N/2 + 1
  EXPECT_EQ(dbl("CRPIX2"), 5);
  EXPECT_LT(dbl("CDELT1"), 0);
  EXPECT_GT(dbl("CDELT2"), 0);
  EXPECT_NEAR(dbl("CDELT2"), 4e-3 / 3600, 1e-18);
  EXPECT_NEAR(dbl("CRVAL1"), 248.0, 1e-12);
  EXPECT_NEAR(dbl("CRVAL2"), -37.0, 1e-12);
  EXPECT_EQ(str("CUNIT1"), "deg");
  EXPECT_EQ(str("RADESYS"), "FK5");
  EXPECT_EQ(dbl("EQUINOX"), 2000.0);
  EXPECT_EQ(str("BUNIT"), "Jy/beam");
  EXPECT_NEAR(dbl("BMAJ"), 0.035 / 3600, 1e-15);
  EXPECT_NEAR(dbl("BPA"), 86.0, 1e-12);
  EXPECT_EQ(str("ORIGIN"), "Penumbra");
  EXPECT_FALSE(str("DATE").empty());
  EXPECT_NEAR(dbl("CRVAL3"), 240e9, 1);
  fits_close_file(f, &s);
}

TEST(FitsImage, AstropyReadsTheWcs) {
  if (!have_astropy()) GTEST_SKIP() << "python3 astropy not available";
  auto dir = test::scratch_dir("fits_astropy");
  auto file = dir / "img.fits";
  FitsImage img = test_image(64, 48);
  img.grid.cell = 0.5 * kArcsec;  // large enough that the SIN curvature shows at the corner
  write_fits_image(file, img);
  double ra0, dec0;
  pixel_to_sky(img.grid, 0, 0, &ra0, &dec0);
  auto script = dir / "check.py";
  std::ofstream(script) << "import sys, warnings\n"
                           "from astropy.io import fits\n"
                           "from astropy.wcs import WCS\n"
                           "h = fits.getheader(sys.argv[1])\n"
                           "assert h['CDELT1'] < 0\n"
                           "w = WCS(h).celestial\n"
                           "ra, dec = w.wcs_pix2world([[0.0, 0.0]], 0)[0]\n"
                           "ok0 = abs(ra - float(sys.argv[2])) < 1e-9 and abs(dec - float(sys.argv[3])) < 1e-9\n"
                           "rra, rdec = w.wcs_pix2world([[h['CRPIX1'] - 1, h['CRPIX2'] - 1]], 0)[0]\n"
                           "okr = abs(rra - h['CRVAL1']) < 1e-12 and abs(rdec - h['CRVAL2']) < 1e-12\n"
                           "okc = (h['CRPIX1'], h['CRPIX2']) == (33.0, 25.0)\n"
                           "print(ra, dec, rra, rdec, ok0, okr, okc)\n"
                           "sys.exit(0 if ok0 and okr and okc else 1)\n";
  std::string out;
  int rc = test::run_command(fmt::format("/usr/bin/python3 {} {} {:.15f} {:.15f}", script.string(), file.string(),
                                         ra0 / kDeg, dec0 / kDeg),
                             &out);
  EXPECT_EQ(rc, 0) << out;
}

TEST(FitsImage, ReadsA2dImageWithOtherOrientationAndReferencePixel) {
  if (!have_astropy()) GTEST_SKIP() << "python3 astropy not available";
  auto dir = test::scratch_dir("fits_foreign");
  auto file = dir / "foreign.fits";
  // 2-D, CDELT1 > 0 (East right), CDELT2 < 0 (North down), reference pixel off centre.
  std::ofstream(dir / "make.py")
      << "import sys, numpy as np\n"
         "from astropy.io import fits\n"
         "from astropy.wcs import WCS\n"
         "d = np.arange(6 * 4, dtype=np.float32).reshape(4, 6)\n"
         "h = fits.Header()\n"
         "h['CTYPE1'] = 'RA---SIN'; h['CTYPE2'] = 'DEC--SIN'\n"
         "h['CDELT1'] = 1.0 / 3600; h['CDELT2'] = -1.0 / 3600\n"
         "h['CRPIX1'] = 2.0; h['CRPIX2'] = 1.5; h['CRVAL1'] = 30.0; h['CRVAL2'] = 45.0\n"
         "h['BUNIT'] = 'K'\n"
         "fits.PrimaryHDU(d, h).writeto(sys.argv[1], overwrite=True)\n"
         // The sky position of the pixel our reader should centre on: after the
         // flips, ImageGrid pixel (3, 2) is file pixel (6-1-3, 4-1-2) = (2, 1), 0-based.
         "ra, dec = WCS(h).wcs_pix2world([[2.0, 1.0]], 0)[0]\n"
         "print(f'{ra:.12f} {dec:.12f}')\n";
  std::string out;
  ASSERT_EQ(test::run_command("/usr/bin/python3 " + (dir / "make.py").string() + " " + file.string(), &out), 0) << out;
  double ra = 0, dec = 0;
  ASSERT_EQ(std::sscanf(out.c_str(), "%lf %lf", &ra, &dec), 2) << out;
  FitsImage b = read_fits_image(file);
  EXPECT_EQ(b.grid.nx, 6);
  EXPECT_EQ(b.grid.ny, 4);
  EXPECT_NEAR(b.grid.cell, kArcsec, 1e-12 * kArcsec);
  EXPECT_NEAR(b.grid.ra / kDeg, ra, 1e-9);
  EXPECT_NEAR(b.grid.dec / kDeg, dec, 1e-9);
  EXPECT_EQ(b.bunit, "K");
  EXPECT_EQ(b.freq_hz, 0);
  // File pixel (x, y) = y*6 + x; after both flips ImageGrid (x', y') = file (5 - x', 3 - y').
  EXPECT_EQ(b.pixels[0], (3 * 6) + 5);
  EXPECT_EQ(b.pixels[1 * 6 + 2], (2 * 6) + 3);
}

TEST(FitsImage, MissingFileIsMissingInput) {
  auto dir = test::scratch_dir("fits_missing");
  EXPECT_THROW(read_fits_image(dir / "nope.fits"), MissingInputError);
}

TEST(FitsImage, CorruptAndTruncatedFilesAreDataErrors) {
  auto dir = test::scratch_dir("fits_corrupt");
  auto text = dir / "text.fits";
  std::ofstream(text) << "this is not a FITS file\n";
  try {
    read_fits_image(text);
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("text.fits"), std::string::npos) << e.what();
  }
  auto file = dir / "cut.fits";
  write_fits_image(file, test_image(64, 64));
  fs::resize_file(file, fs::file_size(file) / 2);
  try {
    read_fits_image(file);
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("cut.fits"), std::string::npos) << e.what();
  }
  // A header alone (cut inside the header block).
  auto head = dir / "head.fits";
  write_fits_image(head, test_image(4, 4));
  fs::resize_file(head, 1000);
  EXPECT_THROW(read_fits_image(head), DataError);
}

TEST(FitsImage, CubesAndImagesWithoutCelestialWcsAreRefused) {
  auto dir = test::scratch_dir("fits_cube");
  auto cube = dir / "cube.fits";
  fitsfile* f = nullptr;
  int s = 0;
  fits_create_diskfile(&f, cube.c_str(), &s);
  long naxes[3] = {4, 4, 3};
  fits_create_img(f, FLOAT_IMG, 3, naxes, &s);
  std::vector<float> data(48, 1.f);
  fits_write_img(f, TFLOAT, 1, 48, data.data(), &s);
  fits_close_file(f, &s);
  ASSERT_EQ(s, 0);
  try {
    read_fits_image(cube);
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("axis 3 has length 3"), std::string::npos) << e.what();
  }
  auto plain = dir / "plain.fits";
  fits_create_diskfile(&f, plain.c_str(), &s);
  long n2[2] = {4, 4};
  fits_create_img(f, FLOAT_IMG, 2, n2, &s);
  fits_write_img(f, TFLOAT, 1, 16, data.data(), &s);
  fits_close_file(f, &s);
  ASSERT_EQ(s, 0);
  try {
    read_fits_image(plain);
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("CTYPE1"), std::string::npos) << e.what();
  }
}

TEST(FitsImage, WriteRejectsMismatchedPixels) {
  auto dir = test::scratch_dir("fits_bad_write");
  FitsImage img = test_image(4, 4);
  img.pixels.pop_back();
  EXPECT_THROW(write_fits_image(dir / "x.fits", img), UsageError);
  EXPECT_FALSE(fs::exists(dir / "x.fits"));
}

TEST(FitsImage, DescribeForPenumbraInfo) {
  auto dir = test::scratch_dir("fits_describe");
  auto file = dir / "img.fits";
  FitsImage img = test_image(8, 6);
  img.pixels[3] = std::numeric_limits<double>::quiet_NaN();
  write_fits_image(file, img);
  FileDescription d = describe_file(file);
  EXPECT_EQ(d.format, "FITS");
  EXPECT_EQ(d.json["image"]["shape"], (std::vector<int>{6, 8}));
  EXPECT_EQ(d.json["image"]["bunit"], "Jy/beam");
  EXPECT_NEAR(d.json["image"]["beam"]["bmaj_rad"].get<double>(), img.beam->bmaj, 1e-15);
  EXPECT_EQ(d.json["image"]["wcs"]["crpix"][0].get<double>(), 5.0);
  EXPECT_NEAR(d.json["phase_centre"]["ra_rad"].get<double>(), img.grid.ra, 1e-12);
  EXPECT_DOUBLE_EQ(d.json["frequency_range_hz"][0].get<double>(), 240e9);
  EXPECT_EQ(d.json["pixels"]["nonfinite"], 1);
  std::ofstream(dir / "bad.fits") << "garbage";
  EXPECT_THROW(describe_file(dir / "bad.fits"), DataError);
}

}  // namespace
}  // namespace penumbra
