// AS 209 at its own scale (src/datasets/as209_model.hpp) and the deprojected radial
// profile (src/datasets/radial_profile.hpp): the 3 mas truth has AS 209's flux, rings
// and gaps where REFERENCE.md §1 puts them, and the profile of an image recovers the
// model's brightness.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "src/core/errors.hpp"
#include "src/core/units.hpp"
#include "src/datasets/as209_model.hpp"
#include "src/datasets/radial_profile.hpp"

// A named namespace: this binary is a unity build, anonymous namespaces would merge.
namespace penumbra::as209_test {

constexpr double kMas = 1e-3 * kArcsec;

DiskOrientation as209_orientation() {
  const ProtoplanetaryDisk d = as209_disk();
  return {d.inclination, d.position_angle, 0, 0};
}

TEST(As209Model, TruthHasTheFluxRingsAndGapsOfAs209) {
  const ImageGrid g = as209_truth_grid();
  EXPECT_EQ(g.nx, 1200);
  EXPECT_EQ(g.ny, 1200);
  EXPECT_NEAR(g.cell / kMas, 3.0, 1e-12);
  const std::vector<double> img = render_as209(g);
  EXPECT_NEAR(std::accumulate(img.begin(), img.end(), 0.0), 0.3, 1e-9);

  const RadialProfile p = deprojected_radial_profile(img, g, as209_orientation(), g.cell, 1.8 * kArcsec);
  // Bright rings at ≈ 0.62″ and ≈ 1.0″, deep gaps at ≈ 0.50″ and ≈ 0.87″: within two 3 mas pixels.
  EXPECT_NEAR(profile_extremum(p, 0.55 * kArcsec, 0.70 * kArcsec, true) / kArcsec, 0.62, 0.006);
  EXPECT_NEAR(profile_extremum(p, 0.93 * kArcsec, 1.08 * kArcsec, true) / kArcsec, 1.00, 0.006);
  EXPECT_NEAR(profile_extremum(p, 0.45 * kArcsec, 0.56 * kArcsec, false) / kArcsec, 0.50, 0.006);
  EXPECT_NEAR(profile_extremum(p, 0.82 * kArcsec, 0.92 * kArcsec, false) / kArcsec, 0.865, 0.006);
  // The image's brightness (Jy/pixel / pixel area) is the model's Jy/sr, away from the steepest edges.
  for (double r_arcsec : {0.2, 0.62, 1.0, 1.3}) {
    const auto k = static_cast<std::size_t>(r_arcsec * kArcsec / p.bin_width);
    const double model = as209_brightness(p.radius[k]);
    EXPECT_NEAR(p.mean[k] / (g.cell * g.cell), model, 0.03 * model) << r_arcsec << "″";
  }
  // Faint emission reaches ≈ 1.6″ and nothing lies beyond the soft edge.
  const auto at = [&](double r_arcsec) { return p.mean[static_cast<std::size_t>(r_arcsec * kArcsec / p.bin_width)]; };
  EXPECT_GT(at(1.5), 0.01 * at(1.0));
  EXPECT_LT(at(1.75), 0.01 * at(1.0));
}

TEST(As209Model, FeaturesAreTheProfilesExtrema) {
  const As209Features f = as209_features();
  ASSERT_EQ(f.rings.size(), 7u);
  ASSERT_EQ(f.gaps.size(), 7u);
  // Narrow inner rings inside ≈ 0.35″, then the two bright rings.
  for (int k = 0; k < 3; ++k) EXPECT_LT(f.rings[k] / kArcsec, 0.35);
  EXPECT_NEAR(f.rings[3] / kArcsec, 0.62, 0.005);
  EXPECT_NEAR(f.rings[5] / kArcsec, 1.00, 0.005);
  for (double r : f.rings) {
    EXPECT_GT(as209_brightness(r), as209_brightness(r - 2 * kMas));
    EXPECT_GT(as209_brightness(r), as209_brightness(r + 2 * kMas));
  }
}

TEST(RadialProfile, RecoversAnOffsetInclinedRing) {
  ProtoplanetaryDisk d;
  d.radius = 0.5 * kArcsec;
  d.core_amplitude = 0;
  d.envelope_amplitude = 0.001;
  d.rings = {{0.6, 0.03, 1.0}};
  d.inclination = 60 * kDeg;
  d.position_angle = 150 * kDeg;
  d.offset_l = 40 * kMas;
  d.offset_m = -25 * kMas;
  ImageGrid g;
  g.nx = g.ny = 256;
  g.cell = 5 * kMas;
  const std::vector<double> img = render_disk(d, g);
  const RadialProfile right = deprojected_radial_profile(
      img, g, {d.inclination, d.position_angle, d.offset_l, d.offset_m}, 5 * kMas, 0.6 * kArcsec);
  EXPECT_NEAR(profile_extremum(right, 0.1 * kArcsec, 0.5 * kArcsec, true) / kArcsec, 0.30, 0.005);
  // The wrong orientation smears the ring: its peak drops.
  const RadialProfile wrong = deprojected_radial_profile(img, g, {0, 0, 0, 0}, 5 * kMas, 0.6 * kArcsec);
  double peak_right = 0, peak_wrong = 0;
  for (double v : right.mean) peak_right = std::max(peak_right, v);
  for (double v : wrong.mean) peak_wrong = std::max(peak_wrong, v);
  EXPECT_LT(peak_wrong, 0.6 * peak_right);
  std::size_t total = 0;
  for (auto n : right.count) total += n;
  EXPECT_GT(total, 0u);
}

TEST(RadialProfile, RefusesBadInputNamingTheQuantity) {
  ImageGrid g;
  g.nx = g.ny = 16;
  g.cell = kMas;
  std::vector<double> img(g.size(), 1.0);
  auto message = [&](auto&& f) {
    try {
      f();
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message([&] { deprojected_radial_profile(img, g, {}, 0, kArcsec); }).find("bin width"),
            std::string::npos);
  EXPECT_NE(message([&] { deprojected_radial_profile(img, g, {89.5 * kDeg, 0}, kMas, kArcsec); }).find("inclination"),
            std::string::npos);
  std::vector<double> small(10, 1.0);
  EXPECT_NE(message([&] { deprojected_radial_profile(small, g, {}, kMas, kArcsec); }).find("16×16"),
            std::string::npos);
  const RadialProfile p = deprojected_radial_profile(img, g, {}, kMas, 5 * kMas);
  EXPECT_NE(message([&] { profile_extremum(p, kArcsec, 2 * kArcsec, true); }).find("no bin"), std::string::npos);
}

}  // namespace penumbra::as209_test
