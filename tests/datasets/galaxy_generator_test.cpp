#include "src/datasets/galaxy_generator.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "src/core/errors.hpp"
#include "src/datasets/image_importer.hpp"
#include "src/io/fits_image.hpp"
#include "src/io/hdf5_store.hpp"
#include "tests/support/paths.hpp"

using namespace penumbra;

namespace {
GalaxyOptions small(int size = 32) {
  GalaxyOptions o;
  o.size = size;
  return o;
}
double stddev(const std::vector<float>& v) {
  double m = std::accumulate(v.begin(), v.end(), 0.0) / v.size(), s = 0;
  for (float x : v) s += (x - m) * (x - m);
  return std::sqrt(s / v.size());
}
}  // namespace

TEST(GalaxyGenerator, SameSeedSameImageAndItemsDiffer) {
  GalaxyGenerator a(8, small(), 42), b(8, small(), 42), c(8, small(), 43);
  EXPECT_EQ(a.get(3).image, b.get(3).image);
  EXPECT_NE(a.get(3).image, a.get(4).image);
  EXPECT_NE(a.get(3).image, c.get(3).image);
}

TEST(GalaxyGenerator, PeakNormalisedAndNonNegativeWithoutNoise) {
  GalaxyGenerator g(20, small(), 7);
  for (std::size_t i = 0; i < g.size(); ++i) {
    auto img = g.get(i).image;
    ASSERT_EQ(img.size(), 32u * 32u);
    float peak = *std::max_element(img.begin(), img.end());
    EXPECT_NEAR(peak, g.params(i).peak, 1e-5);
    EXPECT_GE(peak, 0.5f - 1e-6f);
    EXPECT_LE(peak, 1.0f + 1e-6f);
    EXPECT_GE(*std::min_element(img.begin(), img.end()), 0.f);
  }
}

TEST(GalaxyGenerator, NoiseAndBlurChangeTheImage) {
  auto o = small();
  GalaxyGenerator clean(1, o, 5);
  o.noise = 0.1;
  GalaxyGenerator noisy(1, o, 5);
  auto a = clean.get(0).image, b = noisy.get(0).image;
  std::vector<float> d(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) d[i] = b[i] - a[i];
  EXPECT_NEAR(stddev(d), 0.1 * clean.params(0).peak, 0.02);
  o.noise = 0;
  o.psf_fwhm = 4;
  GalaxyGenerator blurred(1, o, 5);
  auto c = blurred.get(0).image;
  // Blurring then renormalising to the same peak spreads the light: more flux.
  EXPECT_GT(std::accumulate(c.begin(), c.end(), 0.0), std::accumulate(a.begin(), a.end(), 0.0));
}

TEST(GalaxyGenerator, ThreadedGenerateEqualsSerial) {
  GalaxyGenerator g(9, small(16), 11);
  std::vector<float> out(9 * 16 * 16);
  g.generate(0, 9, out.data(), 3);
  for (std::size_t i = 0; i < 9; ++i) {
    auto e = g.get(i).image;
    EXPECT_TRUE(std::equal(e.begin(), e.end(), out.begin() + i * 256));
  }
}

TEST(GalaxyGenerator, ParametersVaryAndSizesWork) {
  GalaxyGenerator g(200, small(64), 3);
  int arms[5] = {0, 0, 0, 0, 0}, bars = 0;
  double min_cos = 1;
  for (std::size_t i = 0; i < g.size(); ++i) {
    auto p = g.params(i);
    ++arms[p.arms];
    bars += p.bar_length > 0;
    min_cos = std::min(min_cos, p.cos_inc);
  }
  for (int k = 0; k <= 4; ++k) EXPECT_GT(arms[k], 0) << k << " arms never drawn";
  EXPECT_GT(bars, 20);
  EXPECT_LT(min_cos, 0.3);
  for (int s : {8, 128}) EXPECT_EQ(GalaxyGenerator(1, small(s), 1).get(0).image.size(), std::size_t(s) * s);
}

