// The Dirichlet-multinomial vote loss against closed forms (the Beta-binomial of
// a two-answer question, α_j/A for one vote), a brute-force sum of the pmf over
// every count vector, finite-difference gradients, masking of questions without
// votes, predicted fractions with their variance, and counts from fractions.
#include "src/nn/dirichlet_loss.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "src/core/errors.hpp"

using namespace penumbra;

namespace dirichlet_loss_test {
// Question a (2 answers, "x" leads to b) and b (3 answers): 5 answers in all.
VoteTree two_questions() {
  return VoteTree::from_json(nlohmann::json::parse(R"({"questions": [
    {"name": "a", "answers": [{"name": "x", "next": "b"}, {"name": "y"}]},
    {"name": "b", "answers": [{"name": "u"}, {"name": "v"}, {"name": "w"}]}]})"));
}
torch::Tensor row(std::vector<double> v) { return torch::tensor(v, torch::kFloat64).reshape({1, -1}); }
// log of the Beta-binomial pmf, by hand.
double beta_binomial_log(int k, int n, double a, double b) {
  return std::lgamma(n + 1.0) - std::lgamma(k + 1.0) - std::lgamma(n - k + 1.0) + std::lgamma(k + a) +
         std::lgamma(n - k + b) - std::lgamma(n + a + b) + std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b);
}
}  // namespace dirichlet_loss_test
using dirichlet_loss_test::beta_binomial_log;
using dirichlet_loss_test::row;
using dirichlet_loss_test::two_questions;

TEST(DirichletLoss, TwoAnswerQuestionIsTheBetaBinomial) {
  auto t = two_questions();
  auto alpha = row({2.5, 1.5, 1, 1, 1});
  for (auto [k, n] : {std::pair{3, 5}, {0, 4}, {7, 7}, {1, 1}, {12, 40}}) {
    auto nll = dirichlet_multinomial_nll(alpha, row({double(k), double(n - k), 0, 0, 0}), t);
    EXPECT_NEAR(nll.item<double>(), -beta_binomial_log(k, n, 2.5, 1.5), 1e-10) << k << "/" << n;
  }
  // One vote: p(answer j) = α_j / A.
  auto nll = dirichlet_multinomial_nll(row({1, 1, 2, 3, 5}), row({0, 0, 0, 1, 0}), t);
  EXPECT_NEAR(std::exp(-nll.item<double>()), 3.0 / 10.0, 1e-12);
}

TEST(DirichletLoss, PmfSumsToOneOverEveryCountVector) {
  auto t = two_questions();
  auto alpha = row({1.3, 4.0, 0.7, 2.2, 5.5});
  for (int n : {1, 4, 9}) {
    std::vector<torch::Tensor> rows;
    for (int i = 0; i <= n; ++i)
      for (int j = 0; i + j <= n; ++j) rows.push_back(row({0, 0, double(i), double(j), double(n - i - j)}));
    auto counts = torch::cat(rows);
    auto p = torch::exp(-dirichlet_multinomial_nll(alpha.expand({counts.size(0), 5}), counts, t));
    EXPECT_NEAR(p.sum().item<double>(), 1.0, 1e-10) << "N = " << n;
  }
}

TEST(DirichletLoss, QuestionsWithoutVotesContributeNothing) {
  auto t = two_questions();
  auto alpha = row({2, 3, 4, 5, 6}).requires_grad_(true);
  auto both = dirichlet_multinomial_nll(alpha, row({3, 1, 2, 1, 0}), t);
  auto only_a = dirichlet_multinomial_nll(alpha, row({3, 1, 0, 0, 0}), t);
  auto only_b = dirichlet_multinomial_nll(alpha, row({0, 0, 2, 1, 0}), t);
  EXPECT_NEAR(both.item<double>(), only_a.item<double>() + only_b.item<double>(), 1e-12);
  EXPECT_EQ(dirichlet_multinomial_nll(alpha, row({0, 0, 0, 0, 0}), t).item<double>(), 0.0);
  only_a.sum().backward();
  auto g = alpha.grad();
  for (int a = 2; a < 5; ++a) EXPECT_EQ(g[0][a].item<double>(), 0.0) << "answer " << a;
  EXPECT_NE(g[0][0].item<double>(), 0.0);
  // Batched rows are independent.
  auto batch = dirichlet_multinomial_nll(torch::cat({alpha, alpha}).detach(),
                                         torch::cat({row({3, 1, 2, 1, 0}), row({0, 0, 2, 1, 0})}), t);
  EXPECT_NEAR(batch[1].item<double>(), only_b.item<double>(), 1e-12);
}

