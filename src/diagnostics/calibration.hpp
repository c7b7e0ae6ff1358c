#pragma once
// Calibration of probabilistic classifiers (REFERENCE.md §3), from K posterior
// samples of class probabilities p_k(c | x_n):
//   predictive p̄ = mean_k p_k; prediction argmax p̄; confidence max p̄
//   accuracy, NLL = −mean log p̄(y), Brier = mean Σ_c (p̄_c − 1[c=y])²
//   ECE = Σ_m |B_m|/n · |acc(B_m) − conf(B_m)|, B_m equal-width confidence bins on [0, 1]
//   UCE = Σ_m |B_m|/n · |err(B_m) − ũ(B_m)|, bins of the normalised predictive
//         entropy ũ = H(p̄)/log C (Laves et al. 2019)
//   predictive entropy H(p̄) and mutual information H(p̄) − mean_k H(p_k)
//         (the epistemic part), both in nats, averaged over examples.
// ECE and UCE are fractions (×100 for the percentages papers quote).
#include <nlohmann/json.hpp>

#include <cstdint>
#include <vector>

namespace penumbra {

struct CalibrationBin {
  double lo = 0, hi = 0;
  std::int64_t count = 0;
  double accuracy = 0;  // reliability bins: accuracy; uncertainty bins: error rate
  double mean = 0;      // reliability bins: mean confidence; uncertainty bins: mean ũ
};

struct CalibrationReport {
  std::int64_t n = 0;
  int n_classes = 0, n_samples = 0;
  double accuracy = 0, nll = 0, brier = 0, ece = 0, uce = 0, entropy = 0, mutual_information = 0;
  // ECE is biased upwards on few examples: a perfectly calibrated model's ECE on
  // these N confidences is not 0. Consistency resampling (Bröcker & Smith 2007):
  // draw "right" with probability equal to each example's confidence, 1000 seeded
  // times, and take the ECE of each draw: its mean, 95 % point, and the fraction
  // of draws at least as large as the observed ECE (p-value of "calibrated").
  double ece_calibrated_mean = 0, ece_calibrated_q95 = 0, ece_p_value = 1;
  std::vector<CalibrationBin> reliability, uncertainty;
  std::vector<std::vector<std::int64_t>> confusion;  // [true class][predicted class]
  nlohmann::json to_json() const;
};

// One image's summary of its K posterior predictive samples.
struct ImagePrediction {
  std::vector<double> mean, std;  // [C]: the samples' mean (the predictive) and spread (0 for K = 1)
  int predicted = 0;              // argmax of the mean
  double entropy = 0;             // H(p̄), nats
  double mutual_information = 0;  // H(p̄) − mean_k H(p_k): the samples' disagreement (epistemic)
  double agreement = 1;           // fraction of the K samples whose own argmax is `predicted`: for an
                                  // ensemble, how many members share the decision (and its error)
};
// Image n of probs [K][N][C] row-major.
ImagePrediction image_prediction(const std::vector<double>& probs, int K, std::int64_t N, int C, std::int64_t n);

// probs: [K][N][C] row-major, K ≥ 1 samples; labels [N] in 0..C−1.
CalibrationReport calibration_report(const std::vector<double>& probs, int K, std::int64_t N, int C,
                                     const std::vector<int>& labels, int bins = 15);

}  // namespace penumbra
