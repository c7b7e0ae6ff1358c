#pragma once
// Resampling of one image plane to a network's square input, shared by the
// importer (src/datasets/image_importer.hpp) and the image catalogue reader
// (src/datasets/image_catalogue.hpp).
#include <vector>

namespace penumbra {

// [h][w] → [n][n]: area averaging when shrinking (each output pixel the mean
// of the input area it covers, fractional pixels weighted), bilinear
// interpolation between pixel centres when enlarging.
std::vector<float> resize_area(const float* in, int h, int w, int n);

// The centred square of side round(crop · min(h, w)) (crop in (0, 1]),
// non-finite pixels (FITS blanks) set to 0, resized to [n][n] by resize_area.
std::vector<float> crop_resize(const float* in, int h, int w, double crop, int n);

}  // namespace penumbra
