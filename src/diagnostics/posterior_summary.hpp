#pragma once
// Summaries of a stack of posterior samples: per-pixel mean, standard
// deviation and 16/50/84 % quantiles, the reduced χ² of model visibilities, and
// the comparison with a known truth (RMSE of the mean, and the fraction of
// truth pixels inside the central 68 % and 95 % credible intervals).
//
// samples [K, H, W] (any float dtype; computed in float64), truth [H, W].
#include <ATen/core/Tensor.h>

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
  double coverage_68 = 0;   // fraction of pixels with truth in [q16, q84] (sample quantiles)
  double coverage_95 = 0;   // fraction with truth in [q2.5, q97.5]
};
TruthComparison truth_comparison(const at::Tensor& samples, const PosteriorSummary& summary, const at::Tensor& truth);

}  // namespace penumbra
