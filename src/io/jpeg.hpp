#pragma once
// JPEG reading with libjpeg-turbo. libjpeg's default error handler calls
// exit(); this reader installs one that returns control, so a corrupt or
// truncated file is a DataError naming it, never the end of the process.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "src/io/rgb_image.hpp"

namespace penumbra {

// Grey JPEGs give one channel, colour (YCbCr or RGB) ones three. With
// min_side > 0 the decoder may shrink by 2, 4 or 8 in its inverse DCT (much
// faster, and itself an anti-aliased reduction) as long as the shorter side
// stays ≥ min_side. Every libjpeg warning (premature end of data, corrupt
// entropy data) is an error: such a file decodes to a partly grey picture.
RgbImage read_jpeg(const std::filesystem::path& path, int min_side = 0);
// The same from bytes in memory; `source` names them in messages.
RgbImage decode_jpeg(const std::uint8_t* data, std::size_t size, const std::string& source, int min_side = 0);

}  // namespace penumbra
