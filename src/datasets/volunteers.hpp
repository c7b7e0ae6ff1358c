#pragma once
// Simulated Galaxy Zoo volunteers: a galaxy's latent morphology (what the
// generator drew) → the probability of each answer of each question → a random
// number of volunteers who answer down the decision tree with individual skill
// and confusion → integer vote counts, one per answer of the flat answer list.
//
// The answer probabilities are what an ideal, attentive crowd would say: each
// question's answers sum to 1 and depend on what is visible in the image (arms
// fade as the disk tilts, bars hide edge-on, a bulge-dominated galaxy looks
// smooth). Real volunteers are noisier: volunteer v has a skill s_v ~ Beta(a, b);
// with probability confusion·(1 − s_v) they pick a confused answer instead: a
// neighbour of the intended one on ordered questions (bar strength, bulge size),
// another answer on unordered ones, chosen in proportion to its probability + 0.05
// (so a rare answer such as "artifact" stays rare). Questions no volunteer reaches
// get 0 votes.
//
// The model knows the questions and answers of the GZ DECaLS tree
// (data/gz/decals_tree.json) by name; a tree with other names is a UsageError
// naming the first unknown question or answer.
#include <cstdint>
#include <string>
#include <vector>

#include "src/core/rng.hpp"
#include "src/datasets/galaxy_generator.hpp"
#include "src/datasets/vote_tree.hpp"

namespace penumbra {

// What the answers depend on, from the generator's parameters.
struct MorphologyLatents {
  double bulge_to_total = 0;   // bulge flux / (bulge + disk)
  double cos_inc = 1;          // disk axis ratio
  double axis_ratio = 1;       // apparent axis ratio of the light (bulge and disk, flux-weighted)
  int arms = 0;                // true number of spiral arms
  double pitch_deg = 20;       // arm pitch angle
  double arm_visibility = 0;   // arm contrast × face-on-ness × disk fraction, 0 … ~0.9
  double bar_strength = 0;     // bar amplitude / disk amplitude (0: no bar), seen face-on
  double ring_contrast = 0;    // ring over the disk's surface brightness at its radius (0: none)
  double companion_ratio = 0;  // companion flux / galaxy flux (0: none)
  double companion_separation = 0;  // in image sizes
  int clumps = 0;
};
MorphologyLatents morphology_latents(const GalaxyParams& p, int image_size);
// Names of the latents, in the order of latents_row().
const std::vector<std::string>& latent_names();
std::vector<double> latents_row(const MorphologyLatents& m);

// Per answer (tree.answer_count()), each question's answers summing to 1.
std::vector<double> answer_probabilities(const MorphologyLatents& m, const VoteTree& tree);

struct VolunteerOptions {
  int min_volunteers = 5, max_volunteers = 40;  // per galaxy, log-uniform between
  double skill_a = 6, skill_b = 1.5;            // Beta prior of a volunteer's skill (mean 0.8)
  double confusion = 0.5;                       // chance an unskilled pick is a confused one
  void validate() const;                        // UsageError naming the quantity
};

struct VolunteerVotes {
  std::vector<std::int32_t> counts;  // [tree.answer_count()]
  int volunteers = 0;
};
// Votes of a random crowd on one galaxy with answer probabilities `probs`.
VolunteerVotes simulate_votes(const std::vector<double>& probs, const VoteTree& tree, const VolunteerOptions& opt,
                              Rng& rng);

}  // namespace penumbra
