#include "src/core/statistics.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace penumbra {
namespace {

TEST(Statistics, MeanAndSampleStandardDeviation) {
  const std::vector<double> v = {2, 4, 4, 4, 5, 5, 7, 9};
  EXPECT_DOUBLE_EQ(mean(v), 5.0);
  EXPECT_DOUBLE_EQ(sample_stdev(v), std::sqrt(32.0 / 7.0));  // n − 1, not the population's sqrt(32/8)
  EXPECT_EQ(mean({}), 0.0);
  EXPECT_EQ(sample_stdev({3.0}), 0.0);  // one value has no spread estimate
}

}  // namespace
}  // namespace penumbra
