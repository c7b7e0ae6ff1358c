#pragma once
// Where a posterior run's sampling time went: the prior's score (a patch prior's
// split into its network and the tiling around it: cutting tiles, position maps,
// stitching), the likelihood's score (gridded FFTs or the NUFFT), exact final
// draws, and the rest (sampler arithmetic, noise draws, checkpoints) — with the
// prior's FLOPs per image-score and the rate its network ran at. `sample` logs it
// in one line and writes it to summary.json ("timing"); issue 22 asks that the
// overhead (the rest and the tiling) stay under 10 % of the network's time.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>

#include "samplers/posterior.hpp"

namespace penumbra {

// A patch prior that charges its network's calls to `network` (the tiling around
// them — cutting tiles, position maps, stitching — is not); any other prior as it is.
std::shared_ptr<const Prior> with_network_clock(std::shared_ptr<const Prior> prior,
                                                std::shared_ptr<CallClock> network);

// FLOPs of one image's prior score: a patch prior's mean tiling, a whole-image
// network's forward pass; 0 for priors that are not networks.
double prior_flops_per_image(const Prior& prior);

struct SamplingTime {
  double seconds = 0;                  // the whole draw (wall)
  double prior = 0, likelihood = 0;    // seconds in Posterior::score's two parts
  double network = -1;                 // of `prior`, seconds in a patch prior's network (< 0: not split)
  double final_draw = 0;               // seconds in exact final draws
  std::int64_t steps = 0;              // sampler steps of all batches
  std::int64_t prior_images = 0;       // images the prior scored (chains × calls)
  double flops_per_image = 0;          // prior_flops_per_image (0: not a network)
  double other() const;                // seconds − the three parts (≥ 0)
  double tiling() const;               // prior − network for a patch prior, else 0
  double network_seconds() const;      // the network's: prior's for a whole-image prior
  double gflop_per_second() const;     // the network's rate (0 without FLOPs)
  nlohmann::json to_json() const;
  std::string describe() const;        // one line
};

// Reads the posterior's timing (samplers/score_timing.hpp) accumulated over a draw of
// `seconds`, and the network's clock of a patch prior (with_network_clock; ignored for other priors).
SamplingTime sampling_time(const Posterior& posterior, double seconds, std::int64_t steps,
                           const CallClock* network = nullptr);

}  // namespace penumbra
