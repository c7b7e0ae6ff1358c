// Calibration metrics on hand-computed cases.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "src/core/errors.hpp"
#include "src/diagnostics/calibration.hpp"

using namespace penumbra;

TEST(Calibration, HandComputedTwoClassCase) {
  // 4 examples, one sample: confidences 0.9, 0.9, 0.6, 0.6; the first three right.
  std::vector<double> p = {0.9, 0.1, 0.1, 0.9, 0.6, 0.4, 0.4, 0.6};
  std::vector<int> y = {0, 1, 0, 0};
  auto r = calibration_report(p, 1, 4, 2, y, 10);
  EXPECT_DOUBLE_EQ(r.accuracy, 0.75);
  // Bins: (0.8, 0.9] holds 2 right at conf 0.9 → |1 − 0.9|; (0.5, 0.6] holds 1 right, 1 wrong at 0.6 → |0.5 − 0.6|.
  EXPECT_NEAR(r.ece, 0.5 * 0.1 + 0.5 * 0.1, 1e-12);
  EXPECT_NEAR(r.nll, -(2 * std::log(0.9) + std::log(0.6) + std::log(0.4)) / 4, 1e-12);
  EXPECT_NEAR(r.brier, (0.02 + 0.02 + 0.32 + 0.72) / 4, 1e-12);  // last: (0.4 − 1)² + 0.6²
  EXPECT_EQ(r.confusion[0][0], 2);
  EXPECT_EQ(r.confusion[0][1], 1);
  EXPECT_EQ(r.confusion[1][1], 1);
  EXPECT_NEAR(r.mutual_information, 0.0, 1e-12);  // one sample: no epistemic part
  auto j = r.to_json();
  EXPECT_TRUE(j.contains("accuracy") && j.contains("ece") && j.contains("uce"));
}

TEST(Calibration, DisagreeingSamplesHaveMutualInformation) {
  // Two samples, confident but opposite: p̄ = 0.5, MI = log 2 − H(0.99, 0.01).
  std::vector<double> p = {0.99, 0.01, 0.01, 0.99};
  auto r = calibration_report(p, 2, 1, 2, {0}, 15);
  double h1 = -(0.99 * std::log(0.99) + 0.01 * std::log(0.01));
  EXPECT_NEAR(r.entropy, std::log(2.0), 1e-12);
  EXPECT_NEAR(r.mutual_information, std::log(2.0) - h1, 1e-12);
  // Normalised entropy 1, error 0.5 (argmax ties → class 0 → correct): UCE = |0 − 1| = 1.
  EXPECT_NEAR(r.uce, 1.0, 1e-12);
  EXPECT_THROW(calibration_report(p, 2, 1, 2, {3}, 15), DataError);
}

TEST(Calibration, ImagePredictionSummarisesTheSamples) {
  // K = 3 samples of N = 2 images; image 1's samples disagree: two say class 0, one class 1.
  std::vector<double> p = {0.7, 0.3, 0.9, 0.1,   // k = 0: image 0, image 1
                           0.7, 0.3, 0.6, 0.4,   // k = 1
                           0.7, 0.3, 0.2, 0.8};  // k = 2
  auto h = [](double a) { return -(a * std::log(a) + (1 - a) * std::log(1 - a)); };
  auto ip = image_prediction(p, 3, 2, 2, 1);
  EXPECT_NEAR(ip.mean[0], 1.7 / 3, 1e-12);
  EXPECT_NEAR(ip.mean[1], 1.3 / 3, 1e-12);
  EXPECT_EQ(ip.predicted, 0);
  EXPECT_NEAR(ip.agreement, 2.0 / 3, 1e-12);
  const double m = 1.7 / 3;
  const double var = ((0.9 - m) * (0.9 - m) + (0.6 - m) * (0.6 - m) + (0.2 - m) * (0.2 - m)) / 2;  // K − 1
  EXPECT_NEAR(ip.std[0], std::sqrt(var), 1e-12);
  EXPECT_NEAR(ip.std[1], std::sqrt(var), 1e-12);
  EXPECT_NEAR(ip.entropy, h(m), 1e-12);
  EXPECT_NEAR(ip.mutual_information, h(m) - (h(0.9) + h(0.6) + h(0.2)) / 3, 1e-12);
  // Image 0: identical samples, no spread, full agreement, no mutual information.
  auto i0 = image_prediction(p, 3, 2, 2, 0);
  EXPECT_NEAR(i0.std[0], 0.0, 1e-12);
  EXPECT_EQ(i0.agreement, 1.0);
  EXPECT_NEAR(i0.mutual_information, 0.0, 1e-12);
  // The report is built from the same per-image summaries.
  auto r = calibration_report(p, 3, 2, 2, {0, 1}, 15);
  EXPECT_NEAR(r.accuracy, 0.5, 1e-12);
  EXPECT_NEAR(r.entropy, (h(0.7) + h(m)) / 2, 1e-12);
}

TEST(Calibration, PerfectlyCalibratedStreamHasSmallEce) {
  // Confidence c, correct with probability c: ECE → 0 as n grows.
  std::mt19937 rng(1);
  std::uniform_real_distribution<double> U(0.5, 1.0), V(0, 1);
  std::vector<double> p;
  std::vector<int> y;
  for (int i = 0; i < 20000; ++i) {
    double c = U(rng);
    p.push_back(c);
    p.push_back(1 - c);
    y.push_back(V(rng) < c ? 0 : 1);
  }
  auto r = calibration_report(p, 1, 20000, 2, y, 15);
  EXPECT_LT(r.ece, 0.02);
  EXPECT_GT(r.ece_p_value, 0.01);
}

// Consistency resampling: on 146 examples at ≈ 0.95 confidence a calibrated model's
// ECE is ≈ 0.02–0.03, not 0, and a calibrated stream's p-value is not small; an
// over-confident stream (right 80 % of the time at confidence ≈ 0.95) is flagged.
TEST(Calibration, EceReferenceOfACalibratedModel) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> U(0.9, 1.0), V(0, 1);
  auto stream = [&](int n, double accuracy_offset) {
    std::vector<double> p;
    std::vector<int> y;
    for (int i = 0; i < n; ++i) {
      double c = U(rng);
      p.push_back(c);
      p.push_back(1 - c);
      y.push_back(V(rng) < c - accuracy_offset ? 0 : 1);
    }
    return calibration_report(p, 1, n, 2, y, 15);
  };
  auto good = stream(146, 0.0);
  EXPECT_GT(good.ece_calibrated_mean, 0.015);
  EXPECT_LT(good.ece_calibrated_mean, 0.04);
  EXPECT_GT(good.ece_calibrated_q95, good.ece_calibrated_mean);
  EXPECT_GT(good.ece_p_value, 0.01);
  auto bad = stream(146, 0.15);
  EXPECT_LT(bad.ece_p_value, 0.001);
  EXPECT_GT(bad.ece, bad.ece_calibrated_q95);
  // More examples, smaller reference: ≈ 1/√N.
  EXPECT_LT(stream(2000, 0.0).ece_calibrated_mean, 0.5 * good.ece_calibrated_mean);
  auto j = good.to_json();
  EXPECT_TRUE(j["ece_if_calibrated"].contains("p_value"));
}
