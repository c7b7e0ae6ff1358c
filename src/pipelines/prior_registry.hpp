#pragma once
// The image priors a run can use, one table (prior_registry.cpp): the analytic
// priors of posterior sampling ("gaussian:MEAN,STD", ...), the regularisers of
// MAP imaging ("tv", with its weight λ), and — for any spec that names no entry —
// a diffusion-prior checkpoint file. Adding a prior: write it in priors/ and add
// one entry to builtin_priors().
//
// Analytic priors are given in Jy/pixel but sampled in units of their own scale
// (STD, SCALE, √VARIANCE: PixelUnits.scale), so the samplers' defaults (initial
// N(0, 1), step sizes) are on the posterior's scale whatever the flux units.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "src/core/pixel_units.hpp"
#include "src/model/model.hpp"
#include "src/core/registry.hpp"
#include "src/pipelines/gaussian_limit_settings.hpp"

namespace penumbra {

struct PipelinePrior {
  std::shared_ptr<const Prior> prior;
  PixelUnits units;  // Jy/pixel = scale·x + offset; scale 0: set from the data (peak-normalised checkpoints)
  std::string spec;
  // How the spec was loaded where that changes the score (a Gaussian limit); empty: as is.
  std::string variant;
};

enum class PriorRole { kSampling, kRegulariser };

struct PriorEntry {
  std::string name;                     // the spec's part before ':'
  std::vector<std::string> parameters;  // the numbers after ':' ("MEAN", "STD"); a regulariser's is its weight λ
  std::string help;                     // one line
  PriorRole role = PriorRole::kSampling;
  // params: as many as `parameters`; size: the image side (0: not given).
  std::function<PipelinePrior(const std::vector<double>& params, int size)> make;
  std::string syntax() const;           // "gaussian:MEAN,STD"
};

Registry<PriorEntry>& prior_registry();
// "gaussian:MEAN,STD | laplace:LOC,SCALE | ..." of one role, for help texts.
std::string prior_syntax_list(PriorRole role);
// "mem, tv or l1": the names of one role.
std::string prior_names(PriorRole role);

// A sampling prior from its spec: NAME:NUMBERS of a registered prior, or a
// checkpoint path. UsageError for a malformed spec or an unknown name (listing
// the known ones), MissingInputError for a missing checkpoint. `size` (0: not
// given) is needed by some priors and checked against a checkpoint's image size.
// `limit` applies to a whole-image checkpoint (UsageError for any other prior).
PipelinePrior load_pipeline_prior(const std::string& spec, int size, const GaussianLimitSettings& limit = {});
// A MAP regulariser by name with weight λ (in the optimiser's units).
PipelinePrior make_regulariser(const std::string& name, double lambda);

}  // namespace penumbra
