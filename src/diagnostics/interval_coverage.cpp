#include "src/diagnostics/interval_coverage.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "src/core/errors.hpp"

namespace penumbra {

double rank_interval_coverage(std::size_t below, std::size_t ties, std::size_t k, double level) {
  const double cells = static_cast<double>(k) + 1.0;
  const double lo = static_cast<double>(below) / cells, hi = static_cast<double>(below + ties + 1) / cells;
  const double overlap = std::min(hi, 0.5 + 0.5 * level) - std::max(lo, 0.5 - 0.5 * level);
  return std::max(overlap, 0.0) / (hi - lo);
}

namespace {
template <typename T>
double coverage_of(const T* samples, std::size_t k, std::size_t stride, double truth, double level) {
  std::size_t below = 0, ties = 0;
  for (std::size_t i = 0; i < k; ++i) {
    const double s = samples[i * stride];
    below += s < truth;
    ties += s == truth;
  }
  return rank_interval_coverage(below, ties, k, level);
}
}  // namespace

double rank_interval_coverage(const float* samples, std::size_t k, std::size_t stride, double truth, double level) {
  return coverage_of(samples, k, stride, truth, level);
}

double rank_interval_coverage(const double* samples, std::size_t k, std::size_t stride, double truth, double level) {
  return coverage_of(samples, k, stride, truth, level);
}

void require_credible_level(double level) {
  if (!(level > 0 && level < 1)) throw UsageError(fmt::format("credible level {} must be in (0, 1)", level));
}

}  // namespace penumbra
