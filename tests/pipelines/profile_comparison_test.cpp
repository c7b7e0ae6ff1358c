// Rings and gaps against a known truth (profile_comparison.hpp): the truth's
// features found where the image has them, a method's misplaced ring measured
// in beams, the posterior band's coverage, and the --disk syntax.
#include "src/pipelines/profile_comparison.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "src/core/errors.hpp"
#include "src/core/run_folder.hpp"
#include "src/core/units.hpp"
#include "tests/support/paths.hpp"

namespace penumbra {
namespace {

ImageGrid grid128() {
  ImageGrid g;
  g.nx = g.ny = 128;
  g.cell = 0.01 * kArcsec;
  return g;
}

// An inclined disk (i = 40°, PA = 60°) with rings of width σ = 2 px at `r1` and `r2` pixels of deprojected radius.
std::vector<double> ring_image(const ImageGrid& g, double r1, double r2) {
  const double i = 40 * kDeg, pa = 60 * kDeg;
  std::vector<double> img(g.size());
  for (int y = 0; y < g.ny; ++y)
    for (int x = 0; x < g.nx; ++x) {
      const double l = g.l(x) / g.cell, m = g.m(y) / g.cell;
      const double a = l * std::sin(pa) + m * std::cos(pa), b = (l * std::cos(pa) - m * std::sin(pa)) / std::cos(i);
      const double r = std::hypot(a, b);
      img[static_cast<std::size_t>(y) * g.nx + x] =
          1e-3 * (std::exp(-0.5 * std::pow((r - r1) / 2, 2)) + 0.7 * std::exp(-0.5 * std::pow((r - r2) / 2, 2)));
    }
  return img;
}

ProfileRequest request(const ImageGrid& g) {
  ProfileRequest r;
  r.disk = {40 * kDeg, 60 * kDeg, 0, 0};
  r.beam_fwhm = 4 * g.cell;
  return r;
}

TEST(ProfileComparison, FindsTheTruthsRingsAndGapAndAMisplacedRing) {
  const ImageGrid g = grid128();
  const auto truth = ring_image(g, 20, 40);
  const auto moved = ring_image(g, 21.5, 40);  // first ring 1.5 px = 0.375 beam out
  const auto c = compare_profiles(truth, {{"same", truth}, {"moved", moved}}, {}, g, request(g));
  ASSERT_EQ(c.features.size(), 3u);
  EXPECT_TRUE(c.features[0].ring);
  EXPECT_FALSE(c.features[1].ring);
  EXPECT_TRUE(c.features[2].ring);
  EXPECT_NEAR(c.features[0].truth_radius / g.cell, 20, 0.5);
  EXPECT_NEAR(c.features[1].truth_radius / g.cell, 30, 1.5);  // the gap between unequal rings
  EXPECT_NEAR(c.features[2].truth_radius / g.cell, 40, 0.5);
  for (const auto& f : c.features) EXPECT_NEAR(f.radius[0], f.truth_radius, 1e-12);
  EXPECT_NEAR((c.features[0].radius[1] - c.features[0].truth_radius) / c.beam_fwhm, 1.5 / 4, 0.1);
  EXPECT_NEAR(c.features[2].radius[1], c.features[2].truth_radius, 0.3 * g.cell);
  EXPECT_TRUE(c.band_lo.empty());
}

TEST(ProfileComparison, BandCoverageOfSamplesAroundAndAwayFromTheTruth) {
  const ImageGrid g = grid128();
  const auto truth = ring_image(g, 20, 40);
  std::mt19937 rng(1);
  std::normal_distribution<double> n(0, 1);
  std::vector<std::vector<double>> around, above;
  for (int k = 0; k < 40; ++k) {
    // Whole-image scalings scatter every bin's mean on both sides of the truth's.
    const double s = 1 + 0.1 * n(rng);
    std::vector<double> a(truth.size()), b(truth.size());
    for (std::size_t i = 0; i < truth.size(); ++i) {
      a[i] = truth[i] * s + 1e-6 * n(rng);
      b[i] = truth[i] * 1.5 + 1e-4 + 1e-6 * n(rng);
    }
    around.push_back(a);
    above.push_back(b);
  }
  const auto ca = compare_profiles(truth, {}, around, g, request(g));
  const auto cb = compare_profiles(truth, {}, above, g, request(g));
  EXPECT_GT(ca.band_coverage, 0.9);
  EXPECT_EQ(cb.band_coverage, 0.0);
  ASSERT_EQ(ca.band_lo.size(), ca.truth.mean.size());
  EXPECT_THROW(compare_profiles(truth, {}, {truth}, g, request(g)), UsageError);
}

TEST(ProfileComparison, WritesTablesAndFigure) {
  const ImageGrid g = grid128();
  const auto truth = ring_image(g, 20, 40);
  const auto dir = test::scratch_dir("profile_comparison");
  const auto j = write_profile_comparison(dir, compare_profiles(truth, {{"clean", truth}}, {truth, truth}, g,
                                                                request(g)));
  EXPECT_EQ(j["features"].size(), 3u);
  EXPECT_DOUBLE_EQ(j["band_coverage_68"].get<double>(), 1.0);
  EXPECT_EQ(read_text(dir / "radial_profile.csv").substr(0, 52), "radius_arcsec,truth_jy_sr,clean_jy_sr,posterior_p16_");
  EXPECT_EQ(read_text(dir / "radial_features.csv").rfind("kind,truth_radius_arcsec,clean_radius_arcsec,clean_error_beams\nring", 0),
            0u);
  EXPECT_TRUE(std::filesystem::exists(dir / "radial_profile.png"));
}

TEST(ProfileComparison, ParsesDiskOrientation) {
  const auto d = parse_disk_orientation("35deg,86deg");
  EXPECT_NEAR(d.inclination, 35 * kDeg, 1e-12);
  EXPECT_NEAR(d.position_angle, 86 * kDeg, 1e-12);
  EXPECT_NEAR(parse_disk_orientation("35,86").inclination, 35 * kDeg, 1e-12);
  EXPECT_THROW(parse_disk_orientation("35"), UsageError);
  EXPECT_THROW(parse_disk_orientation("35,86,1"), UsageError);
  EXPECT_THROW(parse_disk_orientation("95,0"), UsageError);
}

}  // namespace
}  // namespace penumbra
