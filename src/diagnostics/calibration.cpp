#include "src/diagnostics/calibration.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "src/core/errors.hpp"
#include "src/core/rng.hpp"

namespace penumbra {

namespace {
double entropy_of(const double* p, int C) {
  double h = 0;
  for (int c = 0; c < C; ++c)
    if (p[c] > 0) h -= p[c] * std::log(p[c]);
  return h;
}

std::vector<CalibrationBin> binned(const std::vector<double>& key, const std::vector<double>& value, int bins,
                                   double& gap) {
  std::vector<CalibrationBin> out(bins);
  for (int m = 0; m < bins; ++m) {
    out[m].lo = static_cast<double>(m) / bins;
    out[m].hi = static_cast<double>(m + 1) / bins;
  }
  std::vector<double> sum_key(bins, 0), sum_val(bins, 0);
  for (std::size_t i = 0; i < key.size(); ++i) {
    // Bins are (lo, hi]; 0 goes to the first bin.
    int m = std::clamp(static_cast<int>(std::ceil(key[i] * bins)) - 1, 0, bins - 1);
    out[m].count++;
    sum_key[m] += key[i];
    sum_val[m] += value[i];
  }
  gap = 0;
  for (int m = 0; m < bins; ++m) {
    if (!out[m].count) continue;
    out[m].mean = sum_key[m] / out[m].count;
    out[m].accuracy = sum_val[m] / out[m].count;
    gap += static_cast<double>(out[m].count) / key.size() * std::abs(out[m].accuracy - out[m].mean);
  }
  return out;
}
constexpr int kConsistencyReplicates = 1000;

void consistency_resampling(const std::vector<double>& conf, int bins, CalibrationReport& r) {
  // A fixed seed: the reference is a property of the confidences, and reports
  // of the same predictions must agree.
  auto rng = make_rng(0xECE, 0);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<double> right(conf.size()), null(kConsistencyReplicates);
  for (auto& e : null) {
    for (std::size_t n = 0; n < conf.size(); ++n) right[n] = unit(rng) < conf[n] ? 1.0 : 0.0;
    binned(conf, right, bins, e);
    r.ece_calibrated_mean += e / kConsistencyReplicates;
  }
  std::sort(null.begin(), null.end());
  r.ece_calibrated_q95 = null[static_cast<std::size_t>(0.95 * (kConsistencyReplicates - 1))];
  auto as_far = null.end() - std::lower_bound(null.begin(), null.end(), r.ece - 1e-12);
  r.ece_p_value = static_cast<double>(as_far) / kConsistencyReplicates;
}
}  // namespace

ImagePrediction image_prediction(const std::vector<double>& probs, int K, std::int64_t N, int C, std::int64_t n) {
  ImagePrediction ip;
  ip.mean.assign(C, 0.0);
  ip.std.assign(C, 0.0);
  auto sample = [&](int k) { return probs.data() + (static_cast<std::size_t>(k) * N + n) * C; };
  double mean_h = 0;
  for (int k = 0; k < K; ++k) {
    for (int c = 0; c < C; ++c) ip.mean[c] += sample(k)[c] / K;
    mean_h += entropy_of(sample(k), C) / K;
  }
  ip.predicted = static_cast<int>(std::max_element(ip.mean.begin(), ip.mean.end()) - ip.mean.begin());
  int agree = 0;
  for (int k = 0; k < K; ++k) {
    const double* p = sample(k);
    for (int c = 0; c < C; ++c) ip.std[c] += (p[c] - ip.mean[c]) * (p[c] - ip.mean[c]) / std::max(1, K - 1);
    agree += std::max_element(p, p + C) - p == ip.predicted;
  }
  for (auto& s : ip.std) s = std::sqrt(s);
  ip.entropy = entropy_of(ip.mean.data(), C);
  ip.mutual_information = std::max(0.0, ip.entropy - mean_h);
  ip.agreement = static_cast<double>(agree) / K;
  return ip;
}

CalibrationReport calibration_report(const std::vector<double>& probs, int K, std::int64_t N, int C,
                                     const std::vector<int>& labels, int bins) {
  if (K < 1 || N < 1 || C < 2 || bins < 1)
    throw UsageError(fmt::format("calibration needs K ≥ 1, N ≥ 1, C ≥ 2, bins ≥ 1 (got {}, {}, {}, {})", K, N, C, bins));
  if (probs.size() != static_cast<std::size_t>(K) * N * C || labels.size() != static_cast<std::size_t>(N))
    throw UsageError("calibration_report: probs must be [K][N][C] and labels [N]");
  CalibrationReport r;
  r.n = N;
  r.n_classes = C;
  r.n_samples = K;
  r.confusion.assign(C, std::vector<std::int64_t>(C, 0));
  std::vector<double> conf(N), correct(N), unc(N), err(N);
  const double log_c = std::log(static_cast<double>(C));
  for (std::int64_t n = 0; n < N; ++n) {
    int y = labels[n];
    if (y < 0 || y >= C) throw DataError(fmt::format("label {} of example {} outside 0..{}", y, n, C - 1));
    const auto ip = image_prediction(probs, K, N, C, n);
    const auto& pbar = ip.mean;
    r.confusion[y][ip.predicted]++;
    conf[n] = pbar[ip.predicted];
    correct[n] = ip.predicted == y;
    err[n] = 1.0 - correct[n];
    unc[n] = std::clamp(ip.entropy / log_c, 0.0, 1.0);
    r.accuracy += correct[n] / N;
    r.nll += -std::log(std::max(pbar[y], 1e-12)) / N;
    double b = 0;
    for (int c = 0; c < C; ++c) b += (pbar[c] - (c == y)) * (pbar[c] - (c == y));
    r.brier += b / N;
    r.entropy += ip.entropy / N;
    r.mutual_information += ip.mutual_information / N;
  }
  r.reliability = binned(conf, correct, bins, r.ece);
  r.uncertainty = binned(unc, err, bins, r.uce);
  consistency_resampling(conf, bins, r);
  return r;
}

nlohmann::json CalibrationReport::to_json() const {
  auto bins_json = [](const std::vector<CalibrationBin>& b, const char* what, const char* mean) {
    nlohmann::json a = nlohmann::json::array();
    for (auto& x : b) a.push_back({{"lo", x.lo}, {"hi", x.hi}, {"count", x.count}, {what, x.accuracy}, {mean, x.mean}});
    return a;
  };
  return {{"n", n},
          {"n_classes", n_classes},
          {"posterior_samples", n_samples},
          {"accuracy", accuracy},
          {"error", 1.0 - accuracy},
          {"nll", nll},
          {"brier", brier},
          {"ece", ece},
          {"uce", uce},
          {"ece_bins", reliability.size()},
          {"ece_if_calibrated",
           {{"about", "ECE of a calibrated model with these confidences (1000 consistency resamples): mean, 95 % "
                      "point; p_value = fraction at least as large as the observed ECE"},
            {"mean", ece_calibrated_mean},
            {"q95", ece_calibrated_q95},
            {"p_value", ece_p_value}}},
          {"predictive_entropy", entropy},
          {"mutual_information", mutual_information},
          {"confusion_matrix", confusion},
          {"reliability", bins_json(reliability, "accuracy", "confidence")},
          {"uncertainty_calibration", bins_json(uncertainty, "error", "normalised_entropy")}};
}

}  // namespace penumbra
