// A truth image brought onto the images' grid (truth_image.hpp): as it is on the
// same grid, resampled from a finer one, refused when coarser or centred elsewhere
// (only when the data give a phase centre: a uvtable's grid sits at 0, 0).
#include "src/pipelines/truth_image.hpp"

#include <gtest/gtest.h>

#include <numeric>

#include "src/core/errors.hpp"
#include "src/core/units.hpp"
#include "src/io/fits_image.hpp"

namespace penumbra {
namespace {

FitsImage truth_at(int n, double cell, double ra, double dec) {
  FitsImage t;
  t.grid.nx = t.grid.ny = n;
  t.grid.cell = cell;
  t.grid.ra = ra;
  t.grid.dec = dec;
  t.pixels.assign(t.grid.size(), 1.0);
  t.bunit = "Jy/pixel";
  return t;
}

ImageGrid grid_at(int n, double cell, double ra, double dec) {
  ImageGrid g;
  g.nx = g.ny = n;
  g.cell = cell;
  g.ra = ra;
  g.dec = dec;
  return g;
}

TEST(TruthOnGrid, SameGridFinerTruthCoarserTruthAndPhaseCentres) {
  const double mas = 1e-3 * kArcsec, ra = 1.2, dec = -0.4;
  const auto fine = truth_at(64, 3 * mas, ra, dec);
  EXPECT_EQ(truth_on_grid(fine, "t.fits", grid_at(64, 3 * mas, ra, dec)), fine.pixels);
  const auto coarse = truth_on_grid(fine, "t.fits", grid_at(18, 12 * mas, ra, dec));  // covers the truth
  EXPECT_NEAR(std::accumulate(coarse.begin(), coarse.end(), 0.0), 64.0 * 64.0, 1e-9);  // the flux, all inside
  EXPECT_THROW(truth_on_grid(fine, "t.fits", grid_at(64, 2 * mas, ra, dec)), UsageError);
  EXPECT_THROW(check_truth_cell(fine, "t.fits", 2 * mas), UsageError);
  // Another phase centre (ten pixels off) is refused; a grid without one (a uvtable's) is not checked.
  EXPECT_THROW(truth_on_grid(fine, "t.fits", grid_at(16, 12 * mas, ra, dec + 120 * mas)), DataError);
  EXPECT_NO_THROW(truth_on_grid(fine, "t.fits", grid_at(16, 12 * mas, 0, 0)));
}

}  // namespace
}  // namespace penumbra
