#pragma once
// Summary statistics of a list of numbers, for the CLI's reports.
#include <cmath>
#include <vector>

namespace penumbra {

inline double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0.0 : s / static_cast<double>(v.size());
}

// Sample standard deviation (n − 1); 0 for fewer than two values.
inline double sample_stdev(const std::vector<double>& v) {
  if (v.size() < 2) return 0.0;
  double m = mean(v), s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size() - 1));
}

}  // namespace penumbra
