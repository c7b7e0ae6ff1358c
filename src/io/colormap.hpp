#pragma once
// Colour maps for figures, tabulated at a handful of anchor colours and
// interpolated linearly in sRGB. Anchors: inferno and viridis at t = 0, 0.1,
// …, 1 from their published definitions (van der Walt & Smith, matplotlib
// 1.5 / 2.0); coolwarm at t = 0, 0.125, …, 1 from Moreland's diverging map
// (2009); grey is linear black → white. With 11 anchors the interpolated
// maps differ from the 256-entry originals by at most a few levels of 255.
#include <cstdint>
#include <string>

#include "src/io/png.hpp"

namespace penumbra {

struct Rgb {
  std::uint8_t r = 0, g = 0, b = 0;
  friend bool operator==(const Rgb&, const Rgb&) = default;
};

// NaN / Inf pixels: magenta, which none of the maps contains.
inline constexpr Rgb kFlagColour{255, 0, 255};

// Colour of t ∈ [0, 1] (clamped); non-finite t → kFlagColour.
Rgb colormap_rgb(ColorMap map, double t);
// Name as users type it ("inferno", "viridis", "grey", "coolwarm").
const char* colormap_name(ColorMap map);
// Parses a name (also "gray"); throws UsageError naming the text and the choices.
ColorMap parse_colormap(const std::string& name);

}  // namespace penumbra
