// The degraded (shifted) copy of an image set: shapes, labels and the [0, 1]
// range kept, flux spread by the blur, noise seeded, bad settings one line.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "src/core/errors.hpp"
#include "src/datasets/image_degradation.hpp"
#include "src/datasets/radio_galaxy_generator.hpp"
#include "tests/support/error_message.hpp"

using namespace penumbra;

TEST(ImageDegradation, KeepsShapesLabelsAndRange) {
  const auto images = generate_radio_galaxies(6, 3, {.size = 24});
  const auto out = degrade_images(images, {.blur = 1.5, .noise = 0.1}, 7);
  ASSERT_EQ(out.size(), images.size());
  EXPECT_EQ(out.height, images.height);
  EXPECT_EQ(out.width, images.width);
  EXPECT_EQ(out.labels, images.labels);
  EXPECT_EQ(out.pixels.size(), images.pixels.size());
  const auto [lo, hi] = std::minmax_element(out.pixels.begin(), out.pixels.end());
  EXPECT_GE(*lo, 0.f);
  EXPECT_LE(*hi, 1.f);
  EXPECT_NE(out.pixels, images.pixels);
  EXPECT_EQ(degrade_images(images, {.blur = 1.5, .noise = 0.1}, 7).pixels, out.pixels);  // seeded
}

TEST(ImageDegradation, BlurSpreadsAPointAndKeepsItsFlux) {
  LabelledImages one;
  one.height = one.width = 21;
  one.pixels.assign(21 * 21, 0.f);
  one.pixels[10 * 21 + 10] = 1.f;
  one.labels = {0};
  one.class_names = {"FRI", "FRII"};
  const auto out = degrade_images(one, {.blur = 2.0, .noise = 0.0}, 1);
  const double flux = std::accumulate(out.pixels.begin(), out.pixels.end(), 0.0);
  EXPECT_NEAR(flux, 1.0, 1e-5);
  // The peak of a unit point convolved with a 2-D Gaussian of σ = 2 px: 1/(2π σ²) (the sampled kernel, ±2 %).
  EXPECT_NEAR(out.pixels[10 * 21 + 10], 1.0 / (2 * M_PI * 4), 0.002);
  EXPECT_EQ(degrade_images(one, {.blur = 0.0, .noise = 0.0}, 1).pixels, one.pixels);
}

TEST(ImageDegradation, BadSettingsAreOneLine) {
  const auto images = generate_radio_galaxies(2, 3, {.size = 16});
  const auto msg = test::message_of<UsageError>([&] { degrade_images(images, {.blur = -1, .noise = 0}, 1); });
  EXPECT_NE(msg.find("degradation blur"), std::string::npos) << msg;
  EXPECT_EQ(std::count(msg.begin(), msg.end(), '\n'), 0);
}
