#include "src/core/progress.hpp"

#include <gtest/gtest.h>

#include "src/core/rng.hpp"

using namespace penumbra;

TEST(Progress, FormatsDurationsAndCounts) {
  EXPECT_EQ(format_seconds(12.2), "12s");
  EXPECT_EQ(format_seconds(185), "3m05s");
  EXPECT_EQ(format_seconds(3720), "1h02m");
  EXPECT_EQ(format_seconds(-1), "--");
  Progress p("test", 5);
  for (int i = 0; i < 5; ++i) p.tick();
  EXPECT_EQ(p.done(), 5);
}

TEST(Rng, StreamsAreReproducibleAndDistinct) {
  EXPECT_EQ(derive_seed(1, 0), derive_seed(1, 0));
  EXPECT_NE(derive_seed(1, 0), derive_seed(1, 1));
  EXPECT_NE(derive_seed(1, 0), derive_seed(2, 0));
  Rng a = make_rng(3, 4), b = make_rng(3, 4);
  EXPECT_EQ(a(), b());
}
