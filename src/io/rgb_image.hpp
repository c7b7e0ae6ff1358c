#pragma once
// Photographs as the networks take them: 8-bit JPEG or PNG files decoded to
// floats in [0, 1], channel-first. Row 0 is the top of the picture (as files
// store it), not the South edge of an ImageGrid.
#include <cstdint>
#include <filesystem>
#include <vector>

namespace penumbra {

struct RgbImage {
  int channels = 0;           // 1 (grey) or 3 (R, G, B)
  int height = 0, width = 0;
  std::vector<float> pixels;  // [channels][height][width], values in [0, 1]

  float at(int c, int y, int x) const {
    return pixels[(static_cast<std::size_t>(c) * height + y) * width + x];
  }
};

// 8-bit interleaved samples [height][width][channels] → RgbImage (÷ 255).
RgbImage from_interleaved(const std::uint8_t* samples, int channels, int height, int width);

// A JPEG or PNG file, told apart by its signature (not its extension).
// MissingInputError when it cannot be opened; DataError naming the file when
// it is neither format, or corrupt or truncated. min_side lets JPEGs decode
// reduced (see read_jpeg).
RgbImage read_rgb_image(const std::filesystem::path& path, int min_side = 0);

// Grey [height][width]: the image itself when it has one channel, else the
// luma 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601, as the importer uses).
std::vector<float> luminance(const RgbImage& image);

}  // namespace penumbra
