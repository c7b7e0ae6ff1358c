#pragma once
// Prior ⊕ likelihood ⊕ sampler for one observation, built once on the run's
// PlannedObservation, and K posterior samples in Jy/pixel drawn from it in
// seeded batches (sample_batches). sample_observation does both in one call
// for the studies (coverage, compare).
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "samplers/sampler.hpp"
#include "src/pipelines/posterior_settings.hpp"
#include "src/pipelines/prior_registry.hpp"

namespace penumbra {

class PlannedObservation;
class Progress;

// Beam area in pixels from a PSF (peak 1): the area of a Gaussian main lobe,
// (pixels above half maximum)/ln 2.
double psf_beam_area_pixels(const std::vector<double>& psf);
// Peak brightness estimate (Jy/pixel) from a dirty image (Jy/beam) and its PSF:
// dirty peak / beam area. DataError naming `where` when the dirty image has no positive peak.
double dirty_peak_jy_per_pixel(const std::vector<double>& dirty, const std::vector<double>& psf,
                               const std::string& where);
// A peak-normalised prior (units.scale 0) gets its Jy/pixel scale from the data:
// the dirty-peak estimate above. Returns where the scale came from ("prior" when
// it was already set), for logs and summaries.
std::string set_units_from_dirty(PixelUnits& units, const std::vector<double>& dirty, const std::vector<double>& psf,
                                 const std::string& where);

struct PosteriorModel {
  std::shared_ptr<const Likelihood> likelihood;
  std::shared_ptr<const Posterior> posterior;
  std::shared_ptr<const Sampler> sampler;
  PixelUnits units;
  int size = 0;                     // image side N
  std::int64_t gridded_cells = 0;   // convolved likelihood: occupied cells of the padded uv grid (else 0)
  std::string describe() const;     // posterior + sampler description
};
// `prior.units.scale` must be set (> 0): the prior's own, a given flux scale, or set_units_from_dirty.
PosteriorModel make_posterior_model(const PlannedObservation& obs, const PipelinePrior& prior,
                                    const PosteriorSettings& settings);

struct BatchHooks {
  std::int64_t first_batch = 0;  // resume: batches before this one were drawn earlier and are not redrawn
  Progress* progress = nullptr;  // ticked once per sampler step
  std::int64_t* solver_iterations = nullptr;  // when set: += the linear-solver (CG) iterations of every step
  // After batch b with its samples [nb, N, N] float64 Jy/pixel (a caller's
  // checkpoint); returning false stops before the next batch.
  std::function<bool(std::int64_t b, const at::Tensor& samples)> on_batch;
};
// UsageError unless nsamples and batch are ≥ 1.
std::int64_t batch_count(std::int64_t nsamples, std::int64_t batch);
// Draws batches first_batch, first_batch+1, … of `batch` chains (the last one
// smaller) until `nsamples` or until on_batch says stop; batch b uses stream
// derive_seed(seed, 1000 + b), so a resumed run draws exactly what an
// uninterrupted one would. Returns the samples of the batches it drew [K', N, N]
// float64 Jy/pixel.
at::Tensor sample_batches(const PosteriorModel& model, std::int64_t nsamples, std::int64_t batch,
                          std::uint64_t seed, const BatchHooks& hooks = {});

struct PosteriorDraws {
  at::Tensor samples;   // [K, H, W] float64, Jy/pixel
  PixelUnits units;     // used
  std::string describe; // posterior + sampler description
};
// Samples the posterior of `obs` (a square grid): the unit scale from the dirty
// image when the prior has none, make_posterior_model, sample_batches.
PosteriorDraws sample_observation(const PlannedObservation& obs, PipelinePrior prior,
                                  const PosteriorSettings& settings, std::int64_t nsamples, std::int64_t batch,
                                  std::uint64_t seed, Progress* progress = nullptr);

}  // namespace penumbra
