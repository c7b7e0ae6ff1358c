// The attention-concentration metric against hand-made maps and masks.
#include "src/diagnostics/attention_concentration.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "src/core/errors.hpp"

using namespace penumbra;

TEST(AttentionConcentration, HandMadeMapsAndMasks) {
  // 4×4 image, a 2×2 source in the top-left corner.
  std::vector<std::uint8_t> mask = {1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  std::vector<double> inside = {1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  auto c = attention_concentration(inside, mask);
  EXPECT_DOUBLE_EQ(c.mass_in_source, 1.0);
  EXPECT_DOUBLE_EQ(c.source_fraction, 0.25);

  std::vector<double> uniform(16, 0.5);
  c = attention_concentration(uniform, mask);
  EXPECT_DOUBLE_EQ(c.mass_in_source, 0.25);  // a uniform map puts the source's share of pixels there
  EXPECT_NEAR(c.entropy, 1.0, 1e-12);

  std::vector<double> one_pixel(16, 0.0);
  one_pixel[15] = 7;  // all mass outside, on one pixel
  c = attention_concentration(one_pixel, mask);
  EXPECT_DOUBLE_EQ(c.mass_in_source, 0.0);
  EXPECT_DOUBLE_EQ(c.entropy, 0.0);

  std::vector<double> half(16, 0.0);
  half[0] = half[15] = 1;  // two pixels, equal mass: entropy ln 2 / ln 16 = 1/4
  c = attention_concentration(half, mask);
  EXPECT_DOUBLE_EQ(c.mass_in_source, 0.5);
  EXPECT_NEAR(c.entropy, 0.25, 1e-12);
}

TEST(AttentionConcentration, SourceMaskIsAboveThreeRobustSigmas) {
  std::mt19937 rng(3);
  std::normal_distribution<double> noise(0.0, 1.0);
  const int n = 64;
  std::vector<double> img(n * n);
  for (auto& v : img) v = noise(rng);
  for (int y = 28; y < 36; ++y)
    for (int x = 20; x < 30; ++x) img[y * n + x] += 20;  // an 8×10 source at ~20σ
  auto m = source_mask(img);
  int in_box = 0, outside = 0;
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x)
      if (m[y * n + x]) (y >= 28 && y < 36 && x >= 20 && x < 30 ? in_box : outside)++;
  EXPECT_EQ(in_box, 80);
  EXPECT_LT(outside, 20);  // Gaussian noise above 3σ: 0.13 % of 4016 pixels ≈ 5
  // A sigma-clipped image (background exactly 0): the mask is the emission.
  std::vector<double> clipped(16, 0.0);
  clipped[5] = 0.3, clipped[6] = 1.0;
  auto mc = source_mask(clipped);
  EXPECT_EQ(std::count(mc.begin(), mc.end(), 1), 2);
  EXPECT_EQ(mc[5] + mc[6], 2);
}

TEST(AttentionConcentration, BadInputIsOneLine) {
  std::vector<std::uint8_t> mask(4, 1);
  for (const std::vector<double>& bad :
       {std::vector<double>{1, 1, 1}, {1, -1, 1, 1}, {0, 0, 0, 0}, {1, NAN, 1, 1}}) {
    try {
      attention_concentration(bad, mask);
      FAIL() << "accepted a bad map";
    } catch (const UsageError& e) {
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    }
  }
}
