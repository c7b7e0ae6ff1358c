#include "src/pipelines/likelihood_registry.hpp"

#include <torch/torch.h>

#include "instruments/gridded_visibilities.hpp"
#include "instruments/torch/convolved_likelihood.hpp"
#include "instruments/torch/exact_likelihood.hpp"
#include "src/pipelines/planned_observation.hpp"
#include "src/pipelines/posterior_settings.hpp"

namespace penumbra {

namespace {

BuiltLikelihood make_convolved(const PlannedObservation& obs, PixelUnits units, const LikelihoodSettings& s) {
  const ImageGrid& grid = obs.grid();
  const int n = grid.nx;
  int pad = s.pad * n;
  if ((pad - n) % 2) ++pad;  // the image sits centred in the padded grid
  auto g = grid_visibilities(obs.vis(), ImageGrid{pad, pad, grid.cell, grid.ra, grid.dec});
  auto c = std::make_shared<ConvolvedGriddedLikelihood>(g, n, units, torch::kFloat);
  return {c, c->occupied_cells()};
}

BuiltLikelihood make_exact(const PlannedObservation& obs, PixelUnits units, const LikelihoodSettings&) {
  return {std::make_shared<NufftLikelihood>(obs.op(), obs.vis(), units), 0};
}

Registry<LikelihoodEntry> builtin_likelihoods() {
  Registry<LikelihoodEntry> r("likelihood");
  r.add({"convolved", "gridded convolved-likelihood approximation, noise-level aware", make_convolved});
  r.add({"exact", "NUFFT, sigma-independent", make_exact});
  return r;
}

}  // namespace

Registry<LikelihoodEntry>& likelihood_registry() {
  static Registry<LikelihoodEntry> registry = builtin_likelihoods();
  return registry;
}

}  // namespace penumbra
