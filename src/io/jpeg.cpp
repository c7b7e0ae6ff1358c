#include "src/io/jpeg.hpp"

#include <fmt/format.h>

// jpeglib.h needs FILE and size_t declared before it.
#include <algorithm>
#include <csetjmp>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <vector>

#include <jpeglib.h>

#include "src/core/errors.hpp"

namespace penumbra {

namespace {

struct ErrorManager {
  jpeg_error_mgr pub;  // first member: libjpeg hands back a pointer to it
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void on_error(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

// Level −1 is a warning about corrupt data (a truncated file is one): treated
// as an error. Higher levels are trace messages, ignored.
void on_message(j_common_ptr cinfo, int level) {
  if (level < 0) on_error(cinfo);
}

// Shrinks by the largest of 8, 4, 2 that keeps the shorter side ≥ min_side.
void choose_scale(jpeg_decompress_struct& cinfo, int min_side) {
  const unsigned shorter = std::min(cinfo.image_width, cinfo.image_height);
  cinfo.scale_num = 1;
  cinfo.scale_denom = 1;
  if (min_side <= 0) return;
  for (unsigned d : {8u, 4u, 2u})
    if ((shorter + d - 1) / d >= static_cast<unsigned>(min_side)) {
      cinfo.scale_denom = d;
      return;
    }
}

// libjpeg decoding between setjmp and the last libjpeg call: no object with a
// destructor is created in this frame after setjmp, so longjmp skips none.
// Returns false (the message in err) on any libjpeg error.
bool decode(const std::uint8_t* data, std::size_t size, int min_side, ErrorManager& err,
            std::vector<std::uint8_t>& samples, int& channels, int& height, int& width) {
  jpeg_decompress_struct cinfo;
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = on_error;
  err.pub.emit_message = on_message;
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data, static_cast<unsigned long>(size));
  jpeg_read_header(&cinfo, TRUE);
  cinfo.out_color_space = cinfo.num_components == 1 ? JCS_GRAYSCALE : JCS_RGB;
  choose_scale(cinfo, min_side);
  jpeg_start_decompress(&cinfo);
  channels = cinfo.output_components;
  height = static_cast<int>(cinfo.output_height);
  width = static_cast<int>(cinfo.output_width);
  const std::size_t stride = static_cast<std::size_t>(width) * channels;
  samples.resize(stride * height);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = samples.data() + stride * cinfo.output_scanline;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return true;
}

}  // namespace

RgbImage decode_jpeg(const std::uint8_t* data, std::size_t size, const std::string& source, int min_side) {
  ErrorManager err{};
  std::vector<std::uint8_t> samples;
  int channels = 0, height = 0, width = 0;
  if (size == 0) throw DataError(fmt::format("{}: empty file, not a JPEG image", source));
  if (!decode(data, size, min_side, err, samples, channels, height, width))
    throw DataError(fmt::format("{}: not a readable JPEG image ({})", source, err.message));
  return from_interleaved(samples.data(), channels, height, width);
}

RgbImage read_jpeg(const std::filesystem::path& path, int min_side) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw MissingInputError(fmt::format("{}: cannot open JPEG image", path.string()));
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return decode_jpeg(bytes.data(), bytes.size(), path.string(), min_side);
}

}  // namespace penumbra
