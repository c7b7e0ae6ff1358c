#pragma once
// Galaxy Zoo-like galaxies in colour: the procedural galaxy generator's
// morphologies (src/datasets/galaxy_generator.hpp) widened to the classes
// volunteers are asked about: bulge-dominated ellipticals, lenticulars, spirals,
// rings, and mergers (a companion), rendered in the three DECaLS bands g, r, z.
//
// Colours follow stellar populations: the bulge and bar are red (old stars), the
// smooth disk is in between, arms, rings and star-forming clumps are blue; a
// companion has its own colour. Dust dims g more than r more than z
// (transmission T^k with k = 1.4, 1, 0.6), so lanes redden what they cover.
//
// Normalisation ("peak", as the grey generator): each noiseless image is blurred
// by the PSF, then scaled so that its brightest pixel over all bands is the
// galaxy's `peak`; the noise σ = noise·peak is added to every band.
//
// Galaxy i of a set seeded `seed` is drawn from make_rng(seed, i), so items are
// independent of the thread or order that makes them.
#include <string>
#include <vector>

#include "src/core/rng.hpp"
#include "src/datasets/galaxy_generator.hpp"

namespace penumbra {

inline constexpr int kColourBands = 3;  // g, r, z
inline const char* const kColourBandNames = "g,r,z";

// The kind a Galaxy Zoo galaxy was drawn as (the volunteers only see the image).
enum class GalaxyKind : int { kElliptical = 0, kLenticular = 1, kSpiral = 2 };

// One galaxy: the grey generator's draw (spiral or plain disk), turned into an
// elliptical (30 %) or a lenticular (15 %), then a ring (20 % of disks) and a
// companion (12 %) added. `kind` (may be null) receives the kind.
GalaxyParams sample_gz_galaxy(Rng& rng, const GalaxyOptions& opt, GalaxyKind* kind = nullptr);

// [3][size][size] (g, r, z), blurred, peak-normalised and noised from `rng`.
std::vector<float> render_colour_galaxy(const GalaxyParams& p, const GalaxyOptions& opt, Rng& rng);

// Per-band weight of each component (relative to r = 1), for docs and tests.
struct BandColours {
  double bulge[3], disk[3], arms[3], bar[3], clumps[3], ring[3];
};
const BandColours& band_colours();

}  // namespace penumbra
