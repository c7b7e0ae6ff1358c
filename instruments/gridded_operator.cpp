#include "instruments/gridded_operator.hpp"

#include <fftw3.h>
#include <fmt/format.h>

#include <algorithm>
#include <mutex>
#include <type_traits>

#include "instruments/fftw_setup.hpp"
#include "instruments/gridded_visibilities.hpp"
#include "src/core/errors.hpp"

namespace penumbra {
namespace {

// An in-place complex 2-D FFTW plan in float or double.
template <class T>
using fft_plan_t = std::conditional_t<std::is_same_v<T, float>, fftwf_plan, fftw_plan>;

template <class T>
fft_plan_t<T> plan_fft2d(int rows, int cols, std::complex<T>* data, int sign) {
  if constexpr (std::is_same_v<T, float>) {
    auto* d = reinterpret_cast<fftwf_complex*>(data);
    return fftwf_plan_dft_2d(rows, cols, d, d, sign, FFTW_ESTIMATE);
  } else {
    auto* d = reinterpret_cast<fftw_complex*>(data);
    return fftw_plan_dft_2d(rows, cols, d, d, sign, FFTW_ESTIMATE);
  }
}
template <class P>
void execute_plan(P p) {
  if constexpr (std::is_same_v<P, fftwf_plan>) fftwf_execute(p);
  else fftw_execute(p);
}
template <class P>
void destroy_plan(P p) {
  if constexpr (std::is_same_v<P, fftwf_plan>) fftwf_destroy_plan(p);
  else fftw_destroy_plan(p);
}

}  // namespace

template <class T>
struct GriddedOperator<T>::Impl {
  ImageGrid image;
  int mx = 0, my = 0;
  std::vector<std::size_t> cell_of_pixel;  // padded-grid index of each image pixel (rolled)
  std::vector<std::complex<T>> buffer;     // my × mx, the plans' array
  fft_plan_t<T> forward = nullptr, backward = nullptr;

  ~Impl() {
    std::lock_guard<std::mutex> lock(fftw_planner_lock());
    for (auto p : {forward, backward})
      if (p) destroy_plan(p);
  }
};

template <class T>
GriddedOperator<T>::GriddedOperator(const ImageGrid& image, int padded_nx, int padded_ny)
    : impl_(std::make_unique<Impl>()) {
  image.validate();
  if (padded_nx < image.nx || padded_ny < image.ny)
    throw UsageError(fmt::format("gridded operator: the uv grid {}x{} must be at least the image size {}x{}",
                                 padded_nx, padded_ny, image.nx, image.ny));
  Impl& p = *impl_;
  p.image = image;
  p.mx = padded_nx;
  p.my = padded_ny;
  p.cell_of_pixel.resize(image.size());
  for (int y = 0; y < image.ny; ++y)
    for (int x = 0; x < image.nx; ++x) {
      const int gy = (y - image.ny / 2 + p.my) % p.my, gx = (x - image.nx / 2 + p.mx) % p.mx;
      p.cell_of_pixel[static_cast<std::size_t>(y) * image.nx + x] = static_cast<std::size_t>(gy) * p.mx + gx;
    }
  p.buffer.assign(static_cast<std::size_t>(p.mx) * p.my, 0);
  fftw_init();
  std::lock_guard<std::mutex> lock(fftw_planner_lock());
  p.forward = plan_fft2d<T>(p.my, p.mx, p.buffer.data(), FFTW_FORWARD);
  p.backward = plan_fft2d<T>(p.my, p.mx, p.buffer.data(), FFTW_BACKWARD);
  if (!p.forward || !p.backward)
    throw InternalError(fmt::format("gridded operator: FFTW could not plan a {}x{} transform", p.mx, p.my));
}

template <class T>
GriddedOperator<T>::~GriddedOperator() = default;

template <class T>
OperatorShape GriddedOperator<T>::shape() const {
  return {static_cast<std::size_t>(impl_->image.ny), static_cast<std::size_t>(impl_->image.nx),
          impl_->buffer.size()};
}

template <class T>
void GriddedOperator<T>::apply(std::span<const T> image, std::span<std::complex<T>> cells) const {
  Impl& p = *impl_;
  if (image.size() != p.cell_of_pixel.size() || cells.size() != p.buffer.size())
    throw UsageError(fmt::format("gridded operator: {} pixels and {} cells given; expected {} and {}", image.size(),
                                 cells.size(), p.cell_of_pixel.size(), p.buffer.size()));
  std::fill(p.buffer.begin(), p.buffer.end(), std::complex<T>(0));
  for (std::size_t j = 0; j < image.size(); ++j) p.buffer[p.cell_of_pixel[j]] = image[j];
  execute_plan(p.forward);
  std::copy(p.buffer.begin(), p.buffer.end(), cells.begin());
}

template <class T>
void GriddedOperator<T>::adjoint(std::span<const std::complex<T>> cells, std::span<T> image) const {
  Impl& p = *impl_;
  if (image.size() != p.cell_of_pixel.size() || cells.size() != p.buffer.size())
    throw UsageError(fmt::format("gridded operator adjoint: {} cells and {} pixels given; expected {} and {}",
                                 cells.size(), image.size(), p.buffer.size(), p.cell_of_pixel.size()));
  std::copy(cells.begin(), cells.end(), p.buffer.begin());
  execute_plan(p.backward);
  for (std::size_t j = 0; j < image.size(); ++j) image[j] = p.buffer[p.cell_of_pixel[j]].real();
}

template <class T>
typename GriddedOperator<T>::CellCentres GriddedOperator<T>::cell_centres() const {
  const Impl& p = *impl_;
  const double du = 1.0 / (p.mx * p.image.cell), dv = 1.0 / (p.my * p.image.cell);
  CellCentres c{std::vector<double>(p.buffer.size()), std::vector<double>(p.buffer.size())};
  for (std::size_t i = 0; i < p.buffer.size(); ++i) {
    c.u[i] = -GriddedVisibilities::signed_frequency(static_cast<int>(i % p.mx), p.mx) * du;
    c.v[i] = GriddedVisibilities::signed_frequency(static_cast<int>(i / p.mx), p.my) * dv;
  }
  return c;
}

template class GriddedOperator<float>;
template class GriddedOperator<double>;

}  // namespace penumbra
