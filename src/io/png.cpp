#include "src/io/png.hpp"

#include <fmt/format.h>
#include <png.h>

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <limits>

#include "src/core/errors.hpp"
#include "src/io/bitmap_font.hpp"
#include "src/io/colormap.hpp"
#include "src/io/raster.hpp"

namespace penumbra {

namespace {

constexpr int kTextScale = 2;           // every label: 10×18-pixel glyphs
constexpr int kPad = 16;                // outer margin
constexpr int kBarWidth = 20;           // colour bar
constexpr int kTick = 5;                // tick mark length
constexpr int kSingleImageSide = 512;   // target display size of one image
constexpr int kPanelImageSide = 256;    // … of each image in a panel grid
constexpr Rgb kAxisColour{40, 40, 40};
constexpr Rgb kGridColour{225, 225, 225};
constexpr Rgb kTextColour{0, 0, 0};

// Distinct series colours (the "category 10" palette of Vega/d3).
constexpr Rgb kSeriesColours[] = {{31, 119, 180}, {255, 127, 14}, {44, 160, 44},  {214, 39, 40},  {148, 103, 189},
                                  {140, 86, 75},  {227, 119, 194}, {127, 127, 127}, {188, 189, 34}, {23, 190, 207}};

int th() { return text_height(kTextScale); }

// ---------------------------------------------------------------- images --

struct ImageGeometry {
  int disp_w = 0, disp_h = 0;  // displayed image size, pixels
  int width = 0, height = 0;   // whole panel
  int img_x = 0, img_y = 0;    // image box origin inside the panel
  int bar_x = 0, bar_h = 0;    // colour bar origin (same top as the image) and height
  int labels_x = 0;            // tick labels start
  int cbar_label_x = 0;        // centre of the vertical colour-bar label
  double vmin = 0, vmax = 1;
  std::vector<double> ticks;
  std::vector<std::string> tick_labels;
};

void check_panel(const ImagePanel& p, const std::string& where) {
  if (p.nx <= 0 || p.ny <= 0)
    throw UsageError(fmt::format("{}: image '{}' has size {}x{}, expected positive", where, p.title, p.nx, p.ny));
  if (p.pixels.size() != static_cast<std::size_t>(p.nx) * p.ny)
    throw UsageError(fmt::format("{}: image '{}' has {} pixels, {}x{} needs {}", where, p.title, p.pixels.size(), p.nx,
                                 p.ny, static_cast<std::size_t>(p.nx) * p.ny));
  if (p.vmin && p.vmax && !(*p.vmin < *p.vmax))
    throw UsageError(fmt::format("{}: image '{}' has vmin {} not below vmax {}", where, p.title, *p.vmin, *p.vmax));
}

// The colour scale: data range of the finite pixels (symmetric about 0 for
// the diverging map), overridden by vmin / vmax, never empty.
void value_range(const ImagePanel& p, double* lo, double* hi) {
  double mn = std::numeric_limits<double>::infinity(), mx = -mn;
  for (double v : p.pixels)
    if (std::isfinite(v)) {
      mn = std::min(mn, v);
      mx = std::max(mx, v);
    }
  if (!(mn <= mx)) mn = 0, mx = 1;  // nothing finite: any range will do, all pixels are flagged
  if (p.cmap == ColorMap::kCoolwarm && !p.vmin && !p.vmax) {
    double a = std::max(std::abs(mn), std::abs(mx));
    mn = -a;
    mx = a;
  }
  if (p.vmin) mn = *p.vmin;
  if (p.vmax) mx = *p.vmax;
  if (!(mx > mn)) {
    double d = mn != 0 ? 0.1 * std::abs(mn) : 1.0;
    if (p.vmin && !p.vmax) mx = mn + d;
    else if (p.vmax && !p.vmin) mn = mx - d;
    else mn -= d, mx += d;
  }
  *lo = mn;
  *hi = mx;
}

ImageGeometry image_geometry(const ImagePanel& p, int target) {
  ImageGeometry g;
  int nmax = std::max(p.nx, p.ny);
  if (nmax <= target) {
    int k = std::max(1, target / nmax);  // nearest-neighbour upscaling by a whole factor
    g.disp_w = p.nx * k;
    g.disp_h = p.ny * k;
  } else if (nmax <= 2 * target) {
    g.disp_w = p.nx;
    g.disp_h = p.ny;
  } else {
    int s = (nmax + 2 * target - 1) / (2 * target);  // keep every s-th pixel
    g.disp_w = (p.nx + s - 1) / s;
    g.disp_h = (p.ny + s - 1) / s;
  }
  value_range(p, &g.vmin, &g.vmax);
  // A very flat image still gets a colour bar tall enough for its labels.
  g.bar_h = std::max(g.disp_h, 160);
  g.ticks = nice_ticks(g.vmin, g.vmax, std::clamp(g.bar_h / 60, 2, 5));
  double step = g.ticks.size() > 1 ? g.ticks[1] - g.ticks[0] : g.vmax - g.vmin;
  int label_w = 0;
  for (double t : g.ticks) {
    g.tick_labels.push_back(tick_label(t, step));
    label_w = std::max(label_w, font::text_width(g.tick_labels.back(), kTextScale));
  }
  g.img_x = kPad;
  g.img_y = p.title.empty() ? kPad : kPad + th() + 6;
  g.bar_x = g.img_x + g.disp_w + 14;
  g.labels_x = g.bar_x + kBarWidth + kTick + 4;
  int right = g.labels_x + label_w;
  if (!p.colorbar_label.empty()) {
    g.cbar_label_x = right + 10 + th() / 2;
    right = g.cbar_label_x + th() / 2;
  }
  g.width = right + kPad;
  // Room for half a tick label below the bar's bottom tick.
  g.height = g.img_y + g.bar_h + kPad + th() / 2;
  return g;
}

void draw_image_panel(Canvas& c, int ox, int oy, const ImagePanel& p, const ImageGeometry& g, int cell_w) {
  if (!p.title.empty()) {
    // Centred over the image, but kept inside the cell when it is wider than the image.
    std::string title = fit_text(p.title, cell_w - 2 * kPad, kTextScale);
    int tw = font::text_width(title, kTextScale);
    int cx = std::clamp(ox + g.img_x + g.disp_w / 2, ox + kPad + tw / 2, std::max(ox + kPad + tw / 2, ox + cell_w - kPad - tw / 2));
    c.text(cx, oy + kPad, title, kTextColour, kTextScale, Canvas::Align::kCentre);
  }
  const double span = g.vmax - g.vmin;
  const int x0 = ox + g.img_x, y0 = oy + g.img_y;
  for (int Y = 0; Y < g.disp_h; ++Y) {
    // North up: the top display row shows the highest y (ImageGrid row 0 is South).
    int sy = p.ny - 1 - static_cast<int>(static_cast<long long>(Y) * p.ny / g.disp_h);
    for (int X = 0; X < g.disp_w; ++X) {
      int sx = static_cast<int>(static_cast<long long>(X) * p.nx / g.disp_w);
      double v = p.pixels[static_cast<std::size_t>(sy) * p.nx + sx];
      c.set(x0 + X, y0 + Y, colormap_rgb(p.cmap, std::isfinite(v) ? (v - g.vmin) / span : v));
    }
  }
  // Frame just outside the image so that no pixel is hidden.
  c.frame(x0 - 1, y0 - 1, g.disp_w + 2, g.disp_h + 2, kAxisColour);

  const int bx = ox + g.bar_x;
  for (int Y = 0; Y < g.bar_h; ++Y) {
    double t = 1.0 - (Y + 0.5) / g.bar_h;
    c.fill_rect(bx, y0 + Y, kBarWidth, 1, colormap_rgb(p.cmap, t));
  }
  c.frame(bx - 1, y0 - 1, kBarWidth + 2, g.bar_h + 2, kAxisColour);
  for (std::size_t k = 0; k < g.ticks.size(); ++k) {
    double t = (g.ticks[k] - g.vmin) / span;
    int y = y0 + static_cast<int>(std::lround((1.0 - t) * (g.bar_h - 1)));
    c.fill_rect(bx + kBarWidth, y, kTick, 1, kAxisColour);
    c.text(ox + g.labels_x, y, g.tick_labels[k], kTextColour, kTextScale, Canvas::Align::kStart, Canvas::Align::kCentre);
  }
  if (!p.colorbar_label.empty())
    c.text_vertical(ox + g.cbar_label_x, y0 + g.bar_h / 2, fit_text(p.colorbar_label, g.bar_h, kTextScale),
                    kTextColour, kTextScale);
}

// ------------------------------------------------------------ line plots --

struct Axis {
  double lo = 0, hi = 1;  // data units
  bool log = false;
  double to_unit(double v) const {  // 0 at lo, 1 at hi
    return log ? (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo)) : (v - lo) / (hi - lo);
  }
  bool valid(double v) const { return std::isfinite(v) && (!log || v > 0); }
};

Axis make_axis(const std::vector<Series>& series, bool use_x, bool log, std::optional<double> vmin,
               std::optional<double> vmax, double pad, const char* name) {
  Axis a;
  a.log = log;
  if (log && ((vmin && !(*vmin > 0)) || (vmax && !(*vmax > 0))))
    throw UsageError(fmt::format("line plot: log {} axis needs positive limits", name));
  if (vmin && vmax && !(*vmin < *vmax))
    throw UsageError(fmt::format("line plot: {}min {} is not below {}max {}", name, *vmin, name, *vmax));
  double mn = std::numeric_limits<double>::infinity(), mx = -mn;
  for (const auto& s : series) {
    const auto& v = use_x ? s.x : s.y;
    const auto& o = use_x ? s.y : s.x;
    for (std::size_t k = 0; k < v.size(); ++k) {
      if (!a.valid(v[k]) || !std::isfinite(o[k])) continue;
      mn = std::min(mn, v[k]);
      mx = std::max(mx, v[k]);
    }
  }
  if (!(mn <= mx)) {  // nothing drawable: an empty frame rather than a crash
    mn = log ? 1 : 0;
    mx = log ? 10 : 1;
  }
  if (log) {
    double l0 = std::log10(mn), l1 = std::log10(mx);
    if (l1 - l0 < 1e-12) l0 -= 0.5, l1 += 0.5;
    double d = pad * (l1 - l0);
    mn = std::pow(10.0, l0 - d);
    mx = std::pow(10.0, l1 + d);
  } else {
    if (mx - mn <= 1e-12 * std::max(std::abs(mn), std::abs(mx))) {
      double d = mn != 0 ? 0.1 * std::abs(mn) : 1.0;
      mn -= d;
      mx += d;
    }
    double d = pad * (mx - mn);
    mn -= d;
    mx += d;
  }
  if (vmin) mn = *vmin;
  if (vmax) mx = *vmax;
  if (!(mx > mn)) mx = log ? mn * 10 : mn + 1;  // one limit given beyond the data
  a.lo = mn;
  a.hi = mx;
  return a;
}

std::vector<std::pair<double, std::string>> axis_ticks(const Axis& a, int target) {
  std::vector<std::pair<double, std::string>> out;
  if (a.log) {
    for (double t : log_ticks(a.lo, a.hi)) out.emplace_back(t, tick_label(t, t));
  } else {
    auto t = nice_ticks(a.lo, a.hi, target);
    double step = t.size() > 1 ? t[1] - t[0] : a.hi - a.lo;
    for (double v : t) out.emplace_back(v, tick_label(v, step));
  }
  return out;
}

}  // namespace

