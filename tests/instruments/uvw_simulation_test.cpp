#include "instruments/uvw_simulation.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "src/core/errors.hpp"
#include "src/core/units.hpp"

namespace penumbra {
namespace {

constexpr double kSidereal = 2.0 * kPi * 1.00273790935 / 86400.0;

ArrayLayout two_antennas(double de, double dn, double du) {
  ArrayLayout L;
  L.name = "pair";
  L.site = alma_site();
  L.east = {0, de};
  L.north = {0, dn};
  L.up = {0, du};
  L.diameter = {12, 12};
  L.antenna = {"A", "B"};
  return L;
}

TEST(UvwSimulation, GmstMatchesAstropyIau1982) {
  // astropy: Time('2017-09-24T03:17:00', scale='ut1').sidereal_time('mean', 'greenwich', model='IAU1982')
  double t = 58020.13680555556 * 86400.0;
  EXPECT_NEAR(gmst(t) / kDeg, 52.40499299140748, 2e-6);
  // J2000.0: GMST = 280.46061837°.
  EXPECT_NEAR(gmst(51544.5 * 86400.0) / kDeg, 280.46061837, 1e-9);
}

TEST(UvwSimulation, TransitTimeHasZeroHourAngle) {
  double lon = alma_site().longitude, ra = 252.3137 * kDeg;
  double t = transit_time(58020.0, lon, ra);
  EXPECT_NEAR(hour_angle(t, lon, ra), 0.0, 1e-9);
  EXPECT_GE(t, 58020.0 * 86400.0);
  EXPECT_LT(t, 58021.0 * 86400.0);
}

TEST(UvwSimulation, BaselineTrackIsTheAnalyticEllipse) {
  ArrayLayout L = two_antennas(800.0, -1500.0, 30.0);
  double eq0[3], eq1[3];
  L.equatorial(0, eq0);
  L.equatorial(1, eq1);
  double lx = eq1[0] - eq0[0], ly = eq1[1] - eq0[1], lz = eq1[2] - eq0[2];
  for (double dec_deg : {-60.0, -14.37, 25.0}) {
    UvwSimulationConfig cfg;
    cfg.dec = dec_deg * kDeg;
    cfg.ra = 1.0;
    cfg.ha_start = -kPi;
    cfg.ha_end = kPi;
    cfg.integration = 600.0;
    UvwTracks t = simulate_uvw(L, cfg);
    ASSERT_EQ(t.nbaseline, 1u);
    ASSERT_GT(t.rows(), 140u);
    double a = std::hypot(lx, ly), b = a * std::abs(std::sin(cfg.dec)), v0 = lz * std::cos(cfg.dec);
    double umax = 0, vmin = 1e30, vmax = -1e30;
    for (std::size_t r = 0; r < t.rows(); ++r) {
      double u = t.uvw[3 * r], v = t.uvw[3 * r + 1], w = t.uvw[3 * r + 2];
      EXPECT_NEAR(std::pow(u / a, 2) + std::pow((v - v0) / b, 2), 1.0, 1e-9) << "dec " << dec_deg << " row " << r;
      // (u, v, w) is a rotation of the baseline vector: its length is preserved.
      EXPECT_NEAR(std::hypot(u, v, w), std::hypot(lx, ly, lz), 1e-8);
      umax = std::max(umax, std::abs(u));
      vmin = std::min(vmin, v);
      vmax = std::max(vmax, v);
    }
    // The sampled track spans the ellipse's axes (to the sampling step).
    EXPECT_NEAR(umax, a, a * 2e-3);
    EXPECT_NEAR(vmax - vmin, 2 * b, 2 * b * 2e-3);
  }
}

TEST(UvwSimulation, SignsAndAntennaOrderFollowTheMeasurementSet) {
  // A source at the zenith (dec = latitude, H = 0): u points East, v North, w Up, and the
  // row's UVW is POSITION(antenna2) − POSITION(antenna1).
  ArrayLayout L = two_antennas(100.0, 40.0, 10.0);
  double u[3], eq[3];
  L.equatorial(1, eq);
  baseline_uvw(eq, 0.0, L.site.latitude, u);
  EXPECT_NEAR(u[0], 100.0, 1e-9);
  EXPECT_NEAR(u[1], 40.0, 1e-9);
  EXPECT_NEAR(u[2], 10.0, 1e-9);
  // One hour later (H > 0, the source has moved West), the u of an East–West baseline
  // shrinks as cos H and w turns negative: the eastern antenna is now farther from the source.
  ArrayLayout ew = two_antennas(100.0, 0.0, 0.0);
  ew.equatorial(1, eq);
  baseline_uvw(eq, kPi / 12, ew.site.latitude, u);
  EXPECT_NEAR(u[0], 100.0 * std::cos(kPi / 12), 1e-9);
  EXPECT_LT(u[2], 0.0);
  EXPECT_NEAR(source_elevation(0.0, ew.site.latitude, ew.site.latitude), kPi / 2, 1e-12);

  // Row order for three antennas: (0,1), (0,2), (1,2) per dump.
  ArrayLayout three = two_antennas(100.0, 0.0, 0.0);
  three.east.push_back(0.0);
  three.north.push_back(250.0);
  three.up.push_back(0.0);
  three.diameter.push_back(12);
  three.antenna.push_back("C");
  UvwSimulationConfig cfg;
  cfg.dec = three.site.latitude;
  cfg.ra = 2.0;
  cfg.ha_start = -2e-3;  // ±27 s around the transit: one 50 s dump
  cfg.ha_end = 2e-3;
  cfg.integration = 50.0;
  UvwTracks t = simulate_uvw(three, cfg);
  ASSERT_EQ(t.ndump, 1u);
  ASSERT_EQ(t.rows(), 3u);
  EXPECT_EQ(t.antenna1, (std::vector<int>{0, 0, 1}));
  EXPECT_EQ(t.antenna2, (std::vector<int>{1, 2, 2}));
  // Near the zenith transit: u ≈ ΔEast, v ≈ ΔNorth of antenna2 − antenna1.
  EXPECT_NEAR(t.uvw[0], 100.0, 0.1);
  EXPECT_NEAR(t.uvw[3 + 1], 250.0, 0.1);
  EXPECT_NEAR(t.uvw[6], -100.0, 0.1);
  EXPECT_NEAR(t.uvw[6 + 1], 250.0, 0.1);
}

TEST(UvwSimulation, DumpsAndTimesFollowTheHourAngles) {
  ArrayLayout L = alma_long_layout();
  UvwSimulationConfig cfg;
  cfg.ra = 252.3137 * kDeg;
  cfg.dec = -14.369 * kDeg;
  cfg.ha_start = -kPi / 12;
  cfg.ha_end = kPi / 12;
  cfg.integration = 120.0;
  UvwTracks t = simulate_uvw(L, cfg);
  EXPECT_EQ(t.ndump, 59u);  // 2 h of hour angle = 7180.3 s of UTC
  EXPECT_EQ(t.rows(), 59u * 780u);
  EXPECT_EQ(t.interval, 120.0);
  for (std::size_t k = 0; k < t.ndump; ++k) {
    double expect = cfg.ha_start + (k + 0.5) * cfg.integration * kSidereal;
    EXPECT_NEAR(t.hour_angle[k], expect, 1e-8);
    EXPECT_NEAR(hour_angle(t.time[k * 780], L.site.longitude, cfg.ra), t.hour_angle[k], 1e-9);
    EXPECT_GT(t.elevation[k], 70.0 * kDeg);  // AS 209 passes near ALMA's zenith
  }
  EXPECT_NEAR(t.time[780] - t.time[0], 120.0, 1e-6);
}

TEST(UvwSimulation, ElevationLimitDropsLowDumps) {
  ArrayLayout L = two_antennas(100.0, 0.0, 0.0);
  UvwSimulationConfig cfg;
  cfg.dec = -60 * kDeg;
  cfg.ha_start = -6 * kPi / 12;
  cfg.ha_end = 6 * kPi / 12;
  cfg.integration = 300.0;
  UvwTracks all = simulate_uvw(L, cfg);
  cfg.min_elevation = 45 * kDeg;
  UvwTracks some = simulate_uvw(L, cfg);
  EXPECT_LT(some.ndump, all.ndump);
  EXPECT_EQ(some.ndump + some.dropped_dumps, all.ndump);
  for (double e : some.elevation) EXPECT_GE(e, 45 * kDeg);
  cfg.dec = 70 * kDeg;  // never above 0° from ALMA
  cfg.min_elevation = 0.0;
  EXPECT_THROW(simulate_uvw(L, cfg), UsageError);
}

TEST(UvwSimulation, BadConfigurationsAreUsageErrors) {
  ArrayLayout L = two_antennas(100.0, 0.0, 0.0);
  UvwSimulationConfig cfg;
  cfg.ha_start = 0.1;
  cfg.ha_end = -0.1;
  EXPECT_THROW(simulate_uvw(L, cfg), UsageError);
  cfg = {};
  cfg.integration = 0;
  EXPECT_THROW(simulate_uvw(L, cfg), UsageError);
  cfg = {};
  cfg.integration = 1e5;  // longer than the 2 h range
  EXPECT_THROW(simulate_uvw(L, cfg), UsageError);
  cfg = {};
  cfg.dec = 2.0;
  EXPECT_THROW(simulate_uvw(L, cfg), UsageError);
  cfg = {};
  cfg.ha_start = -4;
  cfg.ha_end = 4;
  EXPECT_THROW(simulate_uvw(L, cfg), UsageError);
}

}  // namespace
}  // namespace penumbra
