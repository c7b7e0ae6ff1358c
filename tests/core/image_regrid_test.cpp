#include "src/core/image_regrid.hpp"

#include <gtest/gtest.h>

#include <numeric>
#include <random>

#include "src/core/errors.hpp"

namespace penumbra {
namespace {

ImageGrid square(int n, double cell) {
  ImageGrid g;
  g.nx = g.ny = n;
  g.cell = cell;
  return g;
}

TEST(ImageRegrid, SameGridIsIdentity) {
  std::vector<double> img(49);
  std::iota(img.begin(), img.end(), 1.0);
  const auto out = regrid_conserving_flux(img, square(7, 2e-8), square(7, 2e-8));
  for (std::size_t i = 0; i < img.size(); ++i) EXPECT_NEAR(out[i], img[i], 1e-12 * img[i]);
}

TEST(ImageRegrid, AlignedOddRatioSumsBlocks) {
  // 9 pixels of 1 around centre 4 and 3 of 3 around centre 1 share their edges.
  std::vector<double> img(81);
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(0, 1);
  for (auto& v : img) v = u(rng);
  const auto out = regrid_conserving_flux(img, square(9, 1.0), square(3, 3.0));
  for (int Y = 0; Y < 3; ++Y)
    for (int X = 0; X < 3; ++X) {
      double block = 0;
      for (int y = 3 * Y; y < 3 * Y + 3; ++y)
        for (int x = 3 * X; x < 3 * X + 3; ++x) block += img[static_cast<std::size_t>(y) * 9 + x];
      EXPECT_NEAR(out[static_cast<std::size_t>(Y) * 3 + X], block, 1e-12);
    }
}

TEST(ImageRegrid, ConservesFluxAndPlacesSources) {
  // A 12² image at 1 unit inside a 5² grid of 3 units (which covers it): the total is
  // kept; a pixel at the phase centre lands whole in the centre pixel; one 4 pixels
  // East and 5 North of it (x − 4, y + 5) lands in pixel (1, 4) of the coarse grid.
  std::vector<double> img(144, 0.0);
  img[6 * 12 + 6] = 2.0;
  img[11 * 12 + 2] = 5.0;
  const auto out = regrid_conserving_flux(img, square(12, 1.0), square(5, 3.0));
  EXPECT_NEAR(std::accumulate(out.begin(), out.end(), 0.0), 7.0, 1e-12);
  EXPECT_NEAR(out[2 * 5 + 2], 2.0, 1e-12);
  // y = 11 is m = +5 units, box [4.5, 5.5) in coarse pixel 4 = [4.5, 7.5); x = 2 is
  // offset −4, box [−4.5, −3.5) in coarse pixel 1 = [−4.5, −1.5).
  EXPECT_NEAR(out[4 * 5 + 1], 5.0, 1e-12);
}

TEST(ImageRegrid, ConstantBrightnessScalesWithPixelArea) {
  // 1 Jy/pixel at a cell of 1 is 1 Jy per unit area: 4 Jy per pixel of a 2-unit cell,
  // and 2.5² = 6.25 Jy for a cell that does not divide the source's (no aliasing).
  const std::vector<double> img(64 * 64, 1.0);
  const auto two = regrid_conserving_flux(img, square(64, 1.0), square(16, 2.0));
  const auto odd = regrid_conserving_flux(img, square(64, 1.0), square(16, 2.5));
  for (int y = 1; y < 15; ++y)
    for (int x = 1; x < 15; ++x) {
      EXPECT_NEAR(two[static_cast<std::size_t>(y) * 16 + x], 4.0, 1e-12);
      EXPECT_NEAR(odd[static_cast<std::size_t>(y) * 16 + x], 6.25, 1e-12);
    }
}

TEST(ImageRegrid, RejectsAnImageOfAnotherSize) {
  EXPECT_THROW(regrid_conserving_flux(std::vector<double>(10), square(4, 1.0), square(2, 2.0)), UsageError);
}

}  // namespace
}  // namespace penumbra
