#include "instruments/array_layout.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "src/core/errors.hpp"
#include "src/core/units.hpp"
#include "tests/support/paths.hpp"

namespace penumbra {
namespace {

void write_file(const std::filesystem::path& p, const std::string& text) {
  std::ofstream f(p);
  f << text;
}

TEST(ArrayLayout, SharedAlmaC40_9HasFortyAntennasAnd12_6kmBaselines) {
  PENUMBRA_REQUIRE_SHARED(path, "alma/alma.cycle4.9.layout.txt");
  ArrayLayout L = read_oskar_layout(path);
  EXPECT_EQ(L.size(), 40u);
  EXPECT_EQ(L.baselines(), 780u);
  EXPECT_NEAR(L.max_baseline(), 12645.0, 20.0);  // "≈ 12.6 km"
  EXPECT_NEAR(L.min_baseline(), 270.7, 1.0);     // "271 m – 12.6 km"
  EXPECT_NEAR(L.site.latitude / kDeg, -23.0229, 1e-9);
  // Through the generic loader (not a .cfg → OSKAR text).
  EXPECT_EQ(load_array_layout(path.string()).size(), 40u);
}

TEST(ArrayLayout, SharedAlmaC40_8Reaches6_86km) {
  PENUMBRA_REQUIRE_SHARED(path, "alma/alma.cycle4.8.layout.txt");
  ArrayLayout L = read_oskar_layout(path);
  EXPECT_EQ(L.size(), 40u);
  EXPECT_EQ(L.baselines(), 780u);
  EXPECT_NEAR(L.max_baseline(), 6855.0, 20.0);
  EXPECT_NEAR(L.min_baseline(), 168.4, 1.0);
}

TEST(ArrayLayout, BuiltInAlmaLongNeedsNoFiles) {
  ArrayLayout L = load_array_layout("alma-long");
  EXPECT_EQ(L.name, "alma-long");
  EXPECT_EQ(L.size(), 40u);
  EXPECT_EQ(L.baselines(), 780u);
  EXPECT_NEAR(L.max_baseline(), 12600.0, 1e-6);
  // No two 12 m dishes overlap, and short spacings remain (a compact centre).
  EXPECT_GT(L.min_baseline(), 15.0);
  EXPECT_LT(L.min_baseline(), 300.0);
  int short_baselines = 0;
  for (std::size_t i = 0; i < L.size(); ++i)
    for (std::size_t j = i + 1; j < L.size(); ++j)
      if (std::hypot(L.east[i] - L.east[j], L.north[i] - L.north[j]) < 1000.0) ++short_baselines;
  EXPECT_GE(short_baselines, 20);
  // Deterministic: the same layout every time.
  ArrayLayout again = alma_long_layout();
  EXPECT_EQ(again.east, L.east);
  EXPECT_EQ(again.north, L.north);
}

TEST(ArrayLayout, ItrfRoundTripAndRotationInvariance) {
  Site s = alma_site();
  double c[3];
  geodetic_to_itrf(s, c);
  // astropy: EarthLocation.from_geodetic(-67.7552 deg, -23.0229 deg, 5058.7 m) (WGS84).
  EXPECT_NEAR(c[0], 2225116.8807, 1e-3);
  EXPECT_NEAR(c[1], -5440318.9517, 1e-3);
  EXPECT_NEAR(c[2], -2481032.0230, 1e-3);
  Site back = itrf_to_geodetic(c);
  EXPECT_NEAR(back.latitude, s.latitude, 1e-11);
  EXPECT_NEAR(back.longitude, s.longitude, 1e-12);
  EXPECT_NEAR(back.height, s.height, 1e-4);
  // Up is the ellipsoid normal: 100 m up raises the geodetic height by 100 m.
  double p[3];
  enu_to_itrf(s, 0, 0, 100, p);
  EXPECT_NEAR(itrf_to_geodetic(p).height, s.height + 100, 1e-4);
  // astropy, same site at 5158.7 m.
  EXPECT_NEAR(p[0], 2225151.7218, 1e-3);
  EXPECT_NEAR(p[1], -5440404.1368, 1e-3);
  EXPECT_NEAR(p[2], -2481071.1329, 1e-3);
  // The ENU → ITRF map is a rotation: every baseline keeps its length.
  ArrayLayout L = alma_long_layout();
  auto xyz = L.itrf();
  double maxd = 0;
  for (std::size_t i = 0; i < L.size(); ++i)
    for (std::size_t j = i + 1; j < L.size(); ++j)
      maxd = std::max(maxd, std::hypot(xyz[3 * i] - xyz[3 * j], xyz[3 * i + 1] - xyz[3 * j + 1],
                                       xyz[3 * i + 2] - xyz[3 * j + 2]));
  EXPECT_NEAR(maxd, L.max_baseline(), 1e-6);
}

TEST(ArrayLayout, EquatorialFrameFollowsTheLatitude) {
  ArrayLayout L;
  L.site = alma_site();
  L.east = {0, 10, 0, 0};
  L.north = {0, 0, 10, 0};
  L.up = {0, 0, 0, 10};
  double x[3];
  L.equatorial(1, x);  // East → Y
  EXPECT_NEAR(x[0], 0, 1e-12);
  EXPECT_NEAR(x[1], 10, 1e-12);
  EXPECT_NEAR(x[2], 0, 1e-12);
  L.equatorial(2, x);  // North → −sin φ X + cos φ Z
  EXPECT_NEAR(x[0], -10 * std::sin(L.site.latitude), 1e-12);
  EXPECT_NEAR(x[2], 10 * std::cos(L.site.latitude), 1e-12);
  L.equatorial(3, x);  // Up → cos φ X + sin φ Z
  EXPECT_NEAR(x[0], 10 * std::cos(L.site.latitude), 1e-12);
  EXPECT_NEAR(x[2], 10 * std::sin(L.site.latitude), 1e-12);
}

TEST(ArrayLayout, CasaCfgLocalCoordinates) {
  auto dir = test::scratch_dir("layout_cfg_loc");
  write_file(dir / "tiny.cfg",
             "# observatory=ALMA\n"
             "# coordsys=LOC (local tangent plane)\n"
             "# x y z diam pad#\n"
             "-5.85 -125.99 -1.59 12. A058\n"
             "  100.0   20.0   0.5 12. A059\n"
             "\n"
             "300.0 -40.0 2.0 7. CM01\n");
  ArrayLayout L = read_casa_cfg(dir / "tiny.cfg");
  ASSERT_EQ(L.size(), 3u);
  EXPECT_EQ(L.antenna[0], "A058");
  EXPECT_EQ(L.antenna[2], "CM01");
  EXPECT_DOUBLE_EQ(L.east[0], -5.85);
  EXPECT_DOUBLE_EQ(L.north[1], 20.0);
  EXPECT_DOUBLE_EQ(L.up[2], 2.0);
  EXPECT_DOUBLE_EQ(L.diameter[2], 7.0);
  EXPECT_EQ(L.site.name, "ALMA");
  // Through the generic loader (by the .cfg suffix).
  EXPECT_EQ(load_array_layout((dir / "tiny.cfg").string()).size(), 3u);
}

TEST(ArrayLayout, CasaCfgGeocentricCoordinatesBecomeLocalOffsets) {
  auto dir = test::scratch_dir("layout_cfg_xyz");
  ArrayLayout ref = alma_long_layout();
  auto xyz = ref.itrf();
  std::string text = "# observatory=ALMA\n# coordsys=XYZ\n";
  for (std::size_t a = 0; a < ref.size(); ++a)
    text += fmt::format("{:.6f} {:.6f} {:.6f} 12 {}\n", xyz[3 * a], xyz[3 * a + 1], xyz[3 * a + 2], ref.antenna[a]);
  write_file(dir / "geo.cfg", text);
  ArrayLayout L = read_casa_cfg(dir / "geo.cfg");
  ASSERT_EQ(L.size(), ref.size());
  for (std::size_t a = 0; a < ref.size(); ++a) {
    EXPECT_NEAR(L.east[a], ref.east[a], 1e-4);
    EXPECT_NEAR(L.north[a], ref.north[a], 1e-4);
    EXPECT_NEAR(L.up[a], ref.up[a], 1e-4);
  }
  // Without a known observatory the centroid becomes the centre: lengths survive.
  write_file(dir / "geo2.cfg", "# coordsys=XYZ\n" + text.substr(text.find('\n', text.find("XYZ")) + 1));
  ArrayLayout M = read_casa_cfg(dir / "geo2.cfg");
  EXPECT_NEAR(M.max_baseline(), ref.max_baseline(), 1e-3);
  EXPECT_NEAR(M.site.latitude / kDeg, -23.02, 0.1);
}

TEST(ArrayLayout, OskarTextAcceptsCommasAndComments) {
  auto dir = test::scratch_dir("layout_oskar");
  write_file(dir / "layout.txt", "# East North\n0,0\n100.5, -20\n  -30 40 1.5  # a comment\n");
  ArrayLayout L = read_oskar_layout(dir / "layout.txt", site_by_name("vla"), 25.0);
  ASSERT_EQ(L.size(), 3u);
  EXPECT_DOUBLE_EQ(L.east[1], 100.5);
  EXPECT_DOUBLE_EQ(L.north[2], 40.0);
  EXPECT_DOUBLE_EQ(L.up[2], 1.5);
  EXPECT_DOUBLE_EQ(L.diameter[0], 25.0);
  EXPECT_NEAR(L.site.latitude / kDeg, 34.0784, 1e-9);
  EXPECT_NEAR(L.max_baseline(), std::hypot(130.5, 60.0, 1.5), 1e-9);
}

TEST(ArrayLayout, BadInputGivesClearErrors) {
  auto dir = test::scratch_dir("layout_bad");
  EXPECT_THROW(read_oskar_layout(dir / "absent.txt"), MissingInputError);
  EXPECT_THROW(load_array_layout((dir / "absent.cfg").string()), MissingInputError);
  EXPECT_THROW(load_array_layout("alma-short"), MissingInputError);

  write_file(dir / "bad.txt", "0 0\n10 abc\n");
  try {
    read_oskar_layout(dir / "bad.txt");
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("bad.txt:2"), std::string::npos) << msg;
    EXPECT_NE(msg.find("abc"), std::string::npos) << msg;
  }
  write_file(dir / "one.txt", "0 0\n");
  EXPECT_THROW(read_oskar_layout(dir / "one.txt"), DataError);
  write_file(dir / "dup.txt", "0 0\n5 5\n0 0\n");
  EXPECT_THROW(read_oskar_layout(dir / "dup.txt"), DataError);
  write_file(dir / "four.txt", "0 0 0 0\n");
  EXPECT_THROW(read_oskar_layout(dir / "four.txt"), DataError);
  write_file(dir / "empty.txt", "# nothing\n");
  EXPECT_THROW(read_oskar_layout(dir / "empty.txt"), DataError);

  write_file(dir / "utm.cfg", "# observatory=ALMA\n# coordsys=UTM\n1 2 3 12 A\n4 5 6 12 B\n");
  EXPECT_THROW(read_casa_cfg(dir / "utm.cfg"), DataError);
  write_file(dir / "nosite.cfg", "# coordsys=LOC\n1 2 3 12 A\n4 5 6 12 B\n");
  EXPECT_THROW(read_casa_cfg(dir / "nosite.cfg"), DataError);
  write_file(dir / "diam.cfg", "# observatory=ALMA\n1 2 3 0 A\n4 5 6 12 B\n");
  EXPECT_THROW(read_casa_cfg(dir / "diam.cfg"), DataError);
  write_file(dir / "short.cfg", "# observatory=ALMA\n1 2 3\n");
  EXPECT_THROW(read_casa_cfg(dir / "short.cfg"), DataError);
  EXPECT_THROW(site_by_name("arecibo"), UsageError);
}

}  // namespace
}  // namespace penumbra
