#pragma once
// The bitmap font of Penumbra's figures: 5×9 glyphs (7 rows above the
// baseline, 2 of descender) drawn in a 6×10 cell, scaled by whole pixels.
// Covers ASCII 32–126 and a few symbols (° ± ² · × Δ α β δ θ λ μ π σ χ −);
// anything else is drawn as '?'.
#include <cstdint>
#include <string>

namespace penumbra::font {

inline constexpr int kGlyphWidth = 5;
inline constexpr int kGlyphHeight = 9;
inline constexpr int kAscent = 7;      // rows above the baseline
inline constexpr int kAdvance = 6;     // horizontal cell, pixels at scale 1
inline constexpr int kLineHeight = 10;  // vertical cell, pixels at scale 1

// The glyph's kGlyphHeight row bitmaps (bit 4 = leftmost column), or nullptr.
const std::uint8_t* glyph(char32_t code);
// UTF-8 → code points; malformed bytes become '?'.
std::u32string decode_utf8(const std::string& text);
// Width in pixels of `text` drawn at `scale` (no trailing gap).
int text_width(const std::string& text, int scale);

}  // namespace penumbra::font
