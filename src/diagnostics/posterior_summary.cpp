#include "src/diagnostics/posterior_summary.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include "src/core/errors.hpp"
#include "src/diagnostics/interval_coverage.hpp"

namespace penumbra {

namespace {
at::Tensor pixel_quantile(const at::Tensor& s, double q) { return torch::quantile(s, q, 0); }
}  // namespace

PosteriorSummary summarize_posterior(const at::Tensor& samples) {
  if (samples.dim() != 3 || samples.size(0) < 1)
    throw UsageError("posterior summary: samples must be [K, H, W] with K >= 1");
  auto s = samples.to(torch::kFloat64);
  PosteriorSummary out;
  out.mean = s.mean(0);
  out.std = s.size(0) > 1 ? s.std(0) : torch::zeros_like(out.mean);
  out.q16 = pixel_quantile(s, 0.16);
  out.q50 = pixel_quantile(s, 0.50);
  out.q84 = pixel_quantile(s, 0.84);
  return out;
}

at::Tensor reduced_chi2(const at::Tensor& model, const at::Tensor& y, const at::Tensor& w) {
  if (model.dim() != 2 || model.size(1) != y.numel() || y.numel() != w.numel())
    throw UsageError(fmt::format("reduced chi2: model must be [K, {}] like the data", y.numel()));
  auto r = model.to(torch::kComplexDouble) - y.to(torch::kComplexDouble).unsqueeze(0);
  auto c = (torch::abs(r).pow(2) * w.to(torch::kFloat64).unsqueeze(0)).sum(1);
  return c / (2.0 * static_cast<double>(y.numel()));
}

TruthComparison truth_comparison(const at::Tensor& samples, const PosteriorSummary& summary, const at::Tensor& truth) {
  auto s = samples.to(torch::kFloat64);
  auto t = truth.to(torch::kFloat64);
  if (t.sizes() != summary.mean.sizes())
    throw UsageError("truth comparison: truth and samples differ in shape");
  TruthComparison out;
  out.rmse = (summary.mean - t).pow(2).mean().sqrt().item<double>();
  // The rank estimator, not the empirical-quantile interval: with 16 samples the
  // latter holds a calibrated truth only 60 % / 84 % of the time.
  auto c = s.contiguous();
  const auto pixels = static_cast<std::size_t>(t.numel()), k = static_cast<std::size_t>(c.size(0));
  const double* sp = c.data_ptr<double>();
  auto tc = t.contiguous();
  const double* tp = tc.data_ptr<double>();
  const double emission = kEmissionFraction * t.max().item<double>();
  for (std::size_t p = 0; p < pixels; ++p) {
    const double c68 = rank_interval_coverage(sp + p, k, pixels, tp[p], 0.68);
    const double c95 = rank_interval_coverage(sp + p, k, pixels, tp[p], 0.95);
    out.coverage_68 += c68;
    out.coverage_95 += c95;
    if (tp[p] >= emission) {
      out.coverage_68_emission += c68;
      out.coverage_95_emission += c95;
      ++out.emission_pixels;
    }
  }
  out.coverage_68 /= pixels;
  out.coverage_95 /= pixels;
  if (out.emission_pixels > 0) {
    out.coverage_68_emission /= out.emission_pixels;
    out.coverage_95_emission /= out.emission_pixels;
  }
  return out;
}

}  // namespace penumbra
