#include "src/diagnostics/predictive_checks.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "src/core/errors.hpp"

namespace penumbra {

UvBins equal_count_uv_bins(std::span<const double> u, std::span<const double> v, int nbins) {
  const std::size_t n = u.size();
  if (n == 0 || v.size() != n || nbins < 1)
    throw UsageError(fmt::format("uv bins: {} u, {} v, {} bins", u.size(), v.size(), nbins));
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  auto q = [&](std::size_t k) { return std::hypot(u[k], v[k]); };
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return q(a) < q(b); });
  const auto nb = static_cast<std::size_t>(std::min<std::size_t>(static_cast<std::size_t>(nbins), n));
  UvBins b;
  b.bin.assign(n, 0);
  b.count.assign(nb, 0);
  b.edges.push_back(q(order.front()));
  for (std::size_t i = 0; i < nb; ++i) {
    const std::size_t lo = i * n / nb, hi = (i + 1) * n / nb;
    for (std::size_t r = lo; r < hi; ++r) b.bin[order[r]] = static_cast<std::int64_t>(i);
    b.count[i] = static_cast<std::int64_t>(hi - lo);
    b.edges.push_back(q(order[hi - 1]));
  }
  return b;
}

at::Tensor binned_reduced_chi2(const at::Tensor& model, const at::Tensor& y, const at::Tensor& w, const UvBins& bins) {
  if (model.dim() != 2 || model.size(1) != y.numel() || y.numel() != w.numel() ||
      static_cast<std::size_t>(y.numel()) != bins.bin.size())
    throw UsageError(fmt::format("binned chi2: model must be [K, {}] like the data and its bins", y.numel()));
  auto r = model.to(torch::kComplexDouble) - y.to(torch::kComplexDouble).unsqueeze(0);
  auto c = torch::abs(r).pow(2) * w.to(torch::kFloat64).unsqueeze(0);  // [K, n]
  const auto nb = static_cast<std::int64_t>(bins.count.size());
  auto index = torch::tensor(bins.bin, torch::kLong).unsqueeze(0).expand_as(c);
  auto sums = torch::zeros({c.size(0), nb}, torch::kFloat64).scatter_add_(1, index, c);
  auto counts = torch::tensor(bins.count, torch::kFloat64).unsqueeze(0);
  return sums / (2.0 * counts);
}

double dirty_noise_rms(std::span<const double> weight) {
  const double sum = std::accumulate(weight.begin(), weight.end(), 0.0);
  if (!(sum > 0)) throw DataError("dirty noise rms: the weights sum to zero");
  // Var Re(Σ w_k n_k e^{iφ}) / (Σw)² = Σ w_k² (1/w_k) / (Σw)² = 1/Σw.
  return 1.0 / std::sqrt(sum);
}

double fraction_beyond(std::span<const double> image, double sigma, double k) {
  if (image.empty()) return 0.0;
  const auto n = std::count_if(image.begin(), image.end(), [&](double p) { return std::abs(p) > k * sigma; });
  return static_cast<double>(n) / static_cast<double>(image.size());
}

}  // namespace penumbra
