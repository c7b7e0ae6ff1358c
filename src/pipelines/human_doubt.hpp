#pragma once
// Whether a classifier's uncertainty tracks human doubt (issue 24, item 6):
// MiraBest's experts marked some sources Confident and others Uncertain, so a
// model trained on Confident images should be less sure of the Uncertain ones.
// The report gives accuracy, NLL, ECE, mean predictive entropy and mean mutual
// information (src/diagnostics/calibration.hpp) on each group and on both
// together, and the ratio of mean entropies Uncertain/Confident with a
// percentile bootstrap interval (each group's images resampled independently).
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "src/diagnostics/calibration.hpp"

namespace penumbra {

// One group's posterior predictive samples [K][N][C] with its labels.
struct PredictedGroup {
  std::vector<double> probs;
  std::vector<int> labels;
};

struct DoubtReport {
  CalibrationReport confident, uncertain, both;
  double entropy_ratio = 0;             // mean H(p̄) on Uncertain / mean H(p̄) on Confident
  double ratio_lower = 0, ratio_upper = 0;
  double level = 0.9;
  int replicates = 0;
  nlohmann::json to_json() const;
};

// K samples per image (the same K in both groups), C classes. UsageError when a
// group is empty or the sizes disagree, or for fewer than 2 replicates or a
// level outside (0, 1).
DoubtReport doubt_report(const PredictedGroup& confident, const PredictedGroup& uncertain, int K, int C,
                         int replicates, double level, std::uint64_t seed);

// "group,n,accuracy,nll,ece,entropy,mutual_information" and one row per group.
std::string doubt_csv(const DoubtReport& r);

}  // namespace penumbra
