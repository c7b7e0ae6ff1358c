#pragma once
// The samplers a posterior run can use, one table (sampler_registry.cpp). Adding
// a sampler: write it in samplers/ (the init/step protocol of samplers/sampler.hpp)
// and add one entry there; the CLI's --sampler choices and help follow.
#include <functional>
#include <memory>
#include <string>

#include "samplers/sampler.hpp"
#include "src/core/registry.hpp"

namespace penumbra {

struct SamplerSettings;

struct SamplerEntry {
  std::string name;  // --sampler NAME
  std::string help;  // one line
  bool exact_likelihood_only = false;  // needs the exact likelihood and the untempered posterior (split-gibbs)
  bool has_final_step = false;         // takes the final-step settings (pc)
  // `exact`: the exact likelihood for a final step that needs it (null otherwise).
  std::function<std::unique_ptr<Sampler>(const SamplerSettings&, std::shared_ptr<const Posterior>,
                                         std::shared_ptr<const Likelihood> exact)>
      make;
};

Registry<SamplerEntry>& sampler_registry();

}  // namespace penumbra
