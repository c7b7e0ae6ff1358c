#include "src/nn/dirichlet_loss.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include <vector>

#include "src/core/errors.hpp"

namespace penumbra {

namespace {

// [A, Q] with 1 where answer a belongs to question q: sums over a question's
// answers become one matrix product for the whole batch.
at::Tensor answer_membership(const VoteTree& tree, const at::TensorOptions& options) {
  auto m = torch::zeros({tree.answer_count(), tree.question_count()}, torch::kFloat64);
  auto acc = m.accessor<double, 2>();
  for (int a = 0; a < tree.answer_count(); ++a) acc[a][tree.question_of_answer(a)] = 1.0;
  return m.to(options);
}

void check_vote_matrix(const at::Tensor& t, const char* what, const VoteTree& tree) {
  if (t.dim() != 2 || t.size(1) != tree.answer_count())
    throw UsageError(fmt::format("{} has shape {}; expected [batch, {}] (one column per answer of the tree)", what,
                                 fmt::format("{}", fmt::join(t.sizes(), "x")), tree.answer_count()));
}

// Per-answer sums of each answer's question: [B, A] → [B, A].
at::Tensor sum_within_questions(const at::Tensor& x, const at::Tensor& m) { return x.matmul(m).matmul(m.t()); }

}  // namespace

at::Tensor dirichlet_multinomial_nll(const at::Tensor& concentration, const at::Tensor& counts, const VoteTree& tree) {
  check_vote_matrix(concentration, "concentration", tree);
  check_vote_matrix(counts, "vote counts", tree);
  if (counts.size(0) != concentration.size(0))
    throw UsageError(fmt::format("vote counts have {} rows but the concentrations {}", counts.size(0),
                                 concentration.size(0)));
  if (!concentration.is_floating_point())
    throw UsageError("concentration must be a floating-point tensor");
  auto alpha = concentration;
  auto k = counts.to(alpha.options());
  if ((k < 0).any().item<bool>()) throw DataError("vote counts must be >= 0");
  if (!(alpha > 0).all().item<bool>()) throw UsageError("Dirichlet concentrations must be > 0");
  auto m = answer_membership(tree, alpha.options());
  auto n = k.matmul(m), a0 = alpha.matmul(m);  // [B, Q]
  auto per_answer = torch::lgamma(k + alpha) - torch::lgamma(alpha) - torch::lgamma(k + 1);
  auto logp = torch::lgamma(n + 1) + torch::lgamma(a0) - torch::lgamma(n + a0) + per_answer.matmul(m);
  return -torch::where(n > 0, logp, torch::zeros_like(logp)).sum(1);
}

at::Tensor concentrations_from_logits(const at::Tensor& logits) { return 1 + 100 * torch::sigmoid(logits); }

at::Tensor question_totals(const at::Tensor& counts, const VoteTree& tree) {
  check_vote_matrix(counts, "vote counts", tree);
  auto k = counts.is_floating_point() ? counts : counts.to(torch::kFloat32);
  return k.matmul(answer_membership(tree, k.options()));
}

VoteFractions predicted_vote_fractions(const at::Tensor& concentration, const VoteTree& tree) {
  check_vote_matrix(concentration, "concentration", tree);
  auto a0 = sum_within_questions(concentration, answer_membership(tree, concentration.options()));
  VoteFractions f;
  f.mean = concentration / a0;
  f.variance = concentration * (a0 - concentration) / (a0 * a0 * (a0 + 1));
  return f;
}

at::Tensor observed_vote_fractions(const at::Tensor& counts, const VoteTree& tree) {
  check_vote_matrix(counts, "vote counts", tree);
  auto k = counts.is_floating_point() ? counts : counts.to(torch::kFloat32);
  auto n = sum_within_questions(k, answer_membership(tree, k.options()));
  return torch::where(n > 0, k / n.clamp_min(1), torch::zeros_like(k));
}

at::Tensor counts_from_fractions(const at::Tensor& fractions, int assumed_total, const VoteTree& tree) {
  check_vote_matrix(fractions, "vote fractions", tree);
  auto f = fractions.detach().to(torch::kCPU, torch::kFloat64).contiguous();
  const int64_t rows = f.size(0), cols = f.size(1);
  auto out = torch::empty({rows, cols}, torch::kFloat64);
  for (int64_t r = 0; r < rows; ++r) {
    const double* p = f.data_ptr<double>() + r * cols;
    auto c = counts_from_fractions(std::vector<double>(p, p + cols), assumed_total, tree);
    for (int64_t a = 0; a < cols; ++a) out[r][a] = double(c[a]);
  }
  auto dtype = fractions.is_floating_point() ? fractions.scalar_type() : torch::kFloat32;
  return out.to(fractions.device(), dtype);
}

}  // namespace penumbra
