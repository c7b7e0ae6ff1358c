#pragma once
// The two views of an unlabelled image in FixMatch (Sohn et al. 2020), made for
// radio images (plain memory, [H][W] row-major, square images):
//   weak:   a left–right flip, a rotation by a multiple of 90° and a shift of at
//           most `weak_shift` px (exact pixel moves: the source is unchanged,
//           only placed differently) — the view whose prediction is the pseudo-label;
//   strong: any rotation angle, a flip, a shift up to `strong_shift` px, a
//           binomial blur (half the time), a stretch x ↦ x^γ of the brightness
//           (γ in [0.5, 1.5]: a different contrast/scaling), additive Gaussian
//           noise up to `noise` × the peak, and a cutout square of side
//           `cutout` × size set to 0 — the view trained to agree with the pseudo-label.
// Each view depends only on (seed, stream).
#include <cstdint>

namespace penumbra {

struct SslAugmentOptions {
  int weak_shift = 2;           // px
  double strong_shift = 0.125;  // fraction of the side
  double noise = 0.05;          // rms relative to the image's peak
  double cutout = 0.25;         // side of the cutout square, fraction of the side
};

void weak_view(float* img, int size, const SslAugmentOptions& opt, std::uint64_t seed, std::uint64_t stream);
void strong_view(float* img, int size, const SslAugmentOptions& opt, std::uint64_t seed, std::uint64_t stream);

// Moves the image by (dx, dy) px, zeros where nothing moves in.
void shift_image(float* img, int size, int dx, int dy);

}  // namespace penumbra
