#pragma once
// The Dirichlet-multinomial vote loss of Zoobot / GZ-Evo (Walmsley et al. 2022):
// a network predicts, per galaxy, a Dirichlet concentration α_j > 0 for every
// answer of a decision tree (src/datasets/vote_tree.hpp); the votes k_j of a
// question with N = Σk_j volunteers are Dirichlet-multinomial, with A = Σα_j:
//   log p(k | α) = lnΓ(N+1) + lnΓ(A) − lnΓ(N+A) + Σ_j [lnΓ(k_j+α_j) − lnΓ(α_j) − lnΓ(k_j+1)].
// The loss of a galaxy is −Σ_q log p over the questions with at least one vote;
// a question with N = 0 (not reached, or unknown in the catalogue) contributes
// exactly 0 and no gradient, so catalogues that asked different questions mix.
#include <ATen/core/Tensor.h>

#include <cstdint>

#include "src/datasets/vote_tree.hpp"

namespace penumbra {

// [B]: the negative log-likelihood of each galaxy's votes. concentration [B, A]
// (> 0), counts [B, A] (≥ 0, integers as floats), A = tree.answer_count(); the
// result has the concentration's dtype. Shapes are checked (UsageError naming them).
at::Tensor dirichlet_multinomial_nll(const at::Tensor& concentration, const at::Tensor& counts, const VoteTree& tree);

// α = 1 + 100·sigmoid(logits), as in Walmsley et al.: bounded, so a single
// confident galaxy cannot push the loss to −∞, and ≥ 1, so the Dirichlet has a mode.
at::Tensor concentrations_from_logits(const at::Tensor& logits);

// [B, Q]: votes per question (N_q), for masks ("has this galaxy any votes?").
at::Tensor question_totals(const at::Tensor& counts, const VoteTree& tree);

// Predicted vote fractions with their spread: per question, the Dirichlet mean
// α_j / A and variance α_j (A − α_j) / (A² (A + 1)) (of the fraction of an
// infinite crowd; a crowd of N adds the multinomial part, see docs/representations.md).
struct VoteFractions {
  at::Tensor mean, variance;  // [B, A] each
};
VoteFractions predicted_vote_fractions(const at::Tensor& concentration, const VoteTree& tree);
// Observed fractions k_j / N_q, and 0 where N_q = 0.
at::Tensor observed_vote_fractions(const at::Tensor& counts, const VoteTree& tree);

// [B, A] float counts from [B, A] fractions with an explicit assumed total per
// question (the rounding of penumbra::counts_from_fractions: largest remainder;
// NaN or all-zero questions get no votes).
at::Tensor counts_from_fractions(const at::Tensor& fractions, int assumed_total, const VoteTree& tree);

}  // namespace penumbra
