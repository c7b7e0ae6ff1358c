#pragma once
// What a run asks of a whole-image diffusion prior's large noise levels: the
// Gaussian-limit treatment (priors/diffusion_prior.hpp, GaussianLimit; applied
// by apply_gaussian_limit in prior_sampling.hpp). Kept apart so the prior
// registry and the run options can carry it without the sampling headers.
#include <cstdint>
#include <string>

namespace penumbra {

// The Gaussian-limit treatment of a whole-image prior's large noise levels
// (priors/diffusion_prior.hpp, GaussianLimit): the Gaussian is fitted to `images`
// generator images of `kind` (galaxies, disks or mix; "none": the network alone)
// from a fixed seed stream that no training run, reference set or coverage study
// uses, so the prior is the same in every run.
struct GaussianLimitSettings {
  std::string kind = "none";
  double sigma_from = 0.5, sigma_to = 5;  // network units: where the DSM-optimal weight rises (docs/validation.md)
  std::int64_t images = 1024;
  void validate() const;  // UsageError naming the quantity (defined in prior_sampling.cpp)
};

}  // namespace penumbra
