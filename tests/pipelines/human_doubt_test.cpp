// The human-doubt report on a constructed case with known entropies and
// mutual information, and its bad input.
#include <gtest/gtest.h>

#include <cmath>

#include "src/core/errors.hpp"
#include "src/pipelines/human_doubt.hpp"
#include "tests/support/error_message.hpp"

using namespace penumbra;

namespace {
double binary_entropy(double p) { return -p * std::log(p) - (1 - p) * std::log(1 - p); }
}  // namespace

TEST(HumanDoubt, KnownEntropiesRatioAndMutualInformation) {
  // K = 2 samples, C = 2. Confident: both samples (0.9, 0.1), all right (label 0):
  // entropy H(0.9), MI 0. Uncertain: samples (0.8, 0.2) and (0.2, 0.8), mean
  // (0.5, 0.5): entropy log 2, MI log 2 − H(0.8).
  PredictedGroup c, u;
  c.labels = {0, 0, 0, 0};
  for (int k = 0; k < 2; ++k)
    for (int n = 0; n < 4; ++n) c.probs.insert(c.probs.end(), {0.9, 0.1});
  u.labels = {0, 1};
  for (int n = 0; n < 2; ++n) u.probs.insert(u.probs.end(), {0.8, 0.2});
  for (int n = 0; n < 2; ++n) u.probs.insert(u.probs.end(), {0.2, 0.8});
  const auto r = doubt_report(c, u, 2, 2, 200, 0.9, 5);
  EXPECT_EQ(r.confident.n, 4);
  EXPECT_EQ(r.uncertain.n, 2);
  EXPECT_EQ(r.both.n, 6);
  EXPECT_NEAR(r.confident.entropy, binary_entropy(0.9), 1e-12);
  EXPECT_NEAR(r.confident.mutual_information, 0, 1e-12);
  EXPECT_NEAR(r.uncertain.entropy, std::log(2.0), 1e-12);
  EXPECT_NEAR(r.uncertain.mutual_information, std::log(2.0) - binary_entropy(0.8), 1e-12);
  EXPECT_NEAR(r.both.entropy, (4 * binary_entropy(0.9) + 2 * std::log(2.0)) / 6, 1e-12);
  EXPECT_DOUBLE_EQ(r.confident.accuracy, 1.0);
  EXPECT_NEAR(r.confident.ece, 0.1, 1e-12);  // confidence 0.9, accuracy 1
  const double ratio = std::log(2.0) / binary_entropy(0.9);
  EXPECT_NEAR(r.entropy_ratio, ratio, 1e-12);
  // Every image of a group has the same entropy: each replicate gives the same ratio.
  EXPECT_NEAR(r.ratio_lower, ratio, 1e-12);
  EXPECT_NEAR(r.ratio_upper, ratio, 1e-12);
  const auto j = r.to_json();
  EXPECT_NEAR(j["entropy_ratio_interval"][1].get<double>(), ratio, 1e-12);
  EXPECT_NE(doubt_csv(r).find("uncertain,2,"), std::string::npos);
}

TEST(HumanDoubt, BadInputIsOneLine) {
  PredictedGroup c{{0.9, 0.1}, {0}}, empty;
  EXPECT_EQ(test::message_of<UsageError>([&] { doubt_report(c, empty, 1, 2, 10, 0.9, 1); }),
            "human-doubt report: no Uncertain images");
  PredictedGroup short_probs{{0.9}, {0}};
  EXPECT_NE(test::message_of<UsageError>([&] { doubt_report(c, short_probs, 1, 2, 10, 0.9, 1); })
                .find("1 probabilities for 1 Uncertain images"),
            std::string::npos);
  EXPECT_NE(test::message_of<UsageError>([&] { doubt_report(c, c, 1, 2, 1, 0.9, 1); }).find("bootstrap replicates"),
            std::string::npos);
}
