#include "src/io/png.hpp"

#include <gtest/gtest.h>
#include <png.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "src/core/errors.hpp"
#include "src/io/bitmap_font.hpp"
#include "src/io/colormap.hpp"
#include "src/io/raster.hpp"
#include "tests/support/paths.hpp"

namespace penumbra {
namespace {

// Reads a PNG back with libpng (as 8-bit RGB); fails the test if it is not a valid PNG.
struct Png {
  int width = 0, height = 0;
  std::vector<std::uint8_t> rgb;
  Rgb at(int x, int y) const {
    std::size_t k = (static_cast<std::size_t>(y) * width + x) * 3;
    return {rgb[k], rgb[k + 1], rgb[k + 2]};
  }
  int count(Rgb c, int x0 = 0, int y0 = 0, int x1 = -1, int y1 = -1) const {
    if (x1 < 0) x1 = width;
    if (y1 < 0) y1 = height;
    int n = 0;
    for (int y = y0; y < y1; ++y)
      for (int x = x0; x < x1; ++x) n += at(x, y) == c;
    return n;
  }
};

Png read_png(const std::filesystem::path& path) {
  Png out;
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&img, path.c_str())) {
    ADD_FAILURE() << path << ": " << img.message;
    return out;
  }
  img.format = PNG_FORMAT_RGB;
  out.width = static_cast<int>(img.width);
  out.height = static_cast<int>(img.height);
  out.rgb.resize(PNG_IMAGE_SIZE(img));
  if (!png_image_finish_read(&img, nullptr, out.rgb.data(), 0, nullptr)) ADD_FAILURE() << path << ": " << img.message;
  return out;
}

double luminance(Rgb c) { return 0.2126 * c.r + 0.7152 * c.g + 0.0722 * c.b; }

TEST(ColorMap, AnchorsAndFlagColour) {
  EXPECT_EQ(colormap_rgb(ColorMap::kViridis, 0), (Rgb{68, 1, 84}));
  EXPECT_EQ(colormap_rgb(ColorMap::kViridis, 1), (Rgb{253, 231, 37}));
  EXPECT_EQ(colormap_rgb(ColorMap::kViridis, 0.5), (Rgb{33, 144, 140}));
  EXPECT_EQ(colormap_rgb(ColorMap::kInferno, 0), (Rgb{0, 0, 4}));
  EXPECT_EQ(colormap_rgb(ColorMap::kInferno, 1), (Rgb{252, 255, 164}));
  EXPECT_EQ(colormap_rgb(ColorMap::kGrey, 0.5), (Rgb{128, 128, 128}));
  EXPECT_EQ(colormap_rgb(ColorMap::kGrey, -3), (Rgb{0, 0, 0}));   // clamped
  EXPECT_EQ(colormap_rgb(ColorMap::kGrey, 7), (Rgb{255, 255, 255}));
  EXPECT_EQ(colormap_rgb(ColorMap::kCoolwarm, 0.5), (Rgb{221, 221, 221}));
  EXPECT_EQ(colormap_rgb(ColorMap::kCoolwarm, 0), (Rgb{59, 76, 192}));
  EXPECT_EQ(colormap_rgb(ColorMap::kCoolwarm, 1), (Rgb{180, 4, 38}));
  EXPECT_EQ(colormap_rgb(ColorMap::kInferno, std::numeric_limits<double>::quiet_NaN()), kFlagColour);
  EXPECT_EQ(colormap_rgb(ColorMap::kViridis, INFINITY), kFlagColour);
  EXPECT_EQ(parse_colormap("gray"), ColorMap::kGrey);
  EXPECT_THROW(parse_colormap("jet"), UsageError);
}

