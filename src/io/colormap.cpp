#include "src/io/colormap.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <span>

#include "src/core/errors.hpp"

namespace penumbra {

namespace {

// Equally spaced anchors from t = 0 to t = 1.
constexpr Rgb kInferno[] = {{0, 0, 4},      {22, 11, 57},   {66, 10, 104},  {106, 23, 110},
                            {147, 38, 103}, {188, 55, 84},  {221, 81, 58},  {243, 120, 25},
                            {252, 165, 10}, {246, 215, 70}, {252, 255, 164}};
constexpr Rgb kViridis[] = {{68, 1, 84},    {72, 37, 118},  {65, 68, 135},  {53, 96, 141},
                            {42, 120, 142}, {33, 144, 140}, {34, 168, 132}, {67, 191, 113},
                            {122, 209, 81}, {187, 223, 39}, {253, 231, 37}};
constexpr Rgb kCoolwarm[] = {{59, 76, 192},   {98, 130, 234}, {141, 176, 254}, {184, 208, 249}, {221, 221, 221},
                             {245, 196, 173}, {244, 154, 123}, {222, 96, 77},  {180, 4, 38}};
constexpr Rgb kGrey[] = {{0, 0, 0}, {255, 255, 255}};

std::span<const Rgb> anchors(ColorMap map) {
  switch (map) {
    case ColorMap::kInferno: return kInferno;
    case ColorMap::kViridis: return kViridis;
    case ColorMap::kCoolwarm: return kCoolwarm;
    case ColorMap::kGrey: return kGrey;
  }
  return kGrey;
}

}  // namespace

Rgb colormap_rgb(ColorMap map, double t) {
  if (!std::isfinite(t)) return kFlagColour;
  t = std::clamp(t, 0.0, 1.0);
  auto a = anchors(map);
  double pos = t * static_cast<double>(a.size() - 1);
  std::size_t k = std::min(static_cast<std::size_t>(pos), a.size() - 2);
  double f = pos - static_cast<double>(k);
  auto mix = [f](std::uint8_t lo, std::uint8_t hi) {
    return static_cast<std::uint8_t>(std::lround(lo + f * (static_cast<double>(hi) - lo)));
  };
  return {mix(a[k].r, a[k + 1].r), mix(a[k].g, a[k + 1].g), mix(a[k].b, a[k + 1].b)};
}

const char* colormap_name(ColorMap map) {
  switch (map) {
    case ColorMap::kInferno: return "inferno";
    case ColorMap::kViridis: return "viridis";
    case ColorMap::kCoolwarm: return "coolwarm";
    case ColorMap::kGrey: return "grey";
  }
  return "?";
}

ColorMap parse_colormap(const std::string& name) {
  if (name == "inferno") return ColorMap::kInferno;
  if (name == "viridis") return ColorMap::kViridis;
  if (name == "coolwarm") return ColorMap::kCoolwarm;
  if (name == "grey" || name == "gray") return ColorMap::kGrey;
  throw UsageError(fmt::format("unknown colour map '{}', expected inferno, viridis, grey or coolwarm", name));
}

}  // namespace penumbra
