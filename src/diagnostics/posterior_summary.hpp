#pragma once
// Summaries of a stack of posterior samples: per-pixel mean, standard
// deviation and 16/50/84 % quantiles, the reduced χ² of model visibilities, and
// the comparison with a known truth (RMSE of the mean, and the fraction of
// truth pixels inside the central 68 % and 95 % credible intervals, rank estimator).
//
// samples [K, H, W] (any float dtype; computed in float64), truth [H, W].
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace penumbra {

struct PosteriorSummary {
  at::Tensor mean, std, q16, q50, q84;  // [H, W] float64; std with Bessel's correction (0 for K = 1)
};
PosteriorSummary summarize_posterior(const at::Tensor& samples);

// χ²_red = Σ_k w_k |y_k − m_k|² / (2·n): each complex visibility carries two
// real degrees of freedom with variance 1/w_k each, so χ²_red → 1 for the truth.
// model complex [K, n], y complex [n], w [n] → [K] float64.
at::Tensor reduced_chi2(const at::Tensor& model, const at::Tensor& y, const at::Tensor& w);

struct TruthComparison {
  double rmse = 0;          // √mean((mean − truth)²)
  // Fraction of pixels whose truth lies in the central 68 % / 95 % credible interval,
  // from the truth's rank among the samples (diagnostics/interval_coverage.hpp):
  // unbiased for any number of samples, unlike counting pixels inside [q16, q84].
  double coverage_68 = 0;
  double coverage_95 = 0;
  // The same over the emission alone (truth ≥ kEmissionFraction of its peak): a sky
  // that is exactly zero outside the source lies at the centre of any spread the
  // samples have there, so whole-image coverage grows with the empty area.
  double coverage_68_emission = 0;
  double coverage_95_emission = 0;
  std::int64_t emission_pixels = 0;
};
constexpr double kEmissionFraction = 1e-3;
TruthComparison truth_comparison(const at::Tensor& samples, const PosteriorSummary& summary, const at::Tensor& truth);

}  // namespace penumbra
