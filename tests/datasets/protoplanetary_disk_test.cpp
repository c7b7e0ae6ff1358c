#include "src/datasets/protoplanetary_disk.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "src/core/errors.hpp"
#include "src/core/units.hpp"

// A named namespace: this binary is a unity build, anonymous namespaces would merge.
namespace penumbra::disk_test {

ImageGrid grid(int n, double cell_mas) {
  ImageGrid g;
  g.nx = g.ny = n;
  g.cell = cell_mas * 1e-3 * kArcsec;
  return g;
}

// A disk made of one thing at a time: no core, a faint flat envelope.
ProtoplanetaryDisk plain_disk(double radius) {
  ProtoplanetaryDisk d;
  d.radius = radius;
  d.core_amplitude = 0;
  d.envelope_amplitude = 1;
  d.envelope_index = 0;
  d.edge = 0.02;
  return d;
}

// Intensity-weighted second moments Σ I l², Σ I m², Σ I l m.
void moments(const std::vector<double>& img, const ImageGrid& g, double& ll, double& mm, double& lm) {
  ll = mm = lm = 0;
  for (int y = 0; y < g.ny; ++y)
    for (int x = 0; x < g.nx; ++x) {
      double v = img[static_cast<std::size_t>(y) * g.nx + x];
      ll += v * g.l(x) * g.l(x);
      mm += v * g.m(y) * g.m(y);
      lm += v * g.l(x) * g.m(y);
    }
}

TEST(ProtoplanetaryDisk, PixelsSumToTheRequestedFlux) {
  ImageGrid g = grid(64, 10);
  ProtoplanetaryDisk d = as209_like_disk(0.28 * kArcsec);
  auto img = render_disk(d, g);
  ASSERT_EQ(img.size(), g.size());
  EXPECT_NEAR(std::accumulate(img.begin(), img.end(), 0.0), 0.3, 1e-12);
  for (double v : img) ASSERT_GE(v, 0.0);
  d.flux = 0.05;
  auto img2 = render_disk(d, g);
  EXPECT_NEAR(std::accumulate(img2.begin(), img2.end(), 0.0), 0.05, 1e-14);
  EXPECT_NEAR(img2[g.size() / 2 + g.nx / 2] / img[g.size() / 2 + g.nx / 2], 0.05 / 0.3, 1e-12);
}

TEST(ProtoplanetaryDisk, InclinationSquashesTheMinorAxis) {
  ImageGrid g = grid(128, 5);
  ProtoplanetaryDisk d = plain_disk(0.28 * kArcsec);
  double ll, mm, lm;
  moments(render_disk(d, g), g, ll, mm, lm);
  EXPECT_NEAR(ll / mm, 1.0, 1e-3);  // face-on: round
  d.inclination = 60 * kDeg;        // PA 0: major axis North–South, East–West squashed by cos i
  moments(render_disk(d, g), g, ll, mm, lm);
  EXPECT_NEAR(ll / mm, 0.25, 0.01);
  EXPECT_NEAR(lm / mm, 0.0, 1e-3);
  d.position_angle = 90 * kDeg;  // major axis East–West
  moments(render_disk(d, g), g, ll, mm, lm);
  EXPECT_NEAR(mm / ll, 0.25, 0.01);
  // PA 45° (towards North-East): l and m positively correlated (East = +l, North = +m).
  d.position_angle = 45 * kDeg;
  moments(render_disk(d, g), g, ll, mm, lm);
  EXPECT_GT(lm / std::sqrt(ll * mm), 0.5);
  // ... and in pixels: North-East is low x (East edge at x = 0), high y.
  auto img = render_disk(d, g);
  double ne = 0, nw = 0;
  for (int y = g.ny / 2 + 5; y < g.ny; ++y)
    for (int x = 0; x < g.nx / 2 - 5; ++x) {
      ne += img[y * g.nx + x];
      nw += img[y * g.nx + (g.nx - 1 - x)];
    }
  EXPECT_GT(ne, 3 * nw);
}

TEST(ProtoplanetaryDisk, RingsAndGapsSitWhereRequested) {
  ImageGrid g = grid(128, 5);
  const double radius = 0.3 * kArcsec;
  ProtoplanetaryDisk d = plain_disk(radius);
  d.envelope_amplitude = 0.01;
  d.rings = {{0.6, 0.02, 1.0}};
  auto img = render_disk(d, g);
  // Azimuthal profile of the face-on disk in 1-pixel annuli.
  std::vector<double> sum(g.nx, 0.0), cnt(g.nx, 0.0);
  for (int y = 0; y < g.ny; ++y)
    for (int x = 0; x < g.nx; ++x) {
      auto k = static_cast<std::size_t>(std::lround(std::hypot(g.l(x), g.m(y)) / g.cell));
      sum[k] += img[y * g.nx + x];
      cnt[k] += 1;
    }
  int peak = 0;
  for (int k = 1; k < g.nx / 2; ++k)
    if (sum[k] / cnt[k] > sum[peak] / std::max(cnt[peak], 1.0)) peak = k;
  EXPECT_NEAR(peak * g.cell / radius, 0.6, 0.5 * g.cell / radius + 1e-9);

  // A gap carves the ring: at its radius the profile drops by the gap depth.
  ProtoplanetaryDisk gapped = d;
  gapped.gaps = {{0.6, 0.01, 0.9}};
  EXPECT_NEAR(gapped.profile(0.6) / d.profile(0.6), 0.1, 1e-12);
  EXPECT_NEAR(gapped.profile(0.3) / d.profile(0.3), 1.0, 1e-12);
  // Nothing beyond the soft edge.
  EXPECT_LT(d.profile(1.2) / d.profile(0.9), 1e-6);
}

TEST(ProtoplanetaryDisk, As209LikeHasDeepGapsBetweenBrightRings) {
  ProtoplanetaryDisk d = as209_like_disk();
  EXPECT_NEAR(d.radius, 1.6 * kArcsec, 1e-15);
  EXPECT_NEAR(d.inclination, 35 * kDeg, 1e-15);
  EXPECT_NEAR(d.position_angle, 86 * kDeg, 1e-15);
  EXPECT_NEAR(d.flux, 0.3, 1e-15);
  auto at = [&](double arcsec) { return d.profile(arcsec * kArcsec / d.radius); };
  // Bright rings at ≈ 0.62″ and ≈ 1.0″, deep gaps at ≈ 0.50″ and ≈ 0.87″.
  EXPECT_GT(at(0.61), 5 * at(0.50));
  EXPECT_GT(at(0.99), 5 * at(0.87));
  EXPECT_GT(at(0.0), at(0.61));  // a bright inner disk
  EXPECT_GT(at(1.4), 0.0);       // faint emission out to ≈ 1.6″
  EXPECT_LT(at(1.9), 1e-3 * at(1.4));
  // The demo's compact analogue fits the 64 × 10 mas truth grid.
  EXPECT_TRUE(as209_like_disk(0.28 * kArcsec).fits(grid(64, 10)));
  EXPECT_FALSE(as209_like_disk(0.3 * kArcsec).fits(grid(64, 10)));
}

TEST(ProtoplanetaryDisk, RandomDisksAreSeededAndFit) {
  ImageGrid g = grid(64, 10);
  for (std::uint64_t seed = 0; seed < 30; ++seed) {
    ProtoplanetaryDisk a = random_disk(seed, g), b = random_disk(seed, g);
    EXPECT_EQ(a.describe(), b.describe());
    EXPECT_EQ(render_disk(a, g, 2), render_disk(b, g, 2));
    EXPECT_TRUE(a.fits(g)) << a.describe();
    EXPECT_GE(a.flux, 0.05);
    EXPECT_LE(a.flux, 1.0);
    EXPECT_LT(a.inclination, 70 * kDeg + 1e-12);
  }
  EXPECT_NE(render_disk(random_disk(1, g), g, 2), render_disk(random_disk(2, g), g, 2));
}

TEST(ProtoplanetaryDisk, BadParametersAreUsageErrors) {
  ImageGrid g = grid(64, 10);
  ProtoplanetaryDisk d = as209_like_disk(0.28 * kArcsec);
  EXPECT_THROW(render_disk(as209_like_disk(), g), UsageError);  // 1.6″ does not fit 0.64″
  EXPECT_THROW(render_disk(d, g, 0), UsageError);
  auto bad = d;
  bad.flux = -1;
  EXPECT_THROW(render_disk(bad, g), UsageError);
  bad = d;
  bad.inclination = 90 * kDeg;
  EXPECT_THROW(bad.validate(), UsageError);
  bad = d;
  bad.gaps[0].depth = 1.5;
  EXPECT_THROW(bad.validate(), UsageError);
  bad = d;
  bad.rings[0].width = 0;
  EXPECT_THROW(bad.validate(), UsageError);
}

}  // namespace penumbra::disk_test
