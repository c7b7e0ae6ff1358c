#pragma once
// Coverage of central credible intervals estimated from K posterior samples
// without the finite-K bias of empirical quantiles.
//
// The interval between the empirical (1 − level)/2 and (1 + level)/2 quantiles of
// K samples holds a fresh draw of the same posterior with probability well below
// `level` when K is small: 0.60 and 0.84 instead of 0.68 and 0.95 at K = 16
// (linear interpolation between order statistics). Reading that as "the
// intervals are too narrow" blames a calibrated sampler for the estimator.
//
// The rank of the truth among the K samples is uniform on {0, …, K} when the truth
// and the samples come from the same distribution; spreading it uniformly over its
// cell, u = (rank + V)/(K + 1) with V ~ U(0, 1) is exactly U(0, 1). The coverage of
// one coordinate is the probability over V that u falls in the central interval
// [(1 − level)/2, (1 + level)/2], computed exactly rather than drawn, so its
// expectation under calibration is `level` for every K ≥ 1. Ties (truths equal to
// samples, e.g. exact zeros) spread the rank over every tied position.
#include <cstddef>

namespace penumbra {

// `below` samples strictly below the truth and `ties` equal to it, of `k` samples.
double rank_interval_coverage(std::size_t below, std::size_t ties, std::size_t k, double level);

// One coordinate: the truth against its k samples (any stride between them).
double rank_interval_coverage(const float* samples, std::size_t k, std::size_t stride, double truth, double level);

// The same from double samples.
double rank_interval_coverage(const double* samples, std::size_t k, std::size_t stride, double truth, double level);

// Checks that `level` lies in (0, 1); UsageError naming the credible level otherwise.
void require_credible_level(double level);

}  // namespace penumbra
