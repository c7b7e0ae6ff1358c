#pragma once
// The truth image of a simulated observation: truth.fits (Jy/pixel, SIN WCS on the
// sky's grid, the sky's description in HISTORY) and truth.png, as `penumbra simulate`
// writes them for the demo and for its presets.
#include <filesystem>

#include "src/pipelines/observe.hpp"

namespace penumbra {

// Writes `dir`/truth.fits and `dir`/truth.png of `sky` at `freq_hz`.
void write_truth_image(const std::filesystem::path& dir, const SkyModel& sky, double freq_hz);

}  // namespace penumbra
