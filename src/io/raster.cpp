#include "src/io/raster.hpp"

#include <fmt/format.h>
#include <png.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "src/core/errors.hpp"
#include "src/core/run_folder.hpp"
#include "src/io/bitmap_font.hpp"

namespace penumbra {

Canvas::Canvas(int width, int height, Rgb background) : width_(width), height_(height) {
  if (width <= 0 || height <= 0 || width > 32768 || height > 32768)
    throw UsageError(fmt::format("figure size {}x{} pixels is out of range (1..32768)", width, height));
  reset_clip();
  rgb_.resize(static_cast<std::size_t>(width) * height * 3);
  for (std::size_t k = 0; k < rgb_.size(); k += 3) {
    rgb_[k] = background.r;
    rgb_[k + 1] = background.g;
    rgb_[k + 2] = background.b;
  }
}

Rgb Canvas::get(int x, int y) const {
  if (x < 0 || y < 0 || x >= width_ || y >= height_) return {};
  std::size_t k = (static_cast<std::size_t>(y) * width_ + x) * 3;
  return {rgb_[k], rgb_[k + 1], rgb_[k + 2]};
}

void Canvas::set(int x, int y, Rgb c) {
  if (x < clip_x0_ || y < clip_y0_ || x >= clip_x1_ || y >= clip_y1_) return;
  std::size_t k = (static_cast<std::size_t>(y) * width_ + x) * 3;
  rgb_[k] = c.r;
  rgb_[k + 1] = c.g;
  rgb_[k + 2] = c.b;
}

void Canvas::fill_rect(int x, int y, int w, int h, Rgb c) {
  int x0 = std::max(x, clip_x0_), y0 = std::max(y, clip_y0_);
  int x1 = std::min(x + w, clip_x1_), y1 = std::min(y + h, clip_y1_);
  for (int yy = y0; yy < y1; ++yy)
    for (int xx = x0; xx < x1; ++xx) set(xx, yy, c);
}

void Canvas::frame(int x, int y, int w, int h, Rgb c, int thickness) {
  fill_rect(x, y, w, thickness, c);
  fill_rect(x, y + h - thickness, w, thickness, c);
  fill_rect(x, y, thickness, h, c);
  fill_rect(x + w - thickness, y, thickness, h, c);
}

void Canvas::set_clip(int x, int y, int w, int h) {
  clip_x0_ = std::max(0, x);
  clip_y0_ = std::max(0, y);
  clip_x1_ = std::min(width_, x + w);
  clip_y1_ = std::min(height_, y + h);
}

void Canvas::reset_clip() {
  clip_x0_ = clip_y0_ = 0;
  clip_x1_ = width_;
  clip_y1_ = height_;
}

void Canvas::line(double x0, double y0, double x1, double y1, Rgb c, int thickness, double dash, double* phase) {
  if (!std::isfinite(x0) || !std::isfinite(y0) || !std::isfinite(x1) || !std::isfinite(y1)) return;
  // Far-away endpoints (a log axis near zero, a huge outlier) would make the
  // stamping loop below enormous: clamp the segment to a box around the canvas.
  const double lim = 4.0 * std::max(width_, height_);
  auto clamp_segment = [&](double& ax, double& ay, double bx, double by) {
    double t = 1;
    auto limit = [&](double a, double b) {
      if (std::abs(a) > lim && a != b) t = std::min(t, std::clamp((std::copysign(lim, a) - b) / (a - b), 0.0, 1.0));
    };
    limit(ax, bx);
    limit(ay, by);
    ax = bx + t * (ax - bx);
    ay = by + t * (ay - by);
  };
  clamp_segment(x0, y0, x1, y1);
  clamp_segment(x1, y1, x0, y0);
  double len = std::hypot(x1 - x0, y1 - y0);
  // Stamp a thickness × thickness square every half pixel along the segment.
  int steps = std::max(1, static_cast<int>(std::ceil(2 * len)));
  int lo = -(thickness - 1) / 2, hi = thickness / 2;
  double start = phase ? *phase : 0.0;
  double period = 1.5 * dash;
  for (int s = 0; s <= steps; ++s) {
    double f = static_cast<double>(s) / steps;
    if (dash > 0 && std::fmod(start + f * len, period) >= dash) continue;
    int px = static_cast<int>(std::lround(x0 + f * (x1 - x0)));
    int py = static_cast<int>(std::lround(y0 + f * (y1 - y0)));
    for (int dy = lo; dy <= hi; ++dy)
      for (int dx = lo; dx <= hi; ++dx) set(px + dx, py + dy, c);
  }
  if (phase) *phase = start + len;
}

int text_height(int scale) { return font::kLineHeight * scale; }

void Canvas::text(int x, int y, const std::string& s, Rgb c, int scale, Align h, Align v) {
  auto cps = font::decode_utf8(s);
  int w = font::text_width(s, scale);
  if (h == Align::kCentre) x -= w / 2;
  if (h == Align::kEnd) x -= w;
  // Centre on the capital height so that digits sit visually in the middle.
  if (v == Align::kCentre) y -= (font::kAscent * scale) / 2;
  if (v == Align::kEnd) y -= font::kLineHeight * scale;
  for (char32_t cp : cps) {
    const std::uint8_t* rows = font::glyph(cp);
    if (!rows) rows = font::glyph(U'?');
    for (int r = 0; r < font::kGlyphHeight; ++r)
      for (int col = 0; col < font::kGlyphWidth; ++col)
        if (rows[r] & (1u << (font::kGlyphWidth - 1 - col))) fill_rect(x + col * scale, y + r * scale, scale, scale, c);
    x += font::kAdvance * scale;
  }
}

void Canvas::text_vertical(int x, int y, const std::string& s, Rgb c, int scale) {
  auto cps = font::decode_utf8(s);
  int w = font::text_width(s, scale);
  // Horizontal layout pixel (gx, gy) goes to (x0 + gy, y0 + w − 1 − gx).
  int x0 = x - (font::kAscent * scale) / 2, y0 = y - w / 2;
  int gx = 0;
  for (char32_t cp : cps) {
    const std::uint8_t* rows = font::glyph(cp);
    if (!rows) rows = font::glyph(U'?');
    for (int r = 0; r < font::kGlyphHeight; ++r)
      for (int col = 0; col < font::kGlyphWidth; ++col)
        if (rows[r] & (1u << (font::kGlyphWidth - 1 - col)))
          fill_rect(x0 + r * scale, y0 + w - (gx + col + 1) * scale, scale, scale, c);
    gx += font::kAdvance;
  }
}

void Canvas::write_png(const std::filesystem::path& path) const {
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  write_atomic(path, [&](const std::filesystem::path& tmp) {
    png_image img;
    std::memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    img.width = static_cast<png_uint_32>(width_);
    img.height = static_cast<png_uint_32>(height_);
    img.format = PNG_FORMAT_RGB;
    if (!png_image_write_to_file(&img, tmp.c_str(), 0, rgb_.data(), 0, nullptr)) {
      std::string msg = img.message;
      png_image_free(&img);
      throw DataError(fmt::format("cannot write PNG {}: {}", path.string(), msg));
    }
  });
}

std::string fit_text(const std::string& s, int max_width, int scale) {
  if (font::text_width(s, scale) <= max_width) return s;
  auto cps = font::decode_utf8(s);
  int fit = max_width / (font::kAdvance * scale) - 3;
  if (fit <= 0) return "";
  // Re-encode the kept code points as UTF-8.
  std::string out;
  for (int k = 0; k < fit && k < static_cast<int>(cps.size()); ++k) {
    char32_t cp = cps[k];
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  return out + "...";
}

std::vector<double> nice_ticks(double lo, double hi, int target) {
  std::vector<double> ticks;
  if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi) || target < 1) return ticks;
  double raw = (hi - lo) / target;
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10 * mag;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (m * mag >= raw * (1 - 1e-12)) {
      step = m * mag;
      break;
    }
  double first = std::ceil(lo / step - 1e-9) * step;
  for (int k = 0; k < 1000; ++k) {
    double t = first + k * step;
    if (t > hi + 1e-9 * step) break;
    if (std::abs(t) < 1e-9 * step) t = 0;  // no "-1.7e-17" labels
    ticks.push_back(t);
  }
  return ticks;
}

