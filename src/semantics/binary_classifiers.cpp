#include "src/semantics/binary_classifiers.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "src/core/checks.hpp"
#include "src/core/rng.hpp"

namespace penumbra::semantics {

namespace {

using Node = RandomForest::Node;

struct TreeBuilder {
  const Eigen::MatrixXd& x;
  const Eigen::VectorXi& y;
  Rng& rng;
  int features_per_split;
  std::vector<Node> nodes;

  double positive_fraction(const std::vector<int>& idx) const {
    double pos = 0;
    for (int i : idx) pos += y(i);
    return pos / double(idx.size());
  }

  // Best (feature, threshold) by Gini decrease among a random subset of features; false when none splits.
  bool best_split(const std::vector<int>& idx, int& feature, double& threshold) {
    std::vector<int> features(std::size_t(x.cols()));
    std::iota(features.begin(), features.end(), 0);
    std::shuffle(features.begin(), features.end(), rng);
    const double n = double(idx.size()), total_pos = positive_fraction(idx) * n;
    double best = 1e300;
    std::vector<int> order(idx);
    for (int k = 0; k < std::min<int>(features_per_split, int(features.size())); ++k) {
      const int f = features[std::size_t(k)];
      std::sort(order.begin(), order.end(), [&](int a, int b) { return x(a, f) < x(b, f); });
      double left_pos = 0;
      for (std::size_t i = 0; i + 1 < order.size(); ++i) {
        left_pos += y(order[i]);
        if (x(order[i], f) == x(order[i + 1], f)) continue;
        const double nl = double(i + 1), nr = n - nl, rp = total_pos - left_pos;
        const double gini = nl * (1 - std::pow(left_pos / nl, 2) - std::pow(1 - left_pos / nl, 2)) +
                            nr * (1 - std::pow(rp / nr, 2) - std::pow(1 - rp / nr, 2));
        if (gini < best - 1e-12) {
          best = gini;
          feature = f;
          threshold = 0.5 * (x(order[i], f) + x(order[i + 1], f));
        }
      }
    }
    return best < 1e300;
  }

  int grow(const std::vector<int>& idx) {
    const int id = int(nodes.size());
    nodes.push_back(Node{});
    const double p = positive_fraction(idx);
    nodes[std::size_t(id)].probability = p;
    int feature = -1;
    double threshold = 0;
    if (p == 0 || p == 1 || idx.size() < 2 || !best_split(idx, feature, threshold)) return id;
    std::vector<int> left, right;
    for (int i : idx) (x(i, feature) <= threshold ? left : right).push_back(i);
    const int l = grow(left), r = grow(right);
    Node& node = nodes[std::size_t(id)];
    node.feature = feature;
    node.threshold = threshold;
    node.left = l;
    node.right = r;
    return id;
  }
};

}  // namespace

RandomForest::RandomForest(int trees) : trees_(trees) { require_positive("trees", trees); }

void RandomForest::fit(const Eigen::MatrixXd& x, const Eigen::VectorXi& y, std::uint64_t seed) {
  forest_.clear();
  Rng rng = make_rng(seed, 0xF0E57ull);
  const int n = int(x.rows());
  const int mtry = std::max(1, int(std::lround(std::sqrt(double(x.cols())))));
  std::uniform_int_distribution<int> pick(0, n - 1);
  for (int t = 0; t < trees_; ++t) {
    std::vector<int> sample(static_cast<std::size_t>(n));
    for (int& i : sample) i = pick(rng);
    TreeBuilder b{x, y, rng, mtry, {}};
    b.grow(sample);
    forest_.push_back(std::move(b.nodes));
  }
}

Eigen::VectorXd RandomForest::predict_probability(const Eigen::MatrixXd& x) const {
  Eigen::VectorXd p = Eigen::VectorXd::Zero(x.rows());
  for (const auto& tree : forest_)
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
      int node = 0;
      while (tree[std::size_t(node)].feature >= 0) {
        const Node& nd = tree[std::size_t(node)];
        node = x(i, nd.feature) <= nd.threshold ? nd.left : nd.right;
      }
      p(i) += tree[std::size_t(node)].probability;
    }
  return forest_.empty() ? p : Eigen::VectorXd(p / double(forest_.size()));
}

LogisticRegression::LogisticRegression(double l2) : l2_(l2) { require_positive("l2", l2); }

void LogisticRegression::fit(const Eigen::MatrixXd& x, const Eigen::VectorXi& y, std::uint64_t) {
  const Eigen::Index n = x.rows(), p = x.cols();
  mean_ = x.colwise().mean().transpose();
  scale_ = ((x.rowwise() - mean_.transpose()).array().square().colwise().mean().sqrt()).transpose();
  for (Eigen::Index j = 0; j < p; ++j)
    if (scale_(j) <= 0) scale_(j) = 1;
  Eigen::MatrixXd z(n, p + 1);
  z.leftCols(p) = (x.rowwise() - mean_.transpose()).array().rowwise() / scale_.transpose().array();
  z.col(p).setOnes();
  Eigen::VectorXd w = Eigen::VectorXd::Zero(p + 1), yd = y.cast<double>();
  Eigen::VectorXd penalty = Eigen::VectorXd::Constant(p + 1, l2_);
  penalty(p) = 0;
  for (int iter = 0; iter < 50; ++iter) {
    const Eigen::VectorXd prob = (1.0 / (1.0 + (-(z * w)).array().exp())).matrix();
    const Eigen::VectorXd grad = z.transpose() * (prob - yd) + penalty.cwiseProduct(w);
    const Eigen::VectorXd r = (prob.array() * (1 - prob.array())).max(1e-10).matrix();
    Eigen::MatrixXd h = z.transpose() * r.asDiagonal() * z;
    h.diagonal() += penalty + Eigen::VectorXd::Constant(p + 1, 1e-9);
    const Eigen::VectorXd step = h.ldlt().solve(grad);
    w -= step;
    if (step.norm() < 1e-8 * (1 + w.norm())) break;
  }
  weights_ = w.head(p);
  intercept_ = w(p);
}

Eigen::VectorXd LogisticRegression::predict_probability(const Eigen::MatrixXd& x) const {
  const Eigen::MatrixXd z = (x.rowwise() - mean_.transpose()).array().rowwise() / scale_.transpose().array();
  return (1.0 / (1.0 + (-((z * weights_).array() + intercept_)).exp())).matrix();
}

std::unique_ptr<BinaryClassifier> make_classifier(const std::string& name, int trees, double l2) {
  require_in("classifier", name, {"forest", "logistic"});
  if (name == "forest") return std::make_unique<RandomForest>(trees);
  return std::make_unique<LogisticRegression>(l2);
}

}  // namespace penumbra::semantics
