#include "src/pipelines/map_imaging.hpp"

#include <torch/torch.h>

#include "instruments/torch/exact_likelihood.hpp"
#include "samplers/map_estimate.hpp"
#include "samplers/posterior.hpp"
#include "src/core/checks.hpp"
#include "src/pipelines/planned_observation.hpp"
#include "src/pipelines/posterior_model.hpp"
#include "src/pipelines/prior_registry.hpp"

namespace penumbra {

void MapImagingOptions::validate() const {
  make_regulariser(prior, lambda);  // the name and λ
  require_at_least("max iterations", max_iterations, 1);
  require_positive("tolerance", tolerance);
  require_in_range("nufft epsilon", nufft_epsilon, 1e-10, 1e-1);
}

MapImagingResult map_image(const PlannedObservation& obs, const MapImagingOptions& o) {
  o.validate();
  const ImageGrid& grid = obs.grid();
  auto d = obs.dirty_image(obs.vis().weight);
  MapImagingResult r;
  r.pixel_unit = dirty_peak_jy_per_pixel(d.dirty, d.psf, "observation");
  const double beam = psf_beam_area_pixels(d.psf);
  auto lik = std::make_shared<NufftLikelihood>(obs.op(), obs.vis(), PixelUnits{r.pixel_unit, 0.0});
  Posterior post(make_regulariser(o.prior, o.lambda).prior, lik);

  // Start: the dirty image in Jy/pixel (Jy/beam over the beam area), or zero.
  auto x0 = torch::zeros({grid.ny, grid.nx}, torch::kFloat64);
  if (o.start_from_dirty) {
    x0 = torch::tensor(d.dirty, torch::kFloat64).reshape({grid.ny, grid.nx}) / (beam * r.pixel_unit);
    if (o.positive || o.prior == "mem") x0 = x0.clamp_min(0.0);
  }
  r.start = to_vector(x0 * r.pixel_unit);
  r.chi2_start = obs.reduced_chi2(r.start);
  MapOptions mo;
  mo.max_iterations = o.max_iterations;
  mo.tolerance = o.tolerance;
  mo.nonnegative = o.positive;
  auto res = map_estimate(post, x0, mo);
  auto img = res.image;
  if (o.prior == "mem") img = img.clamp_min(0.0);  // MEM's image is the positive part (x̃ → x for x ≫ ε)
  r.image = to_vector(img * r.pixel_unit);
  r.energy = res.energy;
  r.iterations = res.iterations;
  r.converged = res.converged;
  r.chi2 = obs.reduced_chi2(r.image);
  return r;
}

MapImagingResult map_image(const VisibilitySet& vis, const ImageGrid& grid, const MapImagingOptions& o) {
  o.validate();
  return map_image(PlannedObservation(vis, grid, o.nufft_epsilon), o);
}

}  // namespace penumbra
