#include "src/semantics/word_vectors.hpp"

#include <cmath>

#include "src/core/checks.hpp"
#include "src/core/errors.hpp"

namespace penumbra::semantics {

const double* WordVectors::find(const std::string& word) const {
  auto it = index.find(word);
  return it == index.end() ? nullptr : vectors.row(it->second).data();
}

Eigen::MatrixXd positive_pmi(const Eigen::MatrixXd& counts, double context_smoothing) {
  const Eigen::VectorXd word_totals = counts.rowwise().sum();
  Eigen::VectorXd context_mass = counts.colwise().sum().transpose().array().pow(context_smoothing);
  const double total = counts.sum(), mass = context_mass.sum();
  Eigen::MatrixXd ppmi = Eigen::MatrixXd::Zero(counts.rows(), counts.cols());
  if (total <= 0 || mass <= 0) return ppmi;
  for (Eigen::Index w = 0; w < counts.rows(); ++w)
    for (Eigen::Index s = 0; s < counts.cols(); ++s) {
      if (counts(w, s) <= 0) continue;
      const double pmi = std::log(counts(w, s) / total / (word_totals(w) / total * context_mass(s) / mass));
      ppmi(w, s) = std::max(0.0, pmi);
    }
  return ppmi;
}

WordVectors learn_word_vectors(const AnnotationCorpus& corpus, int dimensions) {
  require_positive("dimensions", dimensions);
  WordVectors v;
  for (const auto& words : corpus.phrase_words)
    for (const auto& w : words)
      if (v.index.emplace(w, int(v.words.size())).second) v.words.push_back(w);
  if (v.words.empty()) throw DataError("the annotations hold no words");
  Eigen::MatrixXd counts = Eigen::MatrixXd::Zero(Eigen::Index(v.words.size()), Eigen::Index(corpus.subjects.size()));
  for (std::size_t s = 0; s < corpus.subjects.size(); ++s)
    for (std::size_t p : corpus.subject_phrases[s])
      for (const auto& w : corpus.phrase_words[p]) counts(v.index.at(w), Eigen::Index(s)) += 1.0;
  Eigen::BDCSVD<Eigen::MatrixXd> svd(positive_pmi(counts), Eigen::ComputeThinU);
  const Eigen::VectorXd& sigma = svd.singularValues();
  Eigen::Index k = std::min<Eigen::Index>(dimensions, sigma.size());
  while (k > 1 && sigma(k - 1) <= 1e-12 * sigma(0)) --k;
  v.vectors = svd.matrixU().leftCols(k) * sigma.head(k).cwiseSqrt().asDiagonal();
  for (Eigen::Index i = 0; i < v.vectors.rows(); ++i) {
    const double n = v.vectors.row(i).norm();
    if (n > 0) v.vectors.row(i) /= n;
  }
  return v;
}

}  // namespace penumbra::semantics
