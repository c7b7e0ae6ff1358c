#pragma once
// Two small binary classifiers for the one-vs-rest evaluation of tags:
// a random forest (Breiman 2001: bootstrap samples, √p features tried per
// split, Gini impurity, grown to purity) and L2-regularised logistic
// regression (standardised features, Newton's method, unpenalised intercept).
#include <Eigen/Dense>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace penumbra::semantics {

class BinaryClassifier {
 public:
  virtual ~BinaryClassifier() = default;
  // x: samples × features; y: 0/1 per sample.
  virtual void fit(const Eigen::MatrixXd& x, const Eigen::VectorXi& y, std::uint64_t seed) = 0;
  // P(y = 1) per sample.
  virtual Eigen::VectorXd predict_probability(const Eigen::MatrixXd& x) const = 0;
};

class RandomForest final : public BinaryClassifier {
 public:
  explicit RandomForest(int trees = 100);
  void fit(const Eigen::MatrixXd& x, const Eigen::VectorXi& y, std::uint64_t seed) override;
  Eigen::VectorXd predict_probability(const Eigen::MatrixXd& x) const override;

  struct Node {
    int feature = -1;  // -1: a leaf
    double threshold = 0, probability = 0;
    int left = -1, right = -1;
  };

 private:
  int trees_;
  std::vector<std::vector<Node>> forest_;
};

class LogisticRegression final : public BinaryClassifier {
 public:
  explicit LogisticRegression(double l2 = 1.0);
  void fit(const Eigen::MatrixXd& x, const Eigen::VectorXi& y, std::uint64_t seed) override;
  Eigen::VectorXd predict_probability(const Eigen::MatrixXd& x) const override;

 private:
  double l2_;
  Eigen::VectorXd mean_, scale_, weights_;
  double intercept_ = 0;
};

// "forest" or "logistic" (UsageError otherwise).
std::unique_ptr<BinaryClassifier> make_classifier(const std::string& name, int trees, double l2);

}  // namespace penumbra::semantics