ImageBox image_png_box(const ImagePanel& panel) {
  check_panel(panel, "image_png_box");
  ImageGeometry g = image_geometry(panel, kSingleImageSide);
  return {g.img_x, g.img_y, g.disp_w, g.disp_h};
}

void write_image_png(const std::filesystem::path& path, const ImagePanel& panel) {
  check_panel(panel, path.string());
  ImageGeometry g = image_geometry(panel, kSingleImageSide);
  // Wide enough for the title too.
  int w = std::max(g.width, font::text_width(panel.title, kTextScale) + 2 * kPad);
  Canvas c(w, g.height);
  draw_image_panel(c, 0, 0, panel, g, w);
  c.write_png(path);
}

void write_panels_png(const std::filesystem::path& path, const std::vector<ImagePanel>& panels, int columns) {
  if (panels.empty()) throw UsageError(fmt::format("{}: no panels to draw", path.string()));
  if (columns < 1) throw UsageError(fmt::format("{}: {} columns, expected at least 1", path.string(), columns));
  columns = std::min<int>(columns, static_cast<int>(panels.size()));
  std::vector<ImageGeometry> geo;
  int cell_w = 0, cell_h = 0;
  for (const auto& p : panels) {
    check_panel(p, path.string());
    geo.push_back(image_geometry(p, kPanelImageSide));
    cell_w = std::max(cell_w, geo.back().width);
    cell_h = std::max(cell_h, geo.back().height);
  }
  int rows = (static_cast<int>(panels.size()) + columns - 1) / columns;
  Canvas c(cell_w * columns, cell_h * rows);
  for (std::size_t k = 0; k < panels.size(); ++k) {
    int col = static_cast<int>(k) % columns, row = static_cast<int>(k) / columns;
    draw_image_panel(c, col * cell_w, row * cell_h, panels[k], geo[k], cell_w);
  }
  c.write_png(path);
}

