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
void write_line_plot_png(const std::filesystem::path& path, const std::vector<Series>& series, const LinePlot& plot);

}  // namespace penumbra
