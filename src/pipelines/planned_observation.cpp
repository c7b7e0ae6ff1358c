#include "src/pipelines/planned_observation.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include "instruments/torch/nufft_operator.hpp"
#include "src/core/errors.hpp"
#include "src/diagnostics/posterior_summary.hpp"

namespace penumbra {

PlannedObservation::PlannedObservation(VisibilitySet vis, const ImageGrid& grid, double nufft_epsilon, int threads)
    : vis_(std::move(vis)),
      grid_(grid),
      epsilon_(nufft_epsilon),
      op_(std::make_shared<NufftOperator>(vis_.u, vis_.v, grid, nufft_epsilon, threads)) {}

DirtyImage PlannedObservation::dirty_image(std::span<const double> imaging_weight, bool make_psf) const {
  return make_dirty_image(*op_->plan_double(), vis_, imaging_weight, make_psf);
}

at::Tensor PlannedObservation::model_visibilities(const at::Tensor& images) const {
  return op_->apply(images.to(torch::kFloat64));
}

at::Tensor PlannedObservation::data() const {
  auto y = torch::empty({static_cast<std::int64_t>(vis_.size())}, torch::kComplexDouble);
  auto* p = y.data_ptr<c10::complex<double>>();
  for (std::size_t k = 0; k < vis_.size(); ++k) p[k] = c10::complex<double>(vis_.vis[k].real(), vis_.vis[k].imag());
  return y;
}

at::Tensor PlannedObservation::weights() const { return torch::tensor(vis_.weight, torch::kFloat64); }

at::Tensor PlannedObservation::reduced_chi2(const at::Tensor& images) const {
  auto y = data();
  auto w = weights();
  auto x = images.to(torch::kFloat64);
  std::vector<at::Tensor> chis;
  // 16 images at a time bound the memory of the model visibilities for large M.
  for (std::int64_t k = 0; k < x.size(0); k += 16)
    chis.push_back(::penumbra::reduced_chi2(
        model_visibilities(x.narrow(0, k, std::min<std::int64_t>(16, x.size(0) - k))), y, w));
  return torch::cat(chis);
}

double PlannedObservation::reduced_chi2(const std::vector<double>& image) const {
  if (image.size() != grid_.size())
    throw InternalError(fmt::format("reduced χ²: {} pixels for a {}x{} grid", image.size(), grid_.nx, grid_.ny));
  return reduced_chi2(image_tensor(image, grid_))[0].item<double>();
}

std::vector<double> PlannedObservation::residual_dirty_image(const std::vector<double>& image,
                                                             std::span<const double> imaging_weight) const {
  return residual_dirty_image(model_visibilities(image_tensor(image, grid_)).squeeze(0), imaging_weight);
}

std::vector<double> PlannedObservation::residual_dirty_image(const at::Tensor& model,
                                                             std::span<const double> imaging_weight) const {
  auto m = model.to(torch::kComplexDouble).contiguous();
  const auto* p = m.data_ptr<c10::complex<double>>();
  VisibilitySet r = vis_;
  for (std::size_t k = 0; k < r.size(); ++k) r.vis[k] -= std::complex<double>(p[k].real(), p[k].imag());
  return make_dirty_image(*op_->plan_double(), r, imaging_weight, false).dirty;
}

at::Tensor image_tensor(const std::vector<double>& image, const ImageGrid& grid) {
  return torch::from_blob(const_cast<double*>(image.data()), {1, grid.ny, grid.nx}, torch::kFloat64).clone();
}

std::vector<double> to_vector(const at::Tensor& t) {
  auto c = t.to(torch::kFloat64).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

}  // namespace penumbra
