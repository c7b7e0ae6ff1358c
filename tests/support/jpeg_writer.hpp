#pragma once
// Writes JPEG test images with libjpeg directly (not through Penumbra), so the
// reader is checked against an independent encoder.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <vector>

#include <jpeglib.h>

namespace penumbra::test {

// `samples` interleaved [height][width][channels] (1 or 3); chroma is not
// subsampled, so colours survive to within the quantisation of `quality`.
inline void write_jpeg(const std::filesystem::path& path, const std::vector<std::uint8_t>& samples, int channels,
                       int height, int width, int quality = 95) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw std::runtime_error("cannot write " + path.string());
  jpeg_compress_struct cinfo;
  jpeg_error_mgr jerr;
  cinfo.err = jpeg_std_error(&jerr);
  jpeg_create_compress(&cinfo);
  jpeg_stdio_dest(&cinfo, f);
  cinfo.image_width = static_cast<JDIMENSION>(width);
  cinfo.image_height = static_cast<JDIMENSION>(height);
  cinfo.input_components = channels;
  cinfo.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  for (int c = 0; c < cinfo.num_components; ++c) cinfo.comp_info[c].h_samp_factor = cinfo.comp_info[c].v_samp_factor = 1;
  jpeg_start_compress(&cinfo, TRUE);
  const std::size_t stride = static_cast<std::size_t>(width) * channels;
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<std::uint8_t*>(samples.data()) + stride * cinfo.next_scanline;
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::fclose(f);
}

// A constant-colour image of `channels` channels.
inline std::vector<std::uint8_t> constant_samples(int height, int width, std::vector<std::uint8_t> colour) {
  std::vector<std::uint8_t> s;
  s.reserve(static_cast<std::size_t>(height) * width * colour.size());
  for (int i = 0; i < height * width; ++i) s.insert(s.end(), colour.begin(), colour.end());
  return s;
}

}  // namespace penumbra::test
