#pragma once
// TARP expected coverage (Lemos et al. 2023, REFERENCE.md §2) and per-pixel
// credible-interval coverage, for calibration studies of posterior samplers.
//
// Samples of simulation j are n_j points in R^D (flattened images), row-major
// [n_j][D]; truths are [D]. Everything here is plain arrays: the coverage
// suite feeds it whatever produced the samples.
#include <cstdint>
#include <vector>

namespace penumbra {

struct CoverageSimulation {
  std::vector<float> samples;  // [n][D]
  std::vector<float> truth;    // [D]
  int n = 0;                   // number of samples
};

struct TarpResult {
  std::vector<double> alpha;      // credibility levels, 0..1
  std::vector<double> ecp;        // expected coverage at each α
  std::vector<double> ecp_low;    // bootstrap 2.5 % band
  std::vector<double> ecp_high;   // bootstrap 97.5 % band
  std::vector<double> f;          // per simulation: (samples closer to r_j than the truth + U(0,1)) / (K + 1)
  double max_abs_ecp_minus_alpha = 0;
  // What a calibrated sampler shows at the same N and α grid: max|ECP − α| of N
  // exact U(0, 1) values of f (a Kolmogorov–Smirnov statistic; mean ≈ 0.87/√N),
  // over 2000 seeded replicates: mean, 95 % quantile, and the fraction of replicates
  // at least as far from the diagonal as the observed curve (p-value of "calibrated").
  // At N = 100 the mean is ≈ 0.085: a goal of 0.05 is met by few calibrated samplers.
  double calibrated_mean = 0, calibrated_q95 = 0, p_value = 1;
};

struct CalibratedDeviation {
  double mean = 0, q95 = 0;
  std::vector<double> replicates;  // max|ECP − α| of each replicate, ascending
};
// The null distribution above, for `n_sims` simulations and `n_alpha` levels.
CalibratedDeviation calibrated_max_abs_deviation(std::size_t n_sims, int n_alpha, int replicates, std::uint64_t seed);

// How coordinates are scaled to [0, 1] before distances are taken (each reference
// point is uniform over the unit box):
//  * kPerCoordinate (the TARP paper's): each coordinate by its own range over all
//    samples and truths. Every pixel then weighs the same, including pixels where
//    truths are exactly 0 and the samples scatter by 1e-3 of the peak: for images
//    with empty background those dominate the distance.
//  * kGlobal: one range for all coordinates, so distances are in the image's own
//    units (flux) and a pixel weighs by how much it varies.
// Both are valid TARP tests (a calibrated posterior gives ECP(α) = α under either);
// they are sensitive to different failures.
enum class TarpNormalisation { kPerCoordinate, kGlobal };

// `n_alpha` levels on [0, 1]; `n_bootstrap` replicates resample the simulations
// with replacement, replicate b drawing from its own stream derive_seed(seed, b + 1);
// the reference points use stream 0.
TarpResult tarp_coverage(const std::vector<CoverageSimulation>& sims, std::uint64_t seed, int n_alpha = 101,
                         int n_bootstrap = 100, TarpNormalisation norm = TarpNormalisation::kPerCoordinate);

// Fraction of truth coordinates inside the central credible interval of level
// `level` (e.g. 0.68), pooled over simulations, estimated from the truth's rank among
// each coordinate's samples (src/diagnostics/interval_coverage.hpp): its expectation
// under calibration is `level` for any number of samples, where the interval between
// empirical quantiles covers less (0.60 / 0.84 for 68 / 95 % at 16 samples).
double credible_interval_coverage(const std::vector<CoverageSimulation>& sims, double level);

// The same with a test of "calibrated": simulations are independent while the pixels
// of one image are not, so the test is across simulations — each simulation's mean
// coverage over its pixels, whose expectation is `level` under calibration, and the
// two-sided p-value of their mean by the normal approximation to Student's t
// (meaningful from N ≈ 30 simulations; 1 below N = 2).
struct IntervalCoverage {
  double coverage = 0;                  // pooled over every coordinate of every simulation
  std::vector<double> per_simulation;   // mean over the coordinates of each simulation
  double z = 0, p_value = 1;            // (coverage − level) / standard error; two-sided p
};
IntervalCoverage credible_interval_coverage_test(const std::vector<CoverageSimulation>& sims, double level);

}  // namespace penumbra
