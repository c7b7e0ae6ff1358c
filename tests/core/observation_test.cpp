#include "src/core/observation.hpp"

#include <gtest/gtest.h>

#include "src/core/errors.hpp"
#include "src/core/image_grid.hpp"
#include "src/core/units.hpp"

using namespace penumbra;

namespace {
Observation two_rows() {
  Observation o;
  o.nrow = 2;
  o.nchan = 2;
  o.ncorr = 2;
  o.freq = {100e9, 200e9};
  o.corr = {int(Corr::XX), int(Corr::YY)};
  o.allocate();
  o.uvw = {100, 0, 0, 0, 50, 0};
  for (std::size_t i = 0; i < o.vis.size(); ++i) o.vis[i] = {float(i), 0};
  return o;
}
}  // namespace

TEST(Observation, StokesIAveragesParallelHandsAndConvertsToWavelengths) {
  Observation o = two_rows();
  o.weight[o.index(1, 1, 0)] = 2;
  o.weight[o.index(1, 1, 1)] = 2;
  o.flag[o.index(0, 1, 1)] = 1;  // drops (row 0, chan 1)
  VisibilitySet s = o.stokes_i();
  ASSERT_EQ(s.size(), 3u);
  EXPECT_NEAR(s.u[0], 100 * 100e9 / kSpeedOfLight, 1e-9);
  EXPECT_DOUBLE_EQ(s.vis[0].real(), 0.5);   // (0 + 1)/2
  EXPECT_NEAR(s.v[2], 50 * 200e9 / kSpeedOfLight, 1e-9);
  EXPECT_DOUBLE_EQ(s.weight[0], 2.0);       // 4 / (1 + 1)
  EXPECT_DOUBLE_EQ(s.weight[2], 4.0);       // 4 / (1/2 + 1/2)
  EXPECT_NEAR(o.flagged_fraction(), 1.0 / 8, 1e-15);
}

TEST(Observation, NonFiniteVisibilityIsReportedWithItsIndex) {
  Observation o = two_rows();
  o.vis[o.index(1, 0, 0)] = {std::nanf(""), 0};
  VisibilitySet s = o.stokes_i();
  try {
    s.validate("test.ms");
    FAIL();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("test.ms: visibility 2"), std::string::npos) << e.what();
  }
}

TEST(ImageGrid, WcsFollowsFitsConventions) {
  ImageGrid g{64, 64, 3e-3 * kArcsec, 1.0, -0.4};
  EXPECT_DOUBLE_EQ(g.crpix1(), 33);
  EXPECT_LT(g.cdelt1_deg(), 0);
  EXPECT_GT(g.l(0), 0);  // x = 0 is the East edge
  EXPECT_DOUBLE_EQ(g.l(32), 0);
  EXPECT_DOUBLE_EQ(g.m(33), g.cell);
  EXPECT_THROW((ImageGrid{0, 4, 1e-6}).validate(), UsageError);
}
