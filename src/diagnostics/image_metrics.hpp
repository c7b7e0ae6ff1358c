#pragma once
// Image-quality metrics against a known truth, for the baseline comparison
// (penumbra compare) and the studies. Images are [ny][nx] row-major, both in
// Jy/pixel (convert Jy/beam images first: divide by the beam area in pixels).
#include <span>
#include <string>

namespace penumbra {

// √mean((image − truth)²), Jy/pixel.
double image_rmse(std::span<const double> image, std::span<const double> truth);

// Mean structural similarity (Wang et al. 2004): 11×11 Gaussian window of
// σ = 1.5 pixels (truncated at the image edge and renormalised), constants
// C1 = (0.01·L)², C2 = (0.03·L)² with L the truth's dynamic range max − min
// (L = 1 for a flat truth). 1 for identical images.
double image_ssim(std::span<const double> image, std::span<const double> truth, int nx, int ny);

// (Σ image − Σ truth) / Σ truth: relative total-flux error (signed). UsageError
// when the truth's total flux is 0.
double total_flux_error(std::span<const double> image, std::span<const double> truth);

}  // namespace penumbra
