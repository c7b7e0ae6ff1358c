#pragma once
// Unconditional draws from a prior: the posterior without likelihood, sampled by
// the reverse-diffusion sampler of samplers/ (PredictorCorrector). Used by
// prior-sample, prior-validate and the coverage study's prior-sample truths.
#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "priors/diffusion_prior.hpp"
#include "priors/patch_prior.hpp"
#include "samplers/sampler.hpp"
#include "src/model/model.hpp"
#include "src/pipelines/gaussian_limit_settings.hpp"

namespace penumbra {

struct PriorSamplingSettings {
  // "em": the reverse-diffusion predictor alone on steps + 1 geometric levels
  // σ_max → σ_min, x ← x + (σ_i² − σ_{i+1}²) s(x, σ_i) + √(σ_i² − σ_{i+1}²) z (the
  // Euler–Maruyama step of the reverse VE SDE with g² dt taken exactly), ending
  // with the Tweedie mean x + σ_min² s(x, σ_min). "pc": Langevin corrector steps
  // at each level as well (samplers/diffusion_samplers.hpp).
  std::string sampler = "em";
  std::int64_t steps = 500;
  std::int64_t corrector_steps = 1;  // pc
  double snr = 0.16;                 // pc
  void validate() const;             // UsageError naming the quantity
};

// The prior a prior-sample or prior-validate run draws from: a whole-image
// checkpoint itself (size 0 or its own size; UsageError naming both sizes
// otherwise), a patch checkpoint as a patch prior of size×size images (0: its
// training images' size; UsageError naming both when the patch does not divide it).
std::shared_ptr<const Prior> checkpoint_sampling_prior(std::shared_ptr<const DiffusionPrior> prior, int size,
                                                       const PatchTilingOptions& tiling = {});

std::unique_ptr<Sampler> make_prior_sampler(std::shared_ptr<const Prior> prior, const PriorSamplingSettings& settings);

// Fits the settings' Gaussian and sets it on `prior` ("none": clears it).
void apply_gaussian_limit(DiffusionPrior& prior, const GaussianLimitSettings& settings);
nlohmann::json gaussian_limit_json(const GaussianLimitSettings& settings);

struct PriorDraws {
  std::int64_t n = 1;      // images
  std::int64_t batch = 1;  // chains run together
  int height = 0, width = 0;
  double start_mean = 0;   // chains start at N(start_mean, σ_max²): a trained prior's pixel mean
};

// [n, H, W] float32, the batches drawn one after another from `gen`. A non-empty
// `progress_label` shows a progress bar over all steps.
at::Tensor draw_prior_samples(const Sampler& sampler, const PriorDraws& draws, at::Generator& gen,
                              const std::string& progress_label = "");

}  // namespace penumbra