std::vector<double> log_ticks(double lo, double hi) {
  std::vector<double> ticks;
  if (!(lo > 0) || !(hi > lo) || !std::isfinite(hi)) return ticks;
  int e0 = static_cast<int>(std::floor(std::log10(lo))), e1 = static_cast<int>(std::ceil(std::log10(hi)));
  double decades = std::log10(hi / lo);
  int every = decades > 10 ? static_cast<int>(std::ceil(decades / 8)) : 1;
  std::vector<double> mult = decades < 3 ? std::vector<double>{1, 2, 5} : std::vector<double>{1};
  for (int e = e0; e <= e1; ++e) {
    if ((e - e0) % every) continue;
    for (double m : mult) {
      double t = m * std::pow(10.0, e);
      if (t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9)) ticks.push_back(t);
    }
  }
  // Less than a decade and no 1-2-5 value inside: fall back to linear ticks.
  if (ticks.size() < 2) return nice_ticks(lo, hi, 4);
  return ticks;
}

namespace {
// Decimals needed to write `step` (a 1-2-2.5-5 value) exactly.
int decimals_for(double step) {
  step = std::abs(step);
  for (int d = 0; d < 12; ++d) {
    double s = step * std::pow(10.0, d);
    if (std::abs(s - std::round(s)) < 1e-6 * std::max(1.0, s)) return d;
  }
  return 12;
}
}  // namespace

std::string tick_label(double v, double step) {
  step = std::abs(step);
  if (step == 0 || !std::isfinite(step)) step = std::abs(v);
  if (std::abs(v) < 1e-9 * step || v == 0) return "0";
  double mag = std::max(std::abs(v), step);
  if (mag >= 1e5 || mag < 1e-3) {
    int e = static_cast<int>(std::floor(std::log10(std::abs(v)) + 1e-12));
    int digits = std::min(decimals_for(step / std::pow(10.0, e)), 6);
    std::string s = fmt::format("{:.{}e}", v, digits);
    // "1.5e-05" → "1.5e-5", "2e+06" → "2e6".
    auto k = s.find('e');
    std::string mant = s.substr(0, k), ex = s.substr(k + 1);
    bool neg = ex[0] == '-';
    ex = ex.substr(1);
    while (ex.size() > 1 && ex[0] == '0') ex.erase(0, 1);
    return mant + "e" + (neg ? "-" : "") + ex;
  }
  std::string s = fmt::format("{:.{}f}", v, decimals_for(step));
  if (s == "-0") s = "0";
  return s;
}

}  // namespace penumbra
