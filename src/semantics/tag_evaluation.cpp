#include "src/semantics/tag_evaluation.hpp"

#include <algorithm>
#include <numeric>
#include <thread>

#include <fmt/format.h>

#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/rng.hpp"
#include "src/core/threads.hpp"
#include "src/semantics/binary_classifiers.hpp"

namespace penumbra::semantics {

namespace {

struct Counts {
  double tp = 0, fp = 0, fn = 0;
};
double f1_of(const Counts& c) { return c.tp > 0 ? 2 * c.tp / (2 * c.tp + c.fp + c.fn) : 0.0; }

F1Scores scores_from(const std::vector<Counts>& per_class) {
  F1Scores f;
  Counts all;
  double support = 0;
  for (const Counts& c : per_class) {
    all.tp += c.tp, all.fp += c.fp, all.fn += c.fn;
    const double f1 = f1_of(c), n = c.tp + c.fn;
    f.macro += f1 / double(per_class.size());
    f.weighted += f1 * n;
    support += n;
  }
  f.micro = f1_of(all);
  f.weighted = support > 0 ? f.weighted / support : 0.0;
  return f;
}

std::vector<Counts> class_counts(const Eigen::MatrixXi& truth, const Eigen::MatrixXi& predicted,
                                 const std::vector<Eigen::Index>& rows) {
  std::vector<Counts> c(std::size_t(truth.cols()));
  for (Eigen::Index r : rows)
    for (Eigen::Index k = 0; k < truth.cols(); ++k) {
      const int t = truth(r, k), p = predicted(r, k);
      c[std::size_t(k)].tp += t && p;
      c[std::size_t(k)].fp += !t && p;
      c[std::size_t(k)].fn += t && !p;
    }
  return c;
}

Eigen::MatrixXd rows_of(const Eigen::MatrixXd& x, const std::vector<int>& fold, int f, bool inside) {
  std::vector<Eigen::Index> r;
  for (std::size_t i = 0; i < fold.size(); ++i)
    if ((fold[i] == f) == inside) r.push_back(Eigen::Index(i));
  return x(r, Eigen::all);
}

Eigen::VectorXi labels_of(const Eigen::VectorXi& y, const std::vector<int>& fold, int f) {
  std::vector<Eigen::Index> r;
  for (std::size_t i = 0; i < fold.size(); ++i)
    if (fold[i] != f) r.push_back(Eigen::Index(i));
  return y(r);
}

// Out-of-fold probabilities of one class; `permute` >= 0 shuffles that column of each held-out fold.
Eigen::VectorXd out_of_fold(const Eigen::MatrixXd& x, const Eigen::VectorXi& y, const std::vector<int>& fold,
                            const EvaluationSettings& s, std::uint64_t seed, const std::vector<int>& permute) {
  Eigen::VectorXd prob(x.rows());
  std::vector<Eigen::VectorXd> permuted(permute.size(), Eigen::VectorXd(x.rows()));
  for (int f = 0; f < s.folds; ++f) {
    auto model = make_classifier(s.classifier, s.trees, s.l2);
    model->fit(rows_of(x, fold, f, false), labels_of(y, fold, f), derive_seed(seed, std::uint64_t(f)));
    Eigen::MatrixXd test = rows_of(x, fold, f, true);
    if (test.rows() == 0) continue;
    const Eigen::VectorXd p = model->predict_probability(test);
    for (std::size_t k = 0; k < permute.size(); ++k) {
      Eigen::MatrixXd shuffled = test;
      std::vector<Eigen::Index> order(std::size_t(test.rows()));
      std::iota(order.begin(), order.end(), 0);
      Rng rng = make_rng(seed, 0x9E37ull + std::uint64_t(f) * 100003 + std::uint64_t(permute[k]));
      std::shuffle(order.begin(), order.end(), rng);
      shuffled.col(permute[k]) = test.col(permute[k])(order);
      const Eigen::VectorXd pp = model->predict_probability(shuffled);
      for (Eigen::Index i = 0, t = 0; i < x.rows(); ++i)
        if (fold[std::size_t(i)] == f) permuted[k](i) = pp(t++);
    }
    for (Eigen::Index i = 0, t = 0; i < x.rows(); ++i)
      if (fold[std::size_t(i)] == f) prob(i) = p(t++);
  }
  if (!permute.empty()) {
    Eigen::MatrixXd out(x.rows(), Eigen::Index(permute.size()));
    for (std::size_t k = 0; k < permute.size(); ++k) out.col(Eigen::Index(k)) = permuted[k];
    return Eigen::Map<Eigen::VectorXd>(out.data(), out.size());
  }
  return prob;
}

// Runs body(i) for i in [0, n) on the process' thread budget (--threads).
template <class Body>
void parallel_for(std::size_t n, Body body) {
  const std::size_t workers = std::max<std::size_t>(1, std::min<std::size_t>(std::size_t(std::max(1, thread_count())), n));
  std::vector<std::thread> pool;
  for (std::size_t w = 0; w < workers; ++w)
    pool.emplace_back([&, w] {
      for (std::size_t i = w; i < n; i += workers) body(i);
    });
  for (auto& t : pool) t.join();
}

}  // namespace

void EvaluationSettings::validate() const {
  require_in("classifier", classifier, {"forest", "logistic"});
  require_at_least("folds", folds, 2);
  require_positive("trees", trees);
  require_positive("l2", l2);
  require_at_least("bootstrap", bootstrap, 0);
}

std::vector<int> stratified_folds(const Eigen::VectorXi& y, int folds, std::uint64_t seed) {
  std::vector<int> fold(std::size_t(y.size()));
  Rng rng = make_rng(seed, 0x5F01Dull);
  for (int label : {1, 0}) {
    std::vector<std::size_t> idx;
    for (Eigen::Index i = 0; i < y.size(); ++i)
      if (y(i) == label) idx.push_back(std::size_t(i));
    std::shuffle(idx.begin(), idx.end(), rng);
    for (std::size_t k = 0; k < idx.size(); ++k) fold[idx[k]] = int(k % std::size_t(folds));
  }
  return fold;
}

double roc_auc(const Eigen::VectorXd& score, const Eigen::VectorXi& truth) {
  std::vector<Eigen::Index> order(static_cast<std::size_t>(score.size()));
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return score(a) < score(b); });
  double rank_sum = 0, positives = 0;
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j < order.size() && score(order[j]) == score(order[i])) ++j;
    const double mid_rank = 0.5 * double(i + j + 1);  // ranks from 1, ties averaged
    for (std::size_t m = i; m < j; ++m)
      if (truth(order[m])) rank_sum += mid_rank, ++positives;
    i = j;
  }
  const double negatives = double(score.size()) - positives;
  if (positives == 0 || negatives == 0) return 0.5;
  return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives);
}

