#pragma once
// Where a posterior run's sampling time went: the prior's score (the network),
// the likelihood's score (gridded FFTs or the NUFFT), exact final draws, and the
// rest (sampler arithmetic, noise draws, patch tiling outside the network,
// checkpoints) — with the prior's FLOPs per image-score and the rate it ran at.
// `sample` logs it in one line and writes it to summary.json ("timing"); issue 22
// asks that the rest stay under 10 % of the network's time.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

#include "samplers/posterior.hpp"

namespace penumbra {

// FLOPs of one image's prior score: a patch prior's mean tiling, a whole-image
// network's forward pass; 0 for priors that are not networks.
double prior_flops_per_image(const Prior& prior);

struct SamplingTime {
  double seconds = 0;                  // the whole draw (wall)
  double prior = 0, likelihood = 0;    // seconds in Posterior::score's two parts
  double final_draw = 0;               // seconds in exact final draws
  std::int64_t steps = 0;              // sampler steps of all batches
  std::int64_t prior_images = 0;       // images the prior scored (chains × calls)
  double flops_per_image = 0;          // prior_flops_per_image (0: not a network)
  double other() const;                // seconds − the three parts (≥ 0)
  nlohmann::json to_json() const;
  std::string describe() const;        // one line
};

// Reads the posterior's timing (samplers/score_timing.hpp) accumulated over a draw of `seconds`.
SamplingTime sampling_time(const Posterior& posterior, double seconds, std::int64_t steps);

}  // namespace penumbra
