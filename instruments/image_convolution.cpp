#include "instruments/image_convolution.hpp"

#include <fftw3.h>
#include <fmt/format.h>

#include <algorithm>
#include <mutex>

#include "instruments/es_kernel.hpp"
#include "instruments/fftw_setup.hpp"
#include "src/core/errors.hpp"

namespace penumbra {

struct FftConvolver::Plans {
  fftw_plan forward = nullptr, backward = nullptr;
};

FftConvolver::FftConvolver(int nx, int ny, int max_half_width)
    : nx_(nx), ny_(ny), hmax_(max_half_width), plans_(std::make_unique<Plans>()) {
  if (nx <= 0 || ny <= 0 || max_half_width < 0)
    throw UsageError(fmt::format("FftConvolver: need a positive image size and h ≥ 0 (got {}x{}, h {})", nx, ny,
                                 max_half_width));
  // n + h is enough (see the header); the next 2·3·5·7-smooth size keeps the FFT fast.
  mx_ = nufft_detail::next_fft_size(nx + max_half_width);
  my_ = nufft_detail::next_fft_size(ny + max_half_width);
  real_.assign(static_cast<std::size_t>(mx_) * my_, 0.0);
  spec_.assign(static_cast<std::size_t>(my_) * (mx_ / 2 + 1), 0.0);
  fftw_init();
  std::lock_guard<std::mutex> lock(fftw_planner_lock());
  // ESTIMATE: a plan per run and sizes that change with the scales; MEASURE would
  // cost more than the few hundred transforms a CLEAN run makes.
  auto* spec = reinterpret_cast<fftw_complex*>(spec_.data());
  plans_->forward = fftw_plan_dft_r2c_2d(my_, mx_, real_.data(), spec, FFTW_ESTIMATE);
  plans_->backward = fftw_plan_dft_c2r_2d(my_, mx_, spec, real_.data(), FFTW_ESTIMATE);
  if (!plans_->forward || !plans_->backward) throw InternalError("FftConvolver: FFTW could not make a plan");
}

FftConvolver::~FftConvolver() {
  std::lock_guard<std::mutex> lock(fftw_planner_lock());
  if (plans_->forward) fftw_destroy_plan(plans_->forward);
  if (plans_->backward) fftw_destroy_plan(plans_->backward);
}

int FftConvolver::add_kernel(std::span<const double> kernel, int h) {
  const std::size_t side = 2 * static_cast<std::size_t>(std::max(h, 0)) + 1;
  if (h < 0 || h > hmax_ || kernel.size() != side * side)
    throw UsageError(fmt::format("FftConvolver: kernel of {} values with half-width {} (largest allowed {})",
                                 kernel.size(), h, hmax_));
  std::fill(real_.begin(), real_.end(), 0.0);
  // Centre (h, h) goes to index 0; negative offsets wrap to the end of each axis.
  for (int dy = -h; dy <= h; ++dy)
    for (int dx = -h; dx <= h; ++dx) {
      const int y = (dy + my_) % my_, x = (dx + mx_) % mx_;
      real_[static_cast<std::size_t>(y) * mx_ + x] = kernel[(dy + h) * side + (dx + h)];
    }
  fftw_execute(plans_->forward);
  const double norm = 1.0 / (static_cast<double>(mx_) * my_);  // FFTW's c2r is unnormalised
  std::vector<std::complex<double>> k(spec_.size());
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = spec_[i] * norm;
  kernels_.push_back(std::move(k));
  return static_cast<int>(kernels_.size()) - 1;
}

void FftConvolver::convolve(std::span<const double> in, int kernel, std::span<double> out) {
  const std::size_t n = static_cast<std::size_t>(nx_) * ny_;
  if (in.size() != n || out.size() != n || kernel < 0 || kernel >= static_cast<int>(kernels_.size()))
    throw UsageError("FftConvolver::convolve: image size or kernel index does not match");
  std::fill(real_.begin(), real_.end(), 0.0);
  for (int y = 0; y < ny_; ++y)
    std::copy_n(in.data() + static_cast<std::size_t>(y) * nx_, nx_, real_.data() + static_cast<std::size_t>(y) * mx_);
  fftw_execute(plans_->forward);
  const auto& k = kernels_[kernel];
  for (std::size_t i = 0; i < spec_.size(); ++i) spec_[i] *= k[i];
  fftw_execute(plans_->backward);
  for (int y = 0; y < ny_; ++y)
    std::copy_n(real_.data() + static_cast<std::size_t>(y) * mx_, nx_, out.data() + static_cast<std::size_t>(y) * nx_);
}

}  // namespace penumbra