TEST(DirichletLoss, GradientMatchesFiniteDifferencesThroughTheLogits) {
  auto t = two_questions();
  auto logits = torch::tensor({0.3, -1.2, 2.0, 0.1, -0.4, -2.0, 0.5, 1.5, 0.0, 0.9}, torch::kFloat64).reshape({2, 5});
  auto counts = torch::tensor({4., 1., 2., 0., 2., 0., 3., 0., 0., 0.}, torch::kFloat64).reshape({2, 5});
  auto loss = [&](const torch::Tensor& z) {
    return dirichlet_multinomial_nll(concentrations_from_logits(z), counts, t).sum();
  };
  auto z = logits.clone().requires_grad_(true);
  loss(z).backward();
  const double h = 1e-6;
  for (int i = 0; i < 10; ++i) {
    auto zp = logits.clone(), zm = logits.clone();
    zp.view(-1)[i] += h;
    zm.view(-1)[i] -= h;
    double fd = (loss(zp).item<double>() - loss(zm).item<double>()) / (2 * h);
    EXPECT_NEAR(z.grad().view(-1)[i].item<double>(), fd, 1e-6) << "logit " << i;
  }
}

TEST(DirichletLoss, ConcentrationsFractionsAndTheirVariance) {
  auto t = two_questions();
  auto c = concentrations_from_logits(torch::tensor({-1e3, 0.0, 1e3}, torch::kFloat64));
  EXPECT_NEAR(c[0].item<double>(), 1.0, 1e-12);
  EXPECT_NEAR(c[1].item<double>(), 51.0, 1e-12);
  EXPECT_NEAR(c[2].item<double>(), 101.0, 1e-12);
  auto f = predicted_vote_fractions(row({2, 6, 1, 1, 2}), t);
  EXPECT_NEAR(f.mean[0][0].item<double>(), 0.25, 1e-12);
  EXPECT_NEAR(f.mean[0][4].item<double>(), 0.5, 1e-12);
  EXPECT_NEAR(f.variance[0][0].item<double>(), 2.0 * 6 / (64.0 * 9), 1e-12);  // Beta(2, 6)
  EXPECT_NEAR(f.variance[0][4].item<double>(), 2.0 * 2 / (16.0 * 5), 1e-12);
  auto obs = observed_vote_fractions(row({3, 1, 0, 0, 0}), t);
  EXPECT_NEAR(obs[0][0].item<double>(), 0.75, 1e-12);
  EXPECT_EQ(obs[0][3].item<double>(), 0.0);
  auto totals = question_totals(row({3, 1, 2, 0, 1}), t);
  EXPECT_EQ(totals[0][0].item<double>(), 4.0);
  EXPECT_EQ(totals[0][1].item<double>(), 3.0);
  // Fitting the logits to one galaxy's votes puts the predicted mean near the observed fractions.
  auto counts = row({30, 10, 5, 15, 20});
  auto z = torch::zeros({1, 5}, torch::kFloat64).requires_grad_(true);
  torch::optim::Adam opt({z}, 0.1);
  for (int s = 0; s < 300; ++s) {
    opt.zero_grad();
    dirichlet_multinomial_nll(concentrations_from_logits(z), counts, t).sum().backward();
    opt.step();
  }
  auto m = predicted_vote_fractions(concentrations_from_logits(z), t).mean.detach();
  EXPECT_TRUE(torch::allclose(m, observed_vote_fractions(counts, t), 0, 0.03)) << m;
}

TEST(DirichletLoss, CountsFromFractionsAndBadInput) {
  auto t = two_questions();
  const double nan = std::nan("");
  auto c = counts_from_fractions(torch::tensor({0.3, 0.7, nan, nan, nan, 0.5, 0.5, 0.2, 0.2, 0.6}).reshape({2, 5}),
                                 10, t);
  EXPECT_EQ(c.scalar_type(), torch::kFloat32);
  EXPECT_TRUE(torch::equal(c, torch::tensor({3.f, 7.f, 0.f, 0.f, 0.f, 5.f, 5.f, 2.f, 2.f, 6.f}).reshape({2, 5})));
  // Catalogue fractions → counts → the loss: the unknown question is masked.
  auto nll = dirichlet_multinomial_nll(torch::ones({2, 5}, torch::kFloat32), c, t);
  EXPECT_EQ(nll.sizes(), (std::vector<int64_t>{2}));
  EXPECT_THROW(dirichlet_multinomial_nll(torch::ones({2, 4}), torch::ones({2, 4}), t), UsageError);
  EXPECT_THROW(dirichlet_multinomial_nll(torch::ones({2, 5}), torch::ones({3, 5}), t), UsageError);
  EXPECT_THROW(dirichlet_multinomial_nll(torch::ones({1, 5}), -torch::ones({1, 5}), t), DataError);
  EXPECT_THROW(dirichlet_multinomial_nll(torch::zeros({1, 5}), torch::ones({1, 5}), t), UsageError);
}
