#pragma once
// Image augmentation for classifiers: rotations and flips (radio galaxies have no
// preferred orientation on the sky), and centre crops. Plain memory, [H][W]
// row-major. Rotations about the image centre (H−1)/2, (W−1)/2; multiples of 90°
// on square images are exact pixel permutations, other angles use bilinear
// interpolation with zeros outside.
#include <cstdint>
#include <vector>

#include "src/datasets/labelled_images.hpp"

namespace penumbra {

// Counter-clockwise rotation by `quarter_turns`·90° (square images only).
void rotate90(const float* in, float* out, int n, int quarter_turns);
// Rotation by `angle` radians (counter-clockwise in array coordinates x→right, y→down... i.e.
// the same sense as rotate90 with quarter_turns = angle/(π/2)).
void rotate_bilinear(const float* in, float* out, int height, int width, double angle);
// Mirror image left–right (x → W−1−x).
void flip_horizontal(const float* in, float* out, int height, int width);
// Centre crop to `size`×`size`; the crop is centred at (H−size)/2 (integer division).
LabelledImages center_crop(const LabelledImages& in, int size);

// Area-average binning by `factor` (factor×factor pixels → 1); sides must be
// divisible by `factor`. Halving 150 px MiraBest images keeps the 5″ FIRST beam
// at 1.4 px (3.6″/px) and costs a quarter of the compute.
LabelledImages bin_pixels(const LabelledImages& in, int factor);

struct AugmentOptions {
  bool rotate = true;       // uniform angle in [0, 2π)
  bool flip = true;         // left–right flip with probability 1/2
  bool right_angles = false;  // only multiples of 90° (exact)
};
// Augments image `i` of a batch in place (stream `stream` of `seed`).
void augment_image(float* img, int height, int width, const AugmentOptions& opt, std::uint64_t seed,
                   std::uint64_t stream);

}  // namespace penumbra