namespace {

void check_series(const std::vector<Series>& series, const LinePlot& plot, const std::string& where) {
  if (series.empty()) throw UsageError(fmt::format("{}: line plot '{}' has no series", where, plot.title));
  for (std::size_t k = 0; k < series.size(); ++k) {
    const auto& s = series[k];
    if (s.x.size() != s.y.size())
      throw UsageError(fmt::format("{}: series {} ('{}') has {} x values but {} y values", where, k, s.label,
                                   s.x.size(), s.y.size()));
    if (s.x.empty()) throw UsageError(fmt::format("{}: series {} ('{}') is empty", where, k, s.label));
  }
}

// The plot box of a line plot (pixels) and its axes: data → canvas coordinates.
struct PlotFrame {
  Axis ax, ay;
  int left = 0, top = 0, pw = 0, ph = 0;
  double px(double x) const { return left + ax.to_unit(x) * (pw - 1); }
  double py(double y) const { return top + (1.0 - ay.to_unit(y)) * (ph - 1); }
};

// Grid, ticks and their labels, title and axis labels.
void draw_axes(Canvas& c, const PlotFrame& f, const std::vector<std::pair<double, std::string>>& xt,
               const std::vector<std::pair<double, std::string>>& yt, const LinePlot& plot) {
  for (auto& [v, label] : xt) {
    int x = static_cast<int>(std::lround(f.px(v)));
    c.fill_rect(x, f.top, 1, f.ph, kGridColour);
    c.fill_rect(x, f.top + f.ph, 1, kTick, kAxisColour);
    c.text(x, f.top + f.ph + kTick + 4, label, kTextColour, kTextScale, Canvas::Align::kCentre);
  }
  for (auto& [v, label] : yt) {
    int y = static_cast<int>(std::lround(f.py(v)));
    c.fill_rect(f.left, y, f.pw, 1, kGridColour);
    c.fill_rect(f.left - kTick, y, kTick, 1, kAxisColour);
    c.text(f.left - kTick - 4, y, label, kTextColour, kTextScale, Canvas::Align::kEnd, Canvas::Align::kCentre);
  }
  if (!plot.title.empty())
    c.text(f.left + f.pw / 2, kPad, fit_text(plot.title, c.width() - 2 * kPad, kTextScale), kTextColour, kTextScale,
           Canvas::Align::kCentre);
  if (!plot.xlabel.empty())
    c.text(f.left + f.pw / 2, f.top + f.ph + kTick + 4 + th() + 8, fit_text(plot.xlabel, f.pw, kTextScale),
           kTextColour, kTextScale, Canvas::Align::kCentre);
  if (!plot.ylabel.empty())
    c.text_vertical(kPad + th() / 2, f.top + f.ph / 2, fit_text(plot.ylabel, f.ph, kTextScale), kTextColour,
                    kTextScale);
}

// The series, clipped to the plot box; non-finite (or, on log axes,
// non-positive) points break the line.
void draw_series(Canvas& c, const PlotFrame& f, const std::vector<Series>& series) {
  c.set_clip(f.left, f.top, f.pw, f.ph);
  for (std::size_t k = 0; k < series.size(); ++k) {
    const auto& s = series[k];
    Rgb col = kSeriesColours[k % std::size(kSeriesColours)];
    double dash = s.dashed ? 10 : 0, phase = 0;
    auto ok = [&](std::size_t i) { return f.ax.valid(s.x[i]) && f.ay.valid(s.y[i]); };
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      if (!ok(i)) {
        phase = 0;
        continue;
      }
      bool prev = i > 0 && ok(i - 1), next = i + 1 < s.x.size() && ok(i + 1);
      if (next) c.line(f.px(s.x[i]), f.py(s.y[i]), f.px(s.x[i + 1]), f.py(s.y[i + 1]), col, 2, dash, &phase);
      if (!prev && !next)  // an isolated point would otherwise be invisible
        c.fill_rect(static_cast<int>(std::lround(f.px(s.x[i]))) - 2, static_cast<int>(std::lround(f.py(s.y[i]))) - 2,
                    5, 5, col);
    }
  }
  c.reset_clip();
  c.frame(f.left - 1, f.top - 1, f.pw + 2, f.ph + 2, kAxisColour);
}

