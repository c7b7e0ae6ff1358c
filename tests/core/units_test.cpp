#include "src/core/units.hpp"

#include <gtest/gtest.h>

#include "src/core/errors.hpp"

using namespace penumbra;

TEST(Units, AnglesWithUnits) {
  EXPECT_NEAR(parse_angle("0.01asec"), 0.01 * kArcsec, 1e-20);
  EXPECT_NEAR(parse_angle("3mas"), 3e-3 * kArcsec, 1e-20);
  EXPECT_NEAR(parse_angle("1deg"), kPi / 180, 1e-15);
  EXPECT_NEAR(parse_angle("2 arcmin"), 2 * kPi / 180 / 60, 1e-15);
  EXPECT_NEAR(parse_angle("0.5"), 0.5, 0);
  EXPECT_NEAR(parse_angle("4", "mas"), 4e-3 * kArcsec, 1e-20);
}

TEST(Units, Frequencies) {
  EXPECT_DOUBLE_EQ(parse_frequency("240GHz"), 240e9);
  EXPECT_DOUBLE_EQ(parse_frequency("85.5 MHz"), 85.5e6);
  EXPECT_DOUBLE_EQ(parse_frequency("1e9"), 1e9);
  EXPECT_DOUBLE_EQ(parse_duration("10min"), 600);
  EXPECT_DOUBLE_EQ(parse_length("12.6km"), 12600);
}

TEST(Units, BadInputNamesTheText) {
  try {
    parse_angle("3 parsec");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("3 parsec"), std::string::npos);
  }
  EXPECT_THROW(parse_frequency("GHz"), UsageError);
  EXPECT_THROW(parse_frequency("nanGHz"), UsageError);
}
