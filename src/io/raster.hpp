#pragma once
// A small RGB canvas for Penumbra's figures: filled rectangles, thick and
// dashed lines, text in the built-in bitmap font, and PNG output (libpng).
// Coordinates are pixels, x to the right, y downwards, (0, 0) top left.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "src/io/colormap.hpp"

namespace penumbra {

inline constexpr Rgb kWhite{255, 255, 255};
inline constexpr Rgb kBlack{0, 0, 0};

class Canvas {
 public:
  Canvas(int width, int height, Rgb background = kWhite);
  int width() const { return width_; }
  int height() const { return height_; }
  const std::vector<std::uint8_t>& rgb() const { return rgb_; }  // [y][x][3]

  Rgb get(int x, int y) const;
  void set(int x, int y, Rgb c);  // ignored outside the canvas or the clip rectangle
  void fill_rect(int x, int y, int w, int h, Rgb c);
  void frame(int x, int y, int w, int h, Rgb c, int thickness = 1);  // outline inside the rectangle

  // Drawing is limited to this rectangle until reset_clip().
  void set_clip(int x, int y, int w, int h);
  void reset_clip();

  // Thick line; `dash` > 0 draws dashes of `dash` pixels with gaps of dash/2
  // (`phase` carries the pattern across the segments of a polyline).
  void line(double x0, double y0, double x1, double y1, Rgb c, int thickness = 1, double dash = 0,
            double* phase = nullptr);

  enum class Align { kStart, kCentre, kEnd };
  // Text at `scale` whole pixels per font pixel. Horizontally `h` places x at
  // the start / centre / end; vertically `v` places y at the top of the cell /
  // its middle / the bottom of the cell.
  void text(int x, int y, const std::string& s, Rgb c, int scale = 1, Align h = Align::kStart,
            Align v = Align::kStart);
  // Text rotated 90° counter-clockwise (reads bottom to top), centred on (x, y).
  void text_vertical(int x, int y, const std::string& s, Rgb c, int scale = 1);

  // Writes an 8-bit RGB PNG via `path.tmp` + rename.
  void write_png(const std::filesystem::path& path) const;

 private:
  int width_, height_;
  int clip_x0_, clip_y0_, clip_x1_, clip_y1_;  // half-open
  std::vector<std::uint8_t> rgb_;
};

// Text height in pixels of one line at `scale` (the font cell).
int text_height(int scale);
// `s` shortened with "..." so that it fits in `max_width` pixels at `scale`.
std::string fit_text(const std::string& s, int max_width, int scale);

// Axis ticks at "nice" values (1, 2, 2.5, 5 × 10^k) inside [lo, hi], about
// `target` of them. lo < hi required.
std::vector<double> nice_ticks(double lo, double hi, int target);
// Ticks for a log axis on [lo, hi] (lo > 0): decades, with 2 and 5 in
// between when the range spans fewer than three decades.
std::vector<double> log_ticks(double lo, double hi);
// A short label for tick value `v` on an axis whose ticks are `step` apart
// (fixed notation for moderate values, "1.5e-5" style otherwise).
std::string tick_label(double v, double step);

}  // namespace penumbra
