#pragma once
// How alike two phrases are, from two sources of evidence:
//  - the corpus: cosine of the phrases' vectors (the mean of their words'
//    corpus vectors), negative values counted as 0;
//  - WordNet: each word matched with its most related word of the other
//    phrase (same lemma 1, synonyms 0.9, similar-to or hypernym 0.7, sharing
//    one 0.5), averaged both ways.
// They combine as a noisy-or, s = 1 − (1 − s_corpus)(1 − s_wordnet): either
// source can vouch for a pair. A pair of WordNet antonyms across the phrases
// ("bright" / "faint") sets s to 0, because the corpus vectors put antonyms
// close (experts use both on the same kind of source).
#include <Eigen/Dense>

#include <string>
#include <vector>

#include "src/semantics/word_vectors.hpp"

namespace penumbra::semantics {

double wordnet_phrase_similarity(const std::vector<std::string>& a, const std::vector<std::string>& b);
bool has_antonym_pair(const std::vector<std::string>& a, const std::vector<std::string>& b);
// The unit corpus vector of a phrase (zero when none of its words has one).
Eigen::VectorXd phrase_vector(const std::vector<std::string>& words, const WordVectors& vectors);
double phrase_similarity(const std::vector<std::string>& a, const std::vector<std::string>& b,
                         const WordVectors& vectors);

// Similarities of every pair of the corpus' phrases (symmetric, unit diagonal).
Eigen::MatrixXf similarity_matrix(const AnnotationCorpus& corpus, const WordVectors& vectors);

}  // namespace penumbra::semantics
