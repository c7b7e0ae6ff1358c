#pragma once
// One observation on one image grid with one NUFFT operator that every step of
// a run shares: the dirty image, the exact likelihood, the χ² of the samples
// and the residual image. A plan costs FFTW planning and a sort of the uv points
// (seconds for millions of visibilities), and a run used to build five for the
// same (points, grid, ε). The operator builds its float64 plan on first use and
// its float32 plan only if a float32 likelihood asks for it.
#include <ATen/core/Tensor.h>

#include <memory>
#include <span>
#include <vector>

#include "instruments/dirty_image.hpp"
#include "src/core/image_grid.hpp"
#include "src/core/observation.hpp"

namespace penumbra {

class NufftOperator;

class PlannedObservation {
 public:
  // vis validated by the caller; ε: the run's NUFFT accuracy; threads 0: thread_count().
  PlannedObservation(VisibilitySet vis, const ImageGrid& grid, double nufft_epsilon, int threads = 0);

  const VisibilitySet& vis() const { return vis_; }
  const ImageGrid& grid() const { return grid_; }
  double nufft_epsilon() const { return epsilon_; }
  const std::shared_ptr<const NufftOperator>& op() const { return op_; }

  // Dirty image and PSF (instruments/dirty_image.hpp) with the given imaging weights.
  DirtyImage dirty_image(std::span<const double> imaging_weight, bool make_psf = true) const;
  // The data y (complex128 [M]) and weights w (float64 [M]) as tensors.
  at::Tensor data() const;
  at::Tensor weights() const;
  // Model visibilities A·x of images [K, ny, nx] (Jy/pixel) → complex128 [K, M].
  at::Tensor model_visibilities(const at::Tensor& images) const;
  // χ²_red of each image of `images` [K, ny, nx] (Jy/pixel; diagnostics/posterior_summary.hpp) → [K] float64.
  at::Tensor reduced_chi2(const at::Tensor& images) const;
  double reduced_chi2(const std::vector<double>& image) const;  // one [ny][nx] image
  // Dirty image (Jy/beam) of the residual visibilities vis − A·image.
  std::vector<double> residual_dirty_image(const std::vector<double>& image,
                                           std::span<const double> imaging_weight) const;
  // The same from an image's model visibilities (complex128 [M]) already at hand.
  std::vector<double> residual_dirty_image(const at::Tensor& model, std::span<const double> imaging_weight) const;

 private:
  VisibilitySet vis_;
  ImageGrid grid_;
  double epsilon_;
  std::shared_ptr<const NufftOperator> op_;
};

// [ny][nx] pixels ↔ tensors, for the pipelines' writers.
at::Tensor image_tensor(const std::vector<double>& image, const ImageGrid& grid);  // [1, ny, nx] float64
std::vector<double> to_vector(const at::Tensor& t);                               // float64, row-major

}  // namespace penumbra
