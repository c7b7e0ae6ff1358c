#include "priors/gaussian_image_model.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include "src/core/checks.hpp"
#include "src/core/errors.hpp"

namespace penumbra {

GaussianImageModel GaussianImageModel::fit(const at::Tensor& images, std::int64_t max_rank) {
  if (images.dim() != 3 || images.size(0) < 2)
    throw UsageError(fmt::format("Gaussian image model: images must be [N, H, W] with N >= 2; got {}",
                                 c10::str(images.sizes())));
  require_non_negative("Gaussian image model rank", max_rank);
  const auto n = images.size(0);
  auto x = images.to(torch::kFloat64).reshape({n, -1});
  GaussianImageModel g;
  auto mu = x.mean(0);
  g.mean_ = mu.reshape({images.size(1), images.size(2)});
  // Thin SVD of the centred data: rows of Vᵀ are the principal directions.
  auto svd = torch::linalg::svd(x - mu, /*full_matrices=*/false, c10::nullopt);
  auto s = std::get<1>(svd), vh = std::get<2>(svd);
  std::int64_t k = std::min<std::int64_t>(n - 1, s.size(0));
  if (max_rank > 0) k = std::min(k, max_rank);
  g.components_ = vh.slice(0, 0, k).contiguous();
  g.eigenvalues_ = (s.slice(0, 0, k).square() / double(n - 1)).contiguous();
  return g;
}

double GaussianImageModel::total_flux_variance() const {
  auto proj = components_.sum(1);  // the all-ones direction in each component
  return (eigenvalues_ * proj.square()).sum().item<double>();
}

at::Tensor GaussianImageModel::score(const at::Tensor& x, double sigma) const {
  require_positive("noise level", sigma);
  return score(x, torch::full({x.dim() == 3 ? x.size(0) : 1}, sigma, torch::kFloat64));
}

at::Tensor GaussianImageModel::score(const at::Tensor& x, const at::Tensor& sigma) const {
  if (empty()) throw UsageError("Gaussian image model: not fitted");
  if (x.dim() != 3 || x.size(1) != height() || x.size(2) != width())
    throw UsageError(fmt::format("Gaussian image model: x must be [B, {}, {}]; got {}", height(), width(),
                                 c10::str(x.sizes())));
  if (sigma.numel() != x.size(0))
    throw UsageError(fmt::format("Gaussian image model: {} noise levels for {} images", sigma.numel(), x.size(0)));
  auto s2 = sigma.to(torch::kFloat64).reshape({-1, 1}).square();
  if (!(s2.min().item<double>() > 0)) throw UsageError("Gaussian image model: noise levels must be > 0");
  auto r = (x.to(torch::kFloat64) - mean_).reshape({x.size(0), -1});
  auto c = torch::matmul(r, components_.t()) * (eigenvalues_ / (eigenvalues_ + s2));
  auto s = -(r - torch::matmul(c, components_)) / s2;
  return s.reshape(x.sizes()).to(x.scalar_type());
}

at::Tensor GaussianImageModel::denoise(const at::Tensor& x, double sigma) const {
  return x + sigma * sigma * score(x, sigma);
}

}  // namespace penumbra
