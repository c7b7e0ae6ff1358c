#pragma once
// Data selection applied while reading visibilities: a uv range, and time and
// channel averaging with weights combined as inverse variances (the weighted
// mean of the visibilities, weights summed, flagged samples left out), plus
// the amplitude that averaging costs a source at the field edge (smearing).
#include <cstddef>
#include <optional>
#include <string>

#include "src/core/observation.hpp"

namespace penumbra {

// A uv distance as CASA's uvrange and WSClean's -minuv-l/-maxuv-l give it: in
// wavelengths ("50klambda", "2.5Mλ", "800lambda", or a bare number) or as a
// projected baseline length ("10m", "1.2km").
struct UvDistance {
  double value = 0;
  bool wavelengths = true;
};
// Throws UsageError naming `what` for text that is not a non-negative distance.
UvDistance parse_uv_distance(const std::string& text, const std::string& what);
std::string format_uv_distance(const UvDistance& d);

struct UvRange {
  std::optional<UvDistance> min, max;
  bool active() const { return min || max; }
  std::string describe() const;  // e.g. "50 kλ – 2000 kλ"
};

// Flags every sample whose |uv| lies outside the range: limits in wavelengths
// at each channel's own frequency (u = uvw·ν/c), limits in metres on the
// projected baseline. Returns how many unflagged samples it flagged.
std::size_t flag_outside_uv_range(Observation& obs, const UvRange& range);

// Groups of `n` adjacent channels (the last group may be smaller) averaged into
// one channel at the group's mean frequency.
Observation average_channels(const Observation& obs, std::size_t n);
// Rows of one baseline whose times fall in the same `seconds`-long bin
// (counted from the first time) averaged into one row at their mean time and
// uvw. Needs per-row times and antennas (DataError naming `where` otherwise).
Observation average_time(const Observation& obs, double seconds, const std::string& where);

// Fractional amplitude loss of a point source at angular radius `radius`
// (radians) seen on a baseline of `uv` wavelengths: averaging over a channel
// of fractional width Δν/ν, or over `seconds` of Earth rotation (the uv point
// moving perpendicular to the source offset, the worst case).
double bandwidth_smearing_loss(double uv, double fractional_width, double radius);
double time_smearing_loss(double uv, double seconds, double radius);

}  // namespace penumbra
