#pragma once
// Do the tags carry the experts' classes? Every subject becomes its tag-count
// vector; every expert class (held at an agreement threshold) is predicted
// one-vs-rest from held-out folds of a stratified k-fold cross-validation, and
// the out-of-fold predictions are scored with micro, weighted and macro F1,
// each with a percentile bootstrap interval over subjects.
#include <Eigen/Dense>

#include <cstdint>
#include <string>
#include <vector>

namespace penumbra::semantics {

struct EvaluationSettings {
  std::string classifier = "forest";  // or "logistic"
  int folds = 10;
  int trees = 100;
  double l2 = 1.0;
  int bootstrap = 1000;
  std::size_t min_positives = 10;  // classes with fewer positives are left out
  std::uint64_t seed = 0;
  void validate() const;
};

struct F1Scores {
  double micro = 0, weighted = 0, macro = 0;
};

struct CrossValidated {
  std::vector<std::size_t> classes;  // columns of y evaluated
  Eigen::MatrixXi predicted;         // out-of-fold predictions, subjects × classes
  Eigen::MatrixXd probability;       // out-of-fold probabilities
  std::vector<int> fold_of_class_subject;  // fold of (class c, subject s) at c * subjects + s
  F1Scores f1, low, high;            // point estimates and 95 % bootstrap interval
  std::vector<double> class_f1;      // per evaluated class
  std::vector<double> class_auc;     // per evaluated class, from the out-of-fold probabilities
};

std::vector<int> stratified_folds(const Eigen::VectorXi& y, int folds, std::uint64_t seed);
F1Scores f1_scores(const Eigen::MatrixXi& truth, const Eigen::MatrixXi& predicted);

// x: subjects × tags; y: subjects × classes (0/1).
CrossValidated cross_validate(const Eigen::MatrixXd& x, const Eigen::MatrixXi& y, const EvaluationSettings& s);

// Area under the ROC curve of scores against 0/1 truth (ties count half).
double roc_auc(const Eigen::VectorXd& score, const Eigen::VectorXi& truth);

// Permutation importance of every tag for every evaluated class: the drop of
// the class' out-of-fold ROC AUC when the tag's column is shuffled within each
// held-out fold (models refitted per fold with the same seeds). AUC rather than
// F1, so that a rare class the classifier never predicts still ranks its tags.
Eigen::MatrixXd permutation_importance(const Eigen::MatrixXd& x, const Eigen::MatrixXi& y,
                                       const CrossValidated& cv, const EvaluationSettings& s);

}  // namespace penumbra::semantics
