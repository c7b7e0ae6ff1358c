#include "src/diagnostics/attention_concentration.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "src/core/errors.hpp"

namespace penumbra {

namespace {
double median_of(std::vector<double> v) {
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  if (v.size() % 2 == 1) return *mid;
  return 0.5 * (*mid + *std::max_element(v.begin(), mid));
}
}  // namespace

std::vector<std::uint8_t> source_mask(std::span<const double> image, double k_sigma) {
  if (image.empty()) throw UsageError("source mask: empty image");
  const double med = median_of({image.begin(), image.end()});
  std::vector<double> dev(image.size());
  std::transform(image.begin(), image.end(), dev.begin(), [med](double v) { return std::abs(v - med); });
  const double threshold = med + k_sigma * 1.4826 * median_of(std::move(dev));
  std::vector<std::uint8_t> mask(image.size());
  std::transform(image.begin(), image.end(), mask.begin(),
                 [threshold](double v) { return v > threshold ? 1 : 0; });
  return mask;
}

AttentionConcentration attention_concentration(std::span<const double> map,
                                               std::span<const std::uint8_t> mask) {
  if (map.size() != mask.size())
    throw UsageError(fmt::format("attention map has {} pixels, the source mask {}", map.size(), mask.size()));
  double total = 0, inside = 0;
  std::size_t in_mask = 0;
  for (std::size_t i = 0; i < map.size(); ++i) {
    if (!(map[i] >= 0) || !std::isfinite(map[i]))
      throw UsageError(fmt::format("attention map must be finite and ≥ 0, got {} at pixel {}", map[i], i));
    total += map[i];
    if (mask[i]) {
      inside += map[i];
      ++in_mask;
    }
  }
  if (!(total > 0)) throw UsageError("attention map has no mass (all zero)");
  AttentionConcentration c;
  c.mass_in_source = inside / total;
  c.source_fraction = static_cast<double>(in_mask) / static_cast<double>(map.size());
  double h = 0;
  for (double a : map)
    if (a > 0) h -= a / total * std::log(a / total);
  c.entropy = map.size() > 1 ? h / std::log(static_cast<double>(map.size())) : 0.0;
  return c;
}

}  // namespace penumbra
