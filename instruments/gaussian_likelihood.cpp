#include "instruments/gaussian_likelihood.hpp"

#include <fmt/format.h>

#include <cmath>

#include "src/core/errors.hpp"

namespace penumbra {

template <class T>
GaussianVisibilityLikelihood<T>::GaussianVisibilityLikelihood(std::shared_ptr<const LinearOperator<T>> response,
                                                              std::span<const std::complex<double>> data,
                                                              std::span<const double> weight)
    : response_(std::move(response)) {
  if (!response_) throw UsageError("Gaussian likelihood: no operator plan given");
  npix_ = response_->input_size();
  if (data.size() != response_->output_size() || weight.size() != response_->output_size())
    throw UsageError(fmt::format("Gaussian likelihood: {} data and {} weights for an operator of {} visibilities",
                                 data.size(), weight.size(), response_->output_size()));
  data_.resize(data.size());
  weight_.resize(weight.size());
  for (std::size_t k = 0; k < data.size(); ++k) {
    if (!std::isfinite(data[k].real()) || !std::isfinite(data[k].imag()))
      throw DataError(fmt::format("Gaussian likelihood: visibility {} is not finite ({}, {})", k, data[k].real(),
                                  data[k].imag()));
    if (!std::isfinite(weight[k]) || weight[k] < 0)
      throw DataError(fmt::format("Gaussian likelihood: weight {} of visibility {} is not finite and ≥ 0", weight[k], k));
    data_[k] = std::complex<T>(static_cast<T>(data[k].real()), static_cast<T>(data[k].imag()));
    weight_[k] = static_cast<T>(weight[k]);
    data_norm2_ += weight[k] * std::norm(data[k]);
  }
}

template <class T>
std::size_t GaussianVisibilityLikelihood<T>::batch_of(std::size_t nvalues, const char* what) const {
  if (npix_ == 0 || nvalues % npix_ != 0)
    throw UsageError(fmt::format("Gaussian likelihood {}: {} values are not a whole number of {}-pixel images", what,
                                 nvalues, npix_));
  return nvalues / npix_;
}

template <class T>
void GaussianVisibilityLikelihood<T>::energy(std::span<const T> images, std::span<double> energies) const {
  const std::size_t batch = batch_of(images.size(), "energy");
  if (energies.size() != batch)
    throw UsageError(fmt::format("Gaussian likelihood energy: {} outputs for {} images", energies.size(), batch));
  std::vector<std::complex<T>> model(nvis());
  for (std::size_t b = 0; b < batch; ++b) {
    response_->apply(images.subspan(b * npix_, npix_), model);
    double e = 0;
    for (std::size_t k = 0; k < model.size(); ++k) e += static_cast<double>(weight_[k]) * std::norm(model[k] - data_[k]);
    energies[b] = 0.5 * e;
  }
}

template <class T>
void GaussianVisibilityLikelihood<T>::gradient(std::span<const T> images, std::span<T> grad,
                                               std::span<double> energies) const {
  const std::size_t batch = batch_of(images.size(), "gradient");
  if (grad.size() != images.size())
    throw UsageError(fmt::format("Gaussian likelihood gradient: output has {} values for {} inputs", grad.size(),
                                 images.size()));
  if (!energies.empty() && energies.size() != batch)
    throw UsageError(fmt::format("Gaussian likelihood gradient: {} energy outputs for {} images", energies.size(), batch));
  std::vector<std::complex<T>> r(nvis());
  for (std::size_t b = 0; b < batch; ++b) {
    response_->apply(images.subspan(b * npix_, npix_), r);
    double e = 0;
    for (std::size_t k = 0; k < r.size(); ++k) {
      r[k] -= data_[k];
      if (!energies.empty()) e += static_cast<double>(weight_[k]) * std::norm(r[k]);
      r[k] *= weight_[k];
    }
    response_->adjoint(r, grad.subspan(b * npix_, npix_));
    if (!energies.empty()) energies[b] = 0.5 * e;
  }
}

template class GaussianVisibilityLikelihood<float>;
template class GaussianVisibilityLikelihood<double>;

}  // namespace penumbra
