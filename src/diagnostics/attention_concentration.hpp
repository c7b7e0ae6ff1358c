#pragma once
// How concentrated an attention map is on the source (Bowles et al. 2021 judge
// normalisation and aggregation by where the maps point, not only by accuracy).
// The map is a non-negative [ny][nx] image on the input's grid (upsample the
// network's coarser map first); the source is where the input is bright.
#include <cstdint>
#include <span>
#include <vector>

namespace penumbra {

// 1 on pixels above median + k·σ, σ = 1.4826·MAD (a robust noise estimate),
// else 0. MiraBest's images are sigma-clipped (background exactly 0, so MAD = 0):
// there the mask is the emission left by the clip.
std::vector<std::uint8_t> source_mask(std::span<const double> image, double k_sigma = 3.0);

struct AttentionConcentration {
  double mass_in_source = 0;   // Σ_source a / Σ a: 1 when every bit of attention is on the source
  double source_fraction = 0;  // share of pixels in the mask: what a uniform map's mass_in_source would be
  double entropy = 0;          // −Σ p ln p / ln n, p = a/Σa over n pixels: 0 one pixel, 1 uniform
};

// UsageError when the sizes differ, a map value is negative or not finite, or
// the map has no mass.
AttentionConcentration attention_concentration(std::span<const double> map,
                                               std::span<const std::uint8_t> mask);

}  // namespace penumbra