TEST(GalaxyGenerator, BadOptionsAreUsageErrors) {
  EXPECT_THROW(GalaxyGenerator(1, small(4), 1), UsageError);
  auto o = small();
  o.noise = -1;
  EXPECT_THROW(GalaxyGenerator(1, o, 1), UsageError);
  EXPECT_THROW(GalaxyGenerator(2, small(), 1).get(2), UsageError);
}

TEST(ImageStack, RoundTripAndErrors) {
  auto dir = test::scratch_dir("image_stack");
  std::vector<float> imgs(3 * 4 * 5);
  std::iota(imgs.begin(), imgs.end(), 0.f);
  write_image_stack(dir / "s.h5", "images", imgs, 3, 4, 5, "peak", "unit test");
  auto s = read_image_stack(dir / "s.h5");
  EXPECT_EQ(s.count, 3);
  EXPECT_EQ(s.height, 4);
  EXPECT_EQ(s.width, 5);
  EXPECT_EQ(s.images, imgs);
  EXPECT_EQ(s.normalisation, "peak");
  EXPECT_EQ(s.source, "unit test");
  EXPECT_THROW(read_image_stack(dir / "s.h5", "nope"), DataError);
  EXPECT_THROW(read_image_stack(dir / "missing.h5"), MissingInputError);
  {
    Hdf5Store st(dir / "flat.h5", Hdf5Store::Mode::kCreate);
    Array<float> a;
    a.data = {1, 2, 3};
    a.shape = {3};
    st.write("/images", a);
  }
  EXPECT_THROW(read_image_stack(dir / "flat.h5"), DataError);
}

TEST(ImageImporter, Hdf5RgbArrayBecomesGreyCroppedResizedPeakNormalised) {
  auto dir = test::scratch_dir("import_h5");
  // Two 40×30 RGB images: a bright square off-centre on a background of 10.
  const int n = 2, h = 40, w = 30;
  Array<float> a;
  a.shape = {n, h, w, 3};
  a.data.assign(std::size_t(n) * h * w * 3, 10.f);
  for (int k = 0; k < n; ++k)
    for (int y = 18; y < 22; ++y)
      for (int x = 13; x < 17; ++x)
        for (int c = 0; c < 3; ++c) a.data[((std::size_t(k) * h + y) * w + x) * 3 + c] = 10.f + 50.f * (k + 1);
  {
    Hdf5Store st(dir / "rgb.h5", Hdf5Store::Mode::kCreate);
    st.write("/cube", a);
  }
  ImportOptions opt;
  opt.size = 15;
  auto s = import_images(dir / "rgb.h5", opt);
  ASSERT_EQ(s.count, 2);
  ASSERT_EQ(s.height, 15);
  for (int k = 0; k < n; ++k) {
    std::vector<float> img(s.images.begin() + k * 225, s.images.begin() + (k + 1) * 225);
    EXPECT_NEAR(*std::max_element(img.begin(), img.end()), 1.0, 1e-5);
    EXPECT_NEAR(img[0], 0.0, 1e-6);      // background subtracted
    EXPECT_NEAR(img[7 * 15 + 7], 1.0, 1e-5);  // the square sits at the centre of the 30×30 crop
  }
}

TEST(ImageImporter, FitsFolder) {
  auto dir = test::scratch_dir("import_fits");
  for (int k = 0; k < 2; ++k) {
    FitsImage im;
    im.grid.nx = im.grid.ny = 32;
    im.grid.cell = 1e-6;
    im.pixels.assign(32 * 32, 0.0);
    im.pixels[16 * 32 + 16] = 5.0 + k;
    im.pixels[16 * 32 + 17] = 2.5;
    write_fits_image(dir / ("img" + std::to_string(k) + ".fits"), im);
  }
  ImportOptions opt;
  opt.size = 16;
  auto s = import_images(dir, opt);
  ASSERT_EQ(s.count, 2);
  EXPECT_NEAR(*std::max_element(s.images.begin(), s.images.begin() + 256), 1.0, 1e-6);
  auto empty = test::scratch_dir("import_empty");
  EXPECT_THROW(import_images(empty, opt), DataError);
}
