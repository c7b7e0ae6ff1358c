#pragma once
// Image datasets on disk and the importer of real images.
//
// On-disk layout (HDF5, written by `penumbra dataset`): a float32 stack
// "/<name>" [N, H, W] (default name "images"; ImageGrid layout, row 0 = South)
// with string attributes "normalisation" ("peak": each image scaled to a peak
// in [peak_min, peak_max], see galaxy_generator.hpp) and "source" (how it was
// made), and optionally "/params" [N, K] with per-image generator parameters
// (column names in its "columns" attribute).
//
// The importer turns real images (a folder of FITS or PNG files, or an HDF5
// array N×H×W or N×H×W×3 as published galaxy sets use) into the same form:
// grey (luminance 0.299 R + 0.587 G + 0.114 B), centre-cropped to a square
// (optionally to a fraction of the shorter side), resized by area averaging
// (bilinear when enlarging), background-subtracted (the median of the border
// pixels), clipped at 0 and peak-normalised like the generator.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace penumbra {

struct ImageStack {
  std::vector<float> images;  // [count][height][width]
  std::int64_t count = 0;
  int height = 0, width = 0;
  std::string normalisation;  // from the attributes ("" when absent)
  std::string source;
};

void write_image_stack(const std::filesystem::path& path, const std::string& name, const std::vector<float>& images,
                       std::int64_t count, int height, int width, const std::string& normalisation,
                       const std::string& source);
// DataError naming the file and dataset if it is not a 3-d numeric stack.
ImageStack read_image_stack(const std::filesystem::path& path, const std::string& name = "images");

struct ImportOptions {
  int size = 64;              // output pixels per side
  double crop = 1.0;          // centre crop: this fraction of the shorter side
  double peak_min = 1.0, peak_max = 1.0;  // peaks drawn uniformly in this range (seeded per image)
  bool subtract_background = true;
  std::string dataset;        // for HDF5 input: the array's name (empty: the first 3-d/4-d array)
  std::uint64_t seed = 0;
};

// One grey image [h][w] → processed [size][size] (crop, resize, background, peak).
std::vector<float> prepare_image(const std::vector<float>& grey, int h, int w, const ImportOptions& opt,
                                 std::uint64_t index);
// A folder of .fits/.fit/.png files (sorted by name) or an HDF5 file.
ImageStack import_images(const std::filesystem::path& input, const ImportOptions& opt);

}  // namespace penumbra
