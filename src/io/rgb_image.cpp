#include "src/io/rgb_image.hpp"

#include <fmt/format.h>

#include <array>
#include <fstream>

#include "src/core/errors.hpp"
#include "src/io/jpeg.hpp"
#include "src/io/png.hpp"

namespace penumbra {

RgbImage from_interleaved(const std::uint8_t* samples, int channels, int height, int width) {
  RgbImage img;
  img.channels = channels;
  img.height = height;
  img.width = width;
  const std::size_t plane = static_cast<std::size_t>(height) * width;
  img.pixels.resize(plane * channels);
  for (std::size_t p = 0; p < plane; ++p)
    for (int c = 0; c < channels; ++c) img.pixels[c * plane + p] = samples[p * channels + c] / 255.0f;
  return img;
}

RgbImage read_rgb_image(const std::filesystem::path& path, int min_side) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw MissingInputError(fmt::format("{}: cannot open image", path.string()));
  std::array<unsigned char, 8> sig{};
  in.read(reinterpret_cast<char*>(sig.data()), sig.size());
  if (in.gcount() >= 3 && sig[0] == 0xFF && sig[1] == 0xD8 && sig[2] == 0xFF) return read_jpeg(path, min_side);
  static constexpr std::array<unsigned char, 8> kPng{0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  if (in.gcount() == 8 && sig == kPng) return read_png_rgb(path);
  throw DataError(fmt::format("{}: not a JPEG or PNG image", path.string()));
}

std::vector<float> luminance(const RgbImage& image) {
  const std::size_t plane = static_cast<std::size_t>(image.height) * image.width;
  if (image.channels == 1) return image.pixels;
  std::vector<float> grey(plane);
  const float* r = image.pixels.data();
  for (std::size_t p = 0; p < plane; ++p)
    grey[p] = static_cast<float>(0.299 * r[p] + 0.587 * r[plane + p] + 0.114 * r[2 * plane + p]);
  return grey;
}

}  // namespace penumbra
