#include "src/semantics/phrase_similarity.hpp"

#include <algorithm>

#include "src/semantics/wordnet_lexicon.hpp"

namespace penumbra::semantics {

namespace {

// Mean over the words of `a` of their best similarity to a word of `b`;
// `sim(i, j)` is the similarity of a[i] and b[j].
template <class Sim>
double best_match_mean(std::size_t na, std::size_t nb, Sim sim) {
  if (na == 0 || nb == 0) return 0.0;
  double sum = 0;
  for (std::size_t i = 0; i < na; ++i) {
    double best = 0;
    for (std::size_t j = 0; j < nb; ++j) best = std::max(best, sim(i, j));
    sum += best;
  }
  return sum / double(na);
}

double combine(double corpus, double wordnet) {
  return 1.0 - (1.0 - std::max(0.0, corpus)) * (1.0 - wordnet);
}

}  // namespace

double wordnet_phrase_similarity(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  auto sim = [&](std::size_t i, std::size_t j) { return relation_similarity(word_relation(a[i], b[j])); };
  auto simt = [&](std::size_t j, std::size_t i) { return sim(i, j); };
  return 0.5 * (best_match_mean(a.size(), b.size(), sim) + best_match_mean(b.size(), a.size(), simt));
}

bool has_antonym_pair(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (const auto& x : a)
    for (const auto& y : b)
      if (word_relation(x, y) == WordRelation::kAntonym) return true;
  return false;
}

Eigen::VectorXd phrase_vector(const std::vector<std::string>& words, const WordVectors& vectors) {
  Eigen::VectorXd v = Eigen::VectorXd::Zero(vectors.dimensions());
  for (const auto& w : words)
    if (const double* row = vectors.find(w)) v += Eigen::Map<const Eigen::VectorXd>(row, vectors.dimensions());
  const double n = v.norm();
  return n > 0 ? Eigen::VectorXd(v / n) : v;
}

double phrase_similarity(const std::vector<std::string>& a, const std::vector<std::string>& b,
                         const WordVectors& vectors) {
  if (a == b) return 1.0;
  if (has_antonym_pair(a, b)) return 0.0;
  return combine(phrase_vector(a, vectors).dot(phrase_vector(b, vectors)), wordnet_phrase_similarity(a, b));
}

Eigen::MatrixXf similarity_matrix(const AnnotationCorpus& corpus, const WordVectors& vectors) {
  const auto n = Eigen::Index(corpus.phrases.size());
  const auto nw = Eigen::Index(vectors.words.size());
  // Word-pair relations once (the phrases reuse a few hundred words);
  // a negative entry marks antonyms.
  Eigen::MatrixXf word_sim(nw, nw);
  for (Eigen::Index i = 0; i < nw; ++i)
    for (Eigen::Index j = i; j < nw; ++j) {
      const WordRelation r = word_relation(vectors.words[i], vectors.words[j]);
      word_sim(i, j) = word_sim(j, i) = r == WordRelation::kAntonym ? -1.0f : float(relation_similarity(r));
    }
  std::vector<std::vector<int>> ids(corpus.phrases.size());
  Eigen::MatrixXd pv(n, vectors.dimensions());
  for (Eigen::Index p = 0; p < n; ++p) {
    for (const auto& w : corpus.phrase_words[p]) ids[p].push_back(vectors.index.at(w));
    pv.row(p) = phrase_vector(corpus.phrase_words[p], vectors).transpose();
  }
  const Eigen::MatrixXf cosine = (pv * pv.transpose()).cast<float>();
  Eigen::MatrixXf s(n, n);
  for (Eigen::Index p = 0; p < n; ++p) {
    s(p, p) = 1.0f;
    const auto& a = ids[p];
    for (Eigen::Index q = p + 1; q < n; ++q) {
      const auto& b = ids[q];
      bool antonyms = false;
      for (int x : a)
        for (int y : b) antonyms = antonyms || word_sim(x, y) < 0;
      auto sim = [&](std::size_t i, std::size_t j) { return std::max(0.0, double(word_sim(a[i], b[j]))); };
      auto simt = [&](std::size_t j, std::size_t i) { return sim(i, j); };
      const double wn = 0.5 * (best_match_mean(a.size(), b.size(), sim) + best_match_mean(b.size(), a.size(), simt));
      s(p, q) = s(q, p) = antonyms ? 0.0f : float(combine(cosine(p, q), wn));
    }
  }
  return s;
}

}  // namespace penumbra::semantics
