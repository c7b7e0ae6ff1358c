#pragma once
// The likelihoods a posterior run can use, one table (likelihood_registry.cpp).
// Each is built on the run's PlannedObservation, so an exact likelihood shares
// the run's NUFFT operator instead of planning its own.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "src/core/pixel_units.hpp"
#include "src/model/model.hpp"
#include "src/core/registry.hpp"

namespace penumbra {

class PlannedObservation;
struct LikelihoodSettings;

struct BuiltLikelihood {
  std::shared_ptr<const Likelihood> likelihood;
  std::int64_t gridded_cells = 0;  // occupied cells of a gridded likelihood's uv grid (else 0)
};

struct LikelihoodEntry {
  std::string name;  // --likelihood NAME
  std::string help;  // one line
  std::function<BuiltLikelihood(const PlannedObservation&, PixelUnits, const LikelihoodSettings&)> make;
};

Registry<LikelihoodEntry>& likelihood_registry();

}  // namespace penumbra
