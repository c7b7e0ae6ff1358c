#pragma once
// Posterior predictive checks of an image posterior against its visibilities:
// does each sample (and the mean) fit the data as well as the noise says it
// should, and where in the uv plane does it not?
//
//  * χ² per uv-distance bin: equal-count bins of |uv|, the reduced χ²
//    (posterior_summary.hpp's definition) of each image's model visibilities in each
//    bin. A misfit of the large-scale structure shows in the short-baseline bins, a
//    misfit of the fine structure in the long ones.
//  * The residual dirty image (Jy/beam, natural weights) has per-pixel noise rms
//    1/√Σw when the weights are 1/σ² of each real part; the fraction of its pixels
//    beyond 3 of those is ≈ 0.27 % for a model that fits.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <span>
#include <vector>

namespace penumbra {

struct UvBins {
  std::vector<double> edges;       // nbins + 1 |uv| edges, wavelengths (first: the shortest, last: the longest)
  std::vector<std::int64_t> bin;   // per visibility, its bin
  std::vector<std::int64_t> count; // per bin
};
// Equal-count bins of |uv| (fewer when there are fewer visibilities than bins).
UvBins equal_count_uv_bins(std::span<const double> u, std::span<const double> v, int nbins);

// model complex [K, n], y complex [n], w [n] → [K, nbins] float64 reduced χ² per bin.
at::Tensor binned_reduced_chi2(const at::Tensor& model, const at::Tensor& y, const at::Tensor& w, const UvBins& bins);

// Per-pixel noise rms (Jy/beam) of a natural-weight dirty image of visibilities with weights 1/σ².
double dirty_noise_rms(std::span<const double> weight);
// Fraction of pixels with |value| > k·sigma.
double fraction_beyond(std::span<const double> image, double sigma, double k = 3.0);

// The range of the mean reduced χ² inside which a posterior is said to fit its data.
constexpr double kChi2FitLow = 0.8, kChi2FitHigh = 1.25;

}  // namespace penumbra
