#pragma once
// Gaussian likelihood of visibilities, the kernel the probabilistic layer
// wraps (no LibTorch here):
//
//   E(x)  = −log p(d | x) + const = ½ Σ_k w_k |(A x)_k − d_k|²
//   ∇E(x) = Re Aᴴ W (A x − d)            (the likelihood score is −∇E)
//
// A is the response, any LinearOperator<T> (instruments/linear_operator.hpp) —
// in imaging a NufftPlan<T> (instruments/nufft.hpp: (A x)_k = Σ_j x_j
// exp(−2πi(u_k l_j + v_k m_j)), (Aᴴ y)_j = Re Σ_k y_k exp(+2πi(...))) — x a real
// image in Jy/pixel, d the visibilities (Jy, internal sign convention) and
// w = 1/σ² the thermal weights, σ the rms of Re and of Im of each visibility
// (so ½ w |r|² is exactly the Gaussian −log density of both parts).
//
// Batched: `images` holds B contiguous images of the response's input ([b][y][x]),
// and the energy / gradient of each is computed in turn (the response is reused;
// one call at a time, like the response). Energies are accumulated in double
// whatever T is.
#include <complex>
#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "instruments/linear_operator.hpp"

namespace penumbra {

template <class T>  // float or double
class GaussianVisibilityLikelihood {
 public:
  // data and weight have response->output_size() entries (UsageError otherwise);
  // weights must be finite and ≥ 0, data finite (DataError naming the index otherwise).
  GaussianVisibilityLikelihood(std::shared_ptr<const LinearOperator<T>> response,
                               std::span<const std::complex<double>> data, std::span<const double> weight);

  std::size_t image_size() const { return npix_; }
  std::size_t nvis() const { return data_.size(); }
  const LinearOperator<T>& response() const { return *response_; }

  // energies.size() == B == images.size() / image_size().
  void energy(std::span<const T> images, std::span<double> energies) const;
  // grad has the shape of images; energies (optional, size B) filled when non-empty.
  void gradient(std::span<const T> images, std::span<T> grad, std::span<double> energies = {}) const;
  // Σ w_k |d_k|²: the energy of the zero image, times 2.
  double data_norm2() const { return data_norm2_; }

 private:
  std::size_t batch_of(std::size_t nvalues, const char* what) const;
  std::shared_ptr<const LinearOperator<T>> response_;
  std::vector<std::complex<T>> data_;
  std::vector<T> weight_;
  std::size_t npix_ = 0;
  double data_norm2_ = 0;
};

extern template class GaussianVisibilityLikelihood<float>;
extern template class GaussianVisibilityLikelihood<double>;

}  // namespace penumbra