// Legend, top right inside the plot, for the labelled series.
void draw_legend(Canvas& c, const PlotFrame& f, const std::vector<Series>& series) {
  std::vector<std::size_t> labelled;
  int lw = 0;
  for (std::size_t k = 0; k < series.size(); ++k)
    if (!series[k].label.empty()) {
      labelled.push_back(k);
      lw = std::max(lw, font::text_width(series[k].label, kTextScale));
    }
  if (labelled.empty()) return;
  const int sample = 36, row_h = th() + 6;
  lw = std::min(lw, f.pw - sample - 40);
  int bw = 10 + sample + 8 + lw + 10, bh = 8 + static_cast<int>(labelled.size()) * row_h + 2;
  int bx = f.left + f.pw - bw - 10, by = f.top + 10;
  c.fill_rect(bx, by, bw, bh, kWhite);
  c.frame(bx, by, bw, bh, {160, 160, 160});
  for (std::size_t r = 0; r < labelled.size(); ++r) {
    const auto& s = series[labelled[r]];
    Rgb col = kSeriesColours[labelled[r] % std::size(kSeriesColours)];
    int y = by + 8 + static_cast<int>(r) * row_h + (font::kAscent * kTextScale) / 2;
    double phase = 0;
    c.line(bx + 10, y, bx + 10 + sample, y, col, 2, s.dashed ? 10 : 0, &phase);
    c.text(bx + 10 + sample + 8, y, fit_text(s.label, lw, kTextScale), kTextColour, kTextScale,
           Canvas::Align::kStart, Canvas::Align::kCentre);
  }
}

}  // namespace

