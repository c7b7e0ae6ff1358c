#pragma once
// Word vectors learnt from the corpus itself: words that experts use for the
// same subjects are alike. The word-by-subject counts are turned into positive
// pointwise mutual information (context distribution smoothed with exponent
// 0.75, Levy, Goldberg & Dagan 2015) and reduced by a truncated SVD (Eigen):
// a word's vector is its row of U_k Σ_k^½, scaled to unit length.
#include <Eigen/Dense>

#include <string>
#include <unordered_map>
#include <vector>

#include "src/semantics/annotation_corpus.hpp"

namespace penumbra::semantics {

struct WordVectors {
  std::vector<std::string> words;
  std::unordered_map<std::string, int> index;
  // One unit row per word (a zero row for a word without positive PMI); row
  // major, so that find() returns a contiguous row.
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> vectors;

  // The word's row, or nullptr for a word the corpus does not hold.
  const double* find(const std::string& word) const;
  int dimensions() const { return int(vectors.cols()); }
};

// `dimensions` is capped by the rank of the PPMI matrix. UsageError when
// dimensions < 1; DataError for a corpus without words.
WordVectors learn_word_vectors(const AnnotationCorpus& corpus, int dimensions = 25);

// The positive PMI matrix (words × subjects) the vectors are made from.
Eigen::MatrixXd positive_pmi(const Eigen::MatrixXd& counts, double context_smoothing = 0.75);

}  // namespace penumbra::semantics
