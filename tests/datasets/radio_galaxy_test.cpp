// Synthetic FR generator and augmentation: determinism, the FRI/FRII morphology
// the classes are defined by, and exactness of right-angle rotations and flips.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include "src/core/errors.hpp"
#include "src/datasets/augment.hpp"
#include "src/datasets/radio_galaxy_generator.hpp"

using namespace penumbra;

namespace {
// Flux-weighted mean distance from the image centre, in units of the source's
// own extent (the largest distance of a pixel above 10 % of the peak).
double edge_brightness(const float* img, int n) {
  double c = (n - 1) / 2.0, sw = 0, swr = 0, rmax = 0;
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      double r = std::hypot(x - c, y - c), v = img[y * n + x];
      if (v > 0.1) rmax = std::max(rmax, r);
      sw += v;
      swr += v * r;
    }
  return swr / sw / rmax;
}
}  // namespace

TEST(RadioGalaxyGenerator, SeededAndIndexStable) {
  RadioGalaxyOptions opt;
  opt.size = 64;
  auto a = generate_radio_galaxies(6, 42, opt);
  auto b = generate_radio_galaxies(4, 42, opt);
  auto c = generate_radio_galaxies(4, 43, opt);
  ASSERT_EQ(a.size(), 6u);
  EXPECT_EQ(a.labels, (std::vector<int>{0, 1, 0, 1, 0, 1}));
  EXPECT_TRUE(std::equal(b.pixels.begin(), b.pixels.end(), a.pixels.begin()));
  EXPECT_FALSE(std::equal(c.pixels.begin(), c.pixels.end(), a.pixels.begin()));
  for (float v : a.pixels) {
    ASSERT_GE(v, 0.0f);
    ASSERT_LE(v, 1.0f);
  }
}

TEST(RadioGalaxyGenerator, FRIIsEdgeBrightenedRelativeToFRI) {
  RadioGalaxyOptions opt;
  opt.size = 96;
  auto set = generate_radio_galaxies(40, 7, opt);
  double fri = 0, frii = 0;
  for (std::size_t i = 0; i < set.size(); ++i) (set.labels[i] ? frii : fri) += edge_brightness(set.image(i), 96);
  fri /= 20;
  frii /= 20;
  EXPECT_GT(frii, fri + 0.15) << "FRI " << fri << " FRII " << frii;
}

TEST(Augment, RightAnglesAndFlipsAreExactPermutations) {
  int n = 5;
  std::vector<float> img(n * n), r1(n * n), r4(n * n), tmp(n * n), b(n * n);
  for (int k = 0; k < n * n; ++k) img[k] = static_cast<float>(k);
  rotate90(img.data(), r1.data(), n, 1);
  // Four quarter turns is the identity; one quarter turn equals the bilinear rotation by π/2.
  tmp = img;
  for (int q = 0; q < 4; ++q) {
    rotate90(tmp.data(), r4.data(), n, 1);
    tmp = r4;
  }
  EXPECT_EQ(r4, img);
  rotate_bilinear(img.data(), b.data(), n, n, std::numbers::pi / 2);
  for (int k = 0; k < n * n; ++k) EXPECT_NEAR(b[k], r1[k], 1e-4);
  flip_horizontal(img.data(), tmp.data(), n, n);
  EXPECT_EQ(tmp[0], img[n - 1]);
  // Centre pixel is fixed by both.
  EXPECT_EQ(r1[(n / 2) * n + n / 2], img[(n / 2) * n + n / 2]);
}

TEST(Augment, CenterCropAndSeededAugment) {
  auto set = generate_radio_galaxies(2, 1, {.size = 32});
  auto c = center_crop(set, 16);
  EXPECT_EQ(c.height, 16);
  EXPECT_EQ(c.image(1)[0], set.image(1)[8 * 32 + 8]);
  EXPECT_THROW(center_crop(set, 40), UsageError);
  std::vector<float> a(set.image(0), set.image(0) + 32 * 32), b = a;
  augment_image(a.data(), 32, 32, {}, 5, 9);
  augment_image(b.data(), 32, 32, {}, 5, 9);
  EXPECT_EQ(a, b);
  // Rotation preserves the total flux of a centred source up to interpolation.
  double s0 = 0, s1 = 0;
  for (int k = 0; k < 32 * 32; ++k) s0 += set.image(0)[k], s1 += a[k];
  EXPECT_NEAR(s1 / s0, 1.0, 0.1);
}

TEST(RadioGalaxyGenerator, PresentsTheDatasetInterface) {
  LabelledImagesDataset ds(generate_radio_galaxies(4, 2, {.size = 16}), "synthetic-fr");
  EXPECT_EQ(ds.size(), 4u);
  EXPECT_EQ(ds.height(), 16);
  auto e = ds.get(3);
  EXPECT_EQ(e.label, 1);
  EXPECT_EQ(e.image.size(), 256u);
  EXPECT_EQ(ds.order(1, 0), ds.order(1, 0));
}
