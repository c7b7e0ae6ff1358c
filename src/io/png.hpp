#pragma once
// PNG figures written with libpng and Penumbra's own rasteriser (a built-in
// bitmap font for labels, no other graphics dependency): images with a colour
// map and a colour bar, panels of several images, and line plots with axes,
// ticks, labels and a legend. Images are drawn North up, East left (the
// ImageGrid row y = 0 is the South edge, so rows are flipped on output).
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "src/io/rgb_image.hpp"

namespace penumbra {

enum class ColorMap { kInferno, kViridis, kGrey, kCoolwarm };

struct ImagePanel {
  std::vector<double> pixels;  // [ny][nx], ImageGrid layout
  int nx = 0, ny = 0;
  std::string title;
  ColorMap cmap = ColorMap::kInferno;
  std::optional<double> vmin, vmax;  // default: data range (symmetric for kCoolwarm)
  std::string colorbar_label;        // e.g. "Jy/beam"
};

// One image with a colour bar.
void write_image_png(const std::filesystem::path& path, const ImagePanel& panel);
// Several images in a grid of `columns` columns, each with its own colour bar.
void write_panels_png(const std::filesystem::path& path, const std::vector<ImagePanel>& panels, int columns);
// Where write_image_png puts the image (pixels from the PNG's top-left corner):
// images are upscaled by a whole factor (nearest) to about 512 pixels, shown
// 1:1 up to 1024, and subsampled beyond. NaN / Inf pixels are drawn magenta.
struct ImageBox {
  int x0 = 0, y0 = 0, width = 0, height = 0;
};
ImageBox image_png_box(const ImagePanel& panel);

struct Series {
  std::vector<double> x, y;
  std::string label;
  bool dashed = false;
};
struct LinePlot {
  std::string title, xlabel, ylabel;
  bool logx = false, logy = false;
  std::optional<double> xmin, xmax, ymin, ymax;
};
// 900×600 pixels. Throws UsageError for no series, an empty series, x/y of
// different lengths or bad limits; non-finite points (and non-positive ones on
// log axes) break the line rather than failing.
void write_line_plot_png(const std::filesystem::path& path, const std::vector<Series>& series, const LinePlot& plot);

// Reading (photographs for the networks, not figures): palette and low bit
// depths expanded, 16-bit samples cut to 8, alpha dropped; grey (± alpha)
// gives one channel, colour three. Row 0 is the top row. MissingInputError
// when the file cannot be opened, DataError naming it when it is not a PNG.
RgbImage read_png_rgb(const std::filesystem::path& path);

}  // namespace penumbra
