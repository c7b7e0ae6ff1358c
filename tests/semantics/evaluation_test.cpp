// The evaluation on a synthetic corpus whose tags are known: classes that the
// tags determine are recovered by both classifiers; labels unrelated to the
// tags are not. F1 averages and stratified folds on hand-checked cases.
#include <gtest/gtest.h>

#include <random>

#include "src/core/errors.hpp"
#include "src/semantics/tag_evaluation.hpp"

namespace penumbra::semantics {
namespace {

// 240 subjects, 12 tags; class c holds when tag c was used (tags 0..3), and
// the other tags are noise. Each class' tag is written by most annotators.
void synthetic(Eigen::MatrixXd& x, Eigen::MatrixXi& y, bool related) {
  std::mt19937 rng(7);
  std::bernoulli_distribution coin(0.3), often(0.8);
  std::poisson_distribution<int> noise(1.0);
  const int n = 240, tags = 12, classes = 4;
  x = Eigen::MatrixXd::Zero(n, tags);
  y = Eigen::MatrixXi::Zero(n, classes);
  for (int s = 0; s < n; ++s) {
    for (int c = 0; c < classes; ++c) {
      y(s, c) = coin(rng);
      if ((related ? y(s, c) : coin(rng)) != 0)
        for (int a = 0; a < 8; ++a) x(s, c) += often(rng);
    }
    for (int t = classes; t < tags; ++t) x(s, t) = noise(rng);
  }
}

EvaluationSettings quick(int trees, int bootstrap, int folds = 10) {
  EvaluationSettings s;
  s.trees = trees;
  s.bootstrap = bootstrap;
  s.folds = folds;
  return s;
}

TEST(TagEvaluation, KnownTagsGiveHighCrossValidatedF1) {
  Eigen::MatrixXd x;
  Eigen::MatrixXi y;
  synthetic(x, y, true);
  for (const char* model : {"forest", "logistic"}) {
    EvaluationSettings s = quick(30, 100);
    s.classifier = model;
    const CrossValidated cv = cross_validate(x, y, s);
    SCOPED_TRACE(model);
    EXPECT_EQ(cv.classes.size(), 4u);
    EXPECT_GT(cv.f1.micro, 0.95);
    EXPECT_GT(cv.f1.weighted, 0.95);
    EXPECT_GT(cv.f1.macro, 0.95);
    EXPECT_LE(cv.low.micro, cv.f1.micro);
    EXPECT_GE(cv.high.micro, cv.f1.micro);
  }
}

TEST(TagEvaluation, TagsUnrelatedToTheClassesGiveLowF1) {
  Eigen::MatrixXd x;
  Eigen::MatrixXi y;
  synthetic(x, y, false);
  EXPECT_LT(cross_validate(x, y, quick(30, 0)).f1.micro, 0.4);
}

TEST(TagEvaluation, PermutationImportancePicksEachClassTag) {
  Eigen::MatrixXd x;
  Eigen::MatrixXi y;
  synthetic(x, y, true);
  const EvaluationSettings s = quick(20, 0, 5);
  const CrossValidated cv = cross_validate(x, y, s);
  const Eigen::MatrixXd imp = permutation_importance(x, y, cv, s);
  for (Eigen::Index c = 0; c < 4; ++c) {
    Eigen::Index best;
    imp.col(c).maxCoeff(&best);
    EXPECT_EQ(best, c);
    EXPECT_GT(imp(c, c), 0.3);
  }
}

TEST(TagEvaluation, F1AveragesAndStratifiedFolds) {
  Eigen::MatrixXi truth(4, 2), pred(4, 2);
  truth << 1, 0, 1, 0, 0, 1, 0, 0;
  pred << 1, 0, 0, 1, 0, 1, 0, 0;
  // class 0: tp 1 fn 1 -> F1 2/3; class 1: tp 1 fp 1 -> F1 2/3; all: tp 2 fp 1 fn 1 -> 2/3.
  const F1Scores f = f1_scores(truth, pred);
  EXPECT_NEAR(f.micro, 2.0 / 3, 1e-12);
  EXPECT_NEAR(f.macro, 2.0 / 3, 1e-12);
  EXPECT_NEAR(f.weighted, 2.0 / 3, 1e-12);
  Eigen::VectorXi y = Eigen::VectorXi::Zero(100);
  y.head(20).setOnes();
  const auto fold = stratified_folds(y, 10, 3);
  for (int k = 0; k < 10; ++k) {
    int pos = 0, all = 0;
    for (int i = 0; i < 100; ++i) all += fold[std::size_t(i)] == k, pos += fold[std::size_t(i)] == k && y(i);
    EXPECT_EQ(all, 10);
    EXPECT_EQ(pos, 2);
  }
}

TEST(TagEvaluation, BadSettingsAreUsageErrors) {
  EvaluationSettings s;
  s.classifier = "svm";
  EXPECT_THROW(s.validate(), UsageError);
  s = {};
  s.folds = 1;
  EXPECT_THROW(s.validate(), UsageError);
}

}  // namespace
}  // namespace penumbra::semantics