TEST(ColorMap, SequentialMapsGrowInLightnessAndCoolwarmPeaksInTheMiddle) {
  for (ColorMap m : {ColorMap::kInferno, ColorMap::kViridis, ColorMap::kGrey}) {
    double prev = -1;
    for (int k = 0; k <= 100; ++k) {
      double l = luminance(colormap_rgb(m, k / 100.0));
      EXPECT_GT(l, prev) << colormap_name(m) << " at " << k / 100.0;
      prev = l;
    }
  }
  double mid = luminance(colormap_rgb(ColorMap::kCoolwarm, 0.5));
  EXPECT_GT(mid, luminance(colormap_rgb(ColorMap::kCoolwarm, 0.25)));
  EXPECT_GT(mid, luminance(colormap_rgb(ColorMap::kCoolwarm, 0.75)));
}

TEST(BitmapFont, CoversPrintableAscii) {
  for (char32_t c = 32; c <= 126; ++c) EXPECT_NE(font::glyph(c), nullptr) << static_cast<int>(c);
  for (char32_t c = 33; c <= 126; ++c) {  // every visible glyph sets some pixel
    const std::uint8_t* g = font::glyph(c);
    int on = 0;
    for (int r = 0; r < font::kGlyphHeight; ++r) on += g[r] != 0;
    EXPECT_GT(on, 0) << static_cast<int>(c);
  }
  EXPECT_NE(font::glyph(U'λ'), nullptr);
  EXPECT_EQ(font::glyph(U'€'), nullptr);
  EXPECT_EQ(font::decode_utf8("kλ"), std::u32string(U"kλ"));
  EXPECT_EQ(font::decode_utf8("a\xff"), std::u32string(U"a?"));
  EXPECT_EQ(font::text_width("ab", 2), (2 * font::kAdvance - 1) * 2);
  EXPECT_EQ(font::text_width("", 2), 0);
}

TEST(Raster, TextDrawsTheGlyphBits) {
  Canvas c(20, 12);
  c.text(1, 1, "T", kBlack);
  // 'T' is a full top row and a centre stem.
  for (int x = 1; x <= 5; ++x) EXPECT_EQ(c.get(x, 1), kBlack) << x;
  EXPECT_EQ(c.get(3, 5), kBlack);
  EXPECT_EQ(c.get(1, 5), kWhite);
  EXPECT_EQ(c.get(7, 1), kWhite);
}

TEST(Raster, NiceTicksAndLabels) {
  EXPECT_EQ(nice_ticks(0, 1, 5), (std::vector<double>{0, 0.2, 0.4, 0.6000000000000001, 0.8, 1}));
  auto t = nice_ticks(-3.7, 12.2, 5);
  EXPECT_EQ(t, (std::vector<double>{0, 5, 10}));
  auto l = log_ticks(1e-3, 10);
  ASSERT_EQ(l.size(), 5u);
  EXPECT_DOUBLE_EQ(l.front(), 1e-3);
  EXPECT_DOUBLE_EQ(l.back(), 10);
  auto l2 = log_ticks(1, 50);
  EXPECT_EQ(l2.size(), 6u);  // 1 2 5 10 20 50
  EXPECT_GE(log_ticks(3, 4).size(), 2u);
  EXPECT_EQ(tick_label(0.2, 0.2), "0.2");
  EXPECT_EQ(tick_label(2.5, 2.5), "2.5");
  EXPECT_EQ(tick_label(100, 50), "100");
  EXPECT_EQ(tick_label(-0.0, 1), "0");
  EXPECT_EQ(tick_label(1e-5, 1e-5), "1e-5");
  EXPECT_EQ(tick_label(1.5e6, 5e5), "1.5e6");
  EXPECT_EQ(tick_label(0.001, 0.001), "0.001");
  EXPECT_EQ(tick_label(1e-9 * 0.3, 1), "0");
}