F1Scores f1_scores(const Eigen::MatrixXi& truth, const Eigen::MatrixXi& predicted) {
  std::vector<Eigen::Index> all(std::size_t(truth.rows()));
  std::iota(all.begin(), all.end(), 0);
  return scores_from(class_counts(truth, predicted, all));
}

CrossValidated cross_validate(const Eigen::MatrixXd& x, const Eigen::MatrixXi& y, const EvaluationSettings& s) {
  s.validate();
  CrossValidated cv;
  for (Eigen::Index c = 0; c < y.cols(); ++c)
    if (std::size_t(y.col(c).sum()) >= s.min_positives) cv.classes.push_back(std::size_t(c));
  if (cv.classes.empty())
    throw DataError(fmt::format("no expert class has {} positive subjects at this agreement", s.min_positives));
  const Eigen::Index n = x.rows(), k = Eigen::Index(cv.classes.size());
  Eigen::MatrixXi truth(n, k);
  cv.probability.resize(n, k);
  cv.fold_of_class_subject.resize(std::size_t(n * k));
  parallel_for(cv.classes.size(), [&](std::size_t j) {
    const Eigen::VectorXi yc = y.col(Eigen::Index(cv.classes[j]));
    const auto fold = stratified_folds(yc, s.folds, derive_seed(s.seed, cv.classes[j]));
    std::copy(fold.begin(), fold.end(), cv.fold_of_class_subject.begin() + std::ptrdiff_t(j * std::size_t(n)));
    truth.col(Eigen::Index(j)) = yc;
    cv.probability.col(Eigen::Index(j)) = out_of_fold(x, yc, fold, s, derive_seed(s.seed, 1000 + cv.classes[j]), {});
  });
  cv.predicted = (cv.probability.array() >= 0.5).cast<int>();
  cv.f1 = f1_scores(truth, cv.predicted);
  for (Eigen::Index j = 0; j < k; ++j) {
    cv.class_f1.push_back(f1_scores(truth.col(j), cv.predicted.col(j)).macro);
    cv.class_auc.push_back(roc_auc(cv.probability.col(j), truth.col(j)));
  }
  std::vector<F1Scores> boot;
  Rng rng = make_rng(s.seed, 0xB007ull);
  std::uniform_int_distribution<Eigen::Index> pick(0, n - 1);
  for (int b = 0; b < s.bootstrap; ++b) {
    std::vector<Eigen::Index> rows(static_cast<std::size_t>(n));
    for (auto& r : rows) r = pick(rng);
    boot.push_back(scores_from(class_counts(truth, cv.predicted, rows)));
  }
  auto interval = [&](double F1Scores::*m, double& lo, double& hi) {
    std::vector<double> v;
    for (const auto& f : boot) v.push_back(f.*m);
    std::sort(v.begin(), v.end());
    lo = v.empty() ? cv.f1.*m : v[std::size_t(0.025 * double(v.size() - 1))];
    hi = v.empty() ? cv.f1.*m : v[std::size_t(0.975 * double(v.size() - 1))];
  };
  for (auto m : {&F1Scores::micro, &F1Scores::weighted, &F1Scores::macro}) interval(m, cv.low.*m, cv.high.*m);
  return cv;
}

Eigen::MatrixXd permutation_importance(const Eigen::MatrixXd& x, const Eigen::MatrixXi& y, const CrossValidated& cv,
                                       const EvaluationSettings& s) {
  const Eigen::Index n = x.rows();
  Eigen::MatrixXd importance(x.cols(), Eigen::Index(cv.classes.size()));
  std::vector<int> all(std::size_t(x.cols()));
  std::iota(all.begin(), all.end(), 0);
  parallel_for(cv.classes.size(), [&](std::size_t j) {
    const Eigen::VectorXi yc = y.col(Eigen::Index(cv.classes[j]));
    std::vector<int> fold(cv.fold_of_class_subject.begin() + std::ptrdiff_t(j * std::size_t(n)),
                          cv.fold_of_class_subject.begin() + std::ptrdiff_t((j + 1) * std::size_t(n)));
    const Eigen::VectorXd flat = out_of_fold(x, yc, fold, s, derive_seed(s.seed, 1000 + cv.classes[j]), all);
    for (Eigen::Index t = 0; t < x.cols(); ++t) {
      importance(t, Eigen::Index(j)) = cv.class_auc[j] - roc_auc(flat.segment(t * n, n), yc);
    }
  });
  return importance;
}

}  // namespace penumbra::semantics