void write_line_plot_png(const std::filesystem::path& path, const std::vector<Series>& series, const LinePlot& plot) {
  check_series(series, plot, path.string());
  PlotFrame f;
  f.ax = make_axis(series, true, plot.logx, plot.xmin, plot.xmax, 0.0, "x");
  f.ay = make_axis(series, false, plot.logy, plot.ymin, plot.ymax, 0.05, "y");
  auto xt = axis_ticks(f.ax, 6), yt = axis_ticks(f.ay, 5);

  const int W = 900, H = 600;
  int ylab_w = 0;
  for (auto& t : yt) ylab_w = std::max(ylab_w, font::text_width(t.second, kTextScale));
  f.left = kPad + (plot.ylabel.empty() ? 0 : th() + 10) + ylab_w + kTick + 6;
  f.top = plot.title.empty() ? kPad + 8 : kPad + th() + 12;
  int bottom = 8 + kTick + th() + (plot.xlabel.empty() ? 0 : th() + 8) + kPad;
  int right = 40;  // half of the last x tick label
  f.pw = W - f.left - right;
  f.ph = H - f.top - bottom;
  Canvas c(W, H);
  draw_axes(c, f, xt, yt, plot);
  draw_series(c, f, series);
  draw_legend(c, f, series);
  c.write_png(path);
}

// ---------------------------------------------------------------- reading --

namespace {

// libpng's own handlers print to stderr; the message goes into the error
// instead (error_ptr: a std::string).
void on_png_error(png_structp png, png_const_charp message) {
  *static_cast<std::string*>(png_get_error_ptr(png)) = message;
  png_longjmp(png, 1);
}
void on_png_warning(png_structp, png_const_charp) {}

// libpng reports errors by longjmp to png_jmpbuf: no object with a destructor
// is created in this frame after setjmp. Returns false on any libpng error.
bool read_png_samples(FILE* f, std::string& error, std::vector<std::uint8_t>& samples, int& channels, int& height,
                      int& width) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &error, on_png_error, on_png_warning);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!info) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    return false;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  png_init_io(png, f);
  png_read_info(png, info);
  png_set_expand(png);
  png_set_strip_16(png);
  png_set_strip_alpha(png);
  png_read_update_info(png, info);
  width = static_cast<int>(png_get_image_width(png, info));
  height = static_cast<int>(png_get_image_height(png, info));
  channels = png_get_channels(png, info);
  const std::size_t stride = png_get_rowbytes(png, info);
  samples.resize(stride * height);
  for (int y = 0; y < height; ++y) png_read_row(png, samples.data() + stride * y, nullptr);
  png_destroy_read_struct(&png, &info, nullptr);
  return true;
}

}  // namespace

RgbImage read_png_rgb(const std::filesystem::path& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw MissingInputError(fmt::format("{}: cannot open PNG image", path.string()));
  std::vector<std::uint8_t> samples;
  std::string error = "unexpected layout";
  int channels = 0, height = 0, width = 0;
  const bool ok = read_png_samples(f, error, samples, channels, height, width);
  std::fclose(f);
  if (!ok || (channels != 1 && channels != 3))
    throw DataError(fmt::format("{}: not a readable PNG image ({})", path.string(), error));
  return from_interleaved(samples.data(), channels, height, width);
}

}  // namespace penumbra