TEST(Png, ImagePixelsMapToColourMapNorthUp) {
  auto dir = test::scratch_dir("png_image");
  ImagePanel p;
  p.nx = 8;
  p.ny = 4;
  p.pixels.resize(32);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 8; ++x) p.pixels[y * 8 + x] = (y * 8 + x) / 31.0;
  p.pixels[3 * 8 + 7] = std::numeric_limits<double>::quiet_NaN();  // top right (North-West… drawn top right)
  p.cmap = ColorMap::kViridis;
  p.vmin = 0;
  p.vmax = 1;
  p.title = "Test image";
  p.colorbar_label = "Jy/pixel";
  auto file = dir / "img.png";
  write_image_png(file, p);
  ImageBox box = image_png_box(p);
  EXPECT_EQ(box.width, 512);
  EXPECT_EQ(box.height, 256);
  Png png = read_png(file);
  ASSERT_GE(png.width, box.x0 + box.width);
  ASSERT_GE(png.height, box.y0 + box.height);
  const int s = 64;  // upscaling factor
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 8; ++x) {
      int X = box.x0 + x * s + s / 2, Y = box.y0 + (3 - y) * s + s / 2;  // row y = 0 is at the bottom
      Rgb want = colormap_rgb(ColorMap::kViridis, p.pixels[y * 8 + x]);
      EXPECT_EQ(png.at(X, Y), want) << "pixel " << x << "," << y;
    }
  EXPECT_EQ(png.at(box.x0 + 7 * s + 5, box.y0 + 5), kFlagColour);
  // The colour bar holds both ends of the map.
  EXPECT_GT(png.count(colormap_rgb(ColorMap::kViridis, 1.0 - 0.5 / box.height)), 10);
}

TEST(Png, ConstantAllNanAndHugeImagesDoNotFail) {
  auto dir = test::scratch_dir("png_edge");
  ImagePanel c;
  c.nx = c.ny = 3;
  c.pixels.assign(9, 2.0);
  c.title = "A title much wider than the little image it belongs to";
  write_image_png(dir / "const.png", c);
  Png pc = read_png(dir / "const.png");
  int dark_left = 0;  // the title starts inside the canvas, not cut at the left edge
  for (int y = 0; y < 40; ++y) dark_left += pc.at(16, y) == Rgb{0, 0, 0} || pc.at(17, y) == Rgb{0, 0, 0};
  EXPECT_GT(dark_left, 0);
  ImagePanel n = c;
  n.pixels.assign(9, std::numeric_limits<double>::quiet_NaN());
  n.cmap = ColorMap::kCoolwarm;
  write_image_png(dir / "nan.png", n);
  Png pn = read_png(dir / "nan.png");
  EXPECT_GE(pn.count(kFlagColour), 9 * 170 * 170);
  ImagePanel big;
  big.nx = 3000;
  big.ny = 20;
  big.pixels.assign(static_cast<std::size_t>(big.nx) * big.ny, 1.0);
  big.pixels[0] = -1;
  write_image_png(dir / "big.png", big);
  ImageBox b = image_png_box(big);
  EXPECT_LE(b.width, 1024);
  Png pb = read_png(dir / "big.png");
  EXPECT_GE(pb.width, b.width);
  ImagePanel bad = c;
  bad.pixels.pop_back();
  EXPECT_THROW(write_image_png(dir / "bad.png", bad), UsageError);
  bad = c;
  bad.vmin = 1;
  bad.vmax = 0;
  EXPECT_THROW(write_image_png(dir / "bad.png", bad), UsageError);
}

TEST(Png, PanelsGrid) {
  auto dir = test::scratch_dir("png_panels");
  std::vector<ImagePanel> panels;
  const ColorMap maps[] = {ColorMap::kInferno, ColorMap::kViridis, ColorMap::kGrey, ColorMap::kCoolwarm,
                           ColorMap::kInferno};
  for (int k = 0; k < 5; ++k) {
    ImagePanel p;
    p.nx = p.ny = 16 + 8 * k;
    p.pixels.assign(static_cast<std::size_t>(p.nx) * p.ny, 0.3);
    p.vmin = 0;
    p.vmax = 1;
    p.cmap = maps[k];
    p.title = "panel " + std::to_string(k);
    panels.push_back(p);
  }
  auto file = dir / "panels.png";
  write_panels_png(file, panels, 3);
  Png png = read_png(file);
  ASSERT_EQ(png.width % 3, 0);
  ASSERT_EQ(png.height % 2, 0);
  int cw = png.width / 3, ch = png.height / 2;
  for (int k = 0; k < 5; ++k) {
    int x0 = (k % 3) * cw, y0 = (k / 3) * ch;
    // Each image is upscaled to about 256 pixels of its own colour.
    EXPECT_GT(png.count(colormap_rgb(maps[k], 0.3), x0, y0, x0 + cw, y0 + ch), 200 * 200) << k;
  }
  EXPECT_THROW(write_panels_png(file, {}, 2), UsageError);
  EXPECT_THROW(write_panels_png(file, panels, 0), UsageError);
}

