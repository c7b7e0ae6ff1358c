#include "src/pipelines/human_doubt.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/rng.hpp"
#include "src/core/statistics.hpp"

namespace penumbra {

namespace {

std::int64_t group_size(const PredictedGroup& g, int K, int C, const std::string& name) {
  const auto N = static_cast<std::int64_t>(g.labels.size());
  if (N == 0) throw UsageError(fmt::format("human-doubt report: no {} images", name));
  if (g.probs.size() != static_cast<std::size_t>(K) * N * C)
    throw UsageError(fmt::format("human-doubt report: {} probabilities for {} {} images, K = {}, C = {}",
                                 g.probs.size(), N, name, K, C));
  return N;
}

std::vector<double> image_entropies(const PredictedGroup& g, int K, std::int64_t N, int C) {
  std::vector<double> h(static_cast<std::size_t>(N));
  for (std::int64_t n = 0; n < N; ++n) h[n] = image_prediction(g.probs, K, N, C, n).entropy;
  return h;
}

// [K][Na][C] and [K][Nb][C] → [K][Na+Nb][C].
PredictedGroup concatenate(const PredictedGroup& a, const PredictedGroup& b, int K, int C) {
  PredictedGroup out;
  out.labels = a.labels;
  out.labels.insert(out.labels.end(), b.labels.begin(), b.labels.end());
  const auto ra = a.labels.size() * C, rb = b.labels.size() * C;
  for (int k = 0; k < K; ++k) {
    out.probs.insert(out.probs.end(), a.probs.begin() + k * ra, a.probs.begin() + (k + 1) * ra);
    out.probs.insert(out.probs.end(), b.probs.begin() + k * rb, b.probs.begin() + (k + 1) * rb);
  }
  return out;
}

double resampled_mean(const std::vector<double>& v, Rng& rng) {
  std::uniform_int_distribution<std::size_t> pick(0, v.size() - 1);
  double s = 0;
  for (std::size_t i = 0; i < v.size(); ++i) s += v[pick(rng)];
  return s / static_cast<double>(v.size());
}

double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const auto hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

}  // namespace

DoubtReport doubt_report(const PredictedGroup& confident, const PredictedGroup& uncertain, int K, int C,
                         int replicates, double level, std::uint64_t seed) {
  require_at_least("posterior samples", K, 1);
  require_at_least("classes", C, 2);
  require_at_least("bootstrap replicates", replicates, 2);
  if (!(level > 0 && level < 1)) fail_check("interval level", "in (0, 1)", level);
  const auto Nc = group_size(confident, K, C, "Confident"), Nu = group_size(uncertain, K, C, "Uncertain");
  DoubtReport r;
  r.confident = calibration_report(confident.probs, K, Nc, C, confident.labels);
  r.uncertain = calibration_report(uncertain.probs, K, Nu, C, uncertain.labels);
  const auto both = concatenate(confident, uncertain, K, C);
  r.both = calibration_report(both.probs, K, Nc + Nu, C, both.labels);
  const auto hc = image_entropies(confident, K, Nc, C), hu = image_entropies(uncertain, K, Nu, C);
  r.entropy_ratio = mean(hu) / mean(hc);
  auto rng = make_rng(seed, 0xD0B7);
  std::vector<double> ratios(static_cast<std::size_t>(replicates));
  for (auto& x : ratios) {
    const double u = resampled_mean(hu, rng);
    x = u / resampled_mean(hc, rng);
  }
  r.ratio_lower = quantile(ratios, (1 - level) / 2);
  r.ratio_upper = quantile(ratios, (1 + level) / 2);
  r.level = level;
  r.replicates = replicates;
  return r;
}

nlohmann::json DoubtReport::to_json() const {
  const auto group = [](const CalibrationReport& c) {
    return nlohmann::json{{"n", c.n},     {"accuracy", c.accuracy}, {"nll", c.nll},
                          {"ece", c.ece}, {"entropy", c.entropy},   {"mutual_information", c.mutual_information}};
  };
  return {{"confident", group(confident)},
          {"uncertain", group(uncertain)},
          {"both", group(both)},
          {"entropy_ratio", entropy_ratio},
          {"entropy_ratio_interval", {ratio_lower, ratio_upper}},
          {"level", level},
          {"replicates", replicates}};
}

std::string doubt_csv(const DoubtReport& r) {
  std::string csv = "group,n,accuracy,nll,ece,entropy,mutual_information\n";
  for (const auto& [name, c] : {std::pair<const char*, const CalibrationReport*>{"confident", &r.confident},
                                {"uncertain", &r.uncertain},
                                {"both", &r.both}})
    csv += fmt::format("{},{},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f}\n", name, c->n, c->accuracy, c->nll, c->ece,
                       c->entropy, c->mutual_information);
  return csv;
}

}  // namespace penumbra
