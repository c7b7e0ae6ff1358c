#pragma once
// A shifted copy of a labelled image set: what the same sources look like to a
// survey of coarser resolution and higher noise. Each image is convolved with
// a circular Gaussian of σ `blur` pixels (a wider beam), given additive white
// Gaussian noise of σ `noise` (in the images' own scale, MiraBest's [0, 1]),
// and clipped back to [0, 1] like MiraBest's sigma-clipped, 8-bit-scaled
// images. Shapes, labels and ids are kept. No LibTorch.
#include <cstdint>

#include "src/datasets/labelled_images.hpp"

namespace penumbra {

struct DegradationOptions {
  double blur = 1.5;    // σ of the Gaussian smoothing, pixels (0: none)
  double noise = 0.05;  // σ of the additive noise (0: none)
};
// UsageError naming the quantity for a negative or non-finite setting.
void validate(const DegradationOptions& o);

// The degraded copy of `images`; the noise is drawn from `seed` (image i from
// its own stream, so a subset degrades as in the whole set).
LabelledImages degrade_images(const LabelledImages& images, const DegradationOptions& o, std::uint64_t seed);

}  // namespace penumbra