TEST(Png, LinePlotWithSeriesLegendAndLogAxes) {
  auto dir = test::scratch_dir("png_lines");
  std::vector<Series> series(3);
  for (int k = 1; k <= 200; ++k) {
    double x = k * 0.05;
    series[0].x.push_back(x);
    series[0].y.push_back(std::exp(-x));
    series[1].x.push_back(x);
    series[1].y.push_back(0.5 * std::exp(-0.5 * x));
    series[2].x.push_back(x);
    series[2].y.push_back(k == 50 ? std::numeric_limits<double>::quiet_NaN() : 1.0 / (1 + x * x));
  }
  series[0].label = "exp(-x)";
  series[1].label = "0.5 exp(-x/2)";
  series[1].dashed = true;
  series[2].label = "Lorentzian, λ = 1 mm";
  LinePlot plot;
  plot.title = "Decay";
  plot.xlabel = "x [arbitrary]";
  plot.ylabel = "y";
  plot.logy = true;
  auto file = dir / "lines.png";
  write_line_plot_png(file, series, plot);
  Png png = read_png(file);
  EXPECT_EQ(png.width, 900);
  EXPECT_EQ(png.height, 600);
  const Rgb c0{31, 119, 180}, c1{255, 127, 14}, c2{44, 160, 44};
  int n0 = png.count(c0), n1 = png.count(c1), n2 = png.count(c2);
  EXPECT_GT(n0, 500);
  EXPECT_GT(n1, 300);
  EXPECT_GT(n2, 500);
  // A dashed line leaves gaps: fewer pixels than the solid curve of similar length.
  EXPECT_LT(n1, n0);
  plot.logx = true;
  plot.ymin = 1e-3;
  write_line_plot_png(dir / "loglog.png", series, plot);
  EXPECT_EQ(read_png(dir / "loglog.png").width, 900);
}

TEST(Png, LinePlotBadInput) {
  auto dir = test::scratch_dir("png_lines_bad");
  LinePlot plot;
  EXPECT_THROW(write_line_plot_png(dir / "a.png", {}, plot), UsageError);
  Series empty;
  empty.label = "nothing";
  EXPECT_THROW(write_line_plot_png(dir / "a.png", {empty}, plot), UsageError);
  Series mismatch{{1, 2, 3}, {1, 2}, "m", false};
  EXPECT_THROW(write_line_plot_png(dir / "a.png", {mismatch}, plot), UsageError);
  Series ok{{1, 2, 3}, {1, 4, 9}, "ok", false};
  plot.xmin = 3;
  plot.xmax = 1;
  EXPECT_THROW(write_line_plot_png(dir / "a.png", {ok}, plot), UsageError);
  EXPECT_FALSE(std::filesystem::exists(dir / "a.png"));
  // Non-positive values on a log axis and all-NaN series draw an (empty) frame.
  LinePlot logp;
  logp.logy = true;
  Series neg{{1, 2, 3}, {-1, 0, -2}, "neg", false};
  write_line_plot_png(dir / "neg.png", {neg}, logp);
  Series nan{{1, 2}, {NAN, NAN}, "", false};
  write_line_plot_png(dir / "nan.png", {nan}, LinePlot{});
  EXPECT_EQ(read_png(dir / "nan.png").height, 600);
  // A single point is drawn as a marker.
  Series one{{1}, {1}, "", false};
  write_line_plot_png(dir / "one.png", {one}, LinePlot{});
  EXPECT_GE(read_png(dir / "one.png").count({31, 119, 180}), 25);
}

}  // namespace
}  // namespace penumbra
