#pragma once
// `penumbra tags derive` as a library call: annotations -> corpus -> word
// vectors -> phrase similarities -> dendrogram -> taxonomy.
#include <Eigen/Dense>

#include <filesystem>

#include "src/semantics/annotation_corpus.hpp"
#include "src/semantics/tag_taxonomy.hpp"
#include "src/semantics/word_vectors.hpp"

namespace penumbra::semantics {

struct DeriveSettings {
  AnnotationColumns columns;
  int dimensions = 25;      // corpus word-vector dimensions
  double threshold = 0.5;   // merge phrases while their average similarity is at least this
  std::size_t tags = 0;     // > 0: cut to this many tags instead of at the threshold
  void validate() const;    // UsageError naming the quantity
};

struct DerivedTags {
  AnnotationCorpus corpus;
  WordVectors vectors;
  Eigen::MatrixXf similarity;
  Dendrogram dendrogram;
  TagTaxonomy taxonomy;
};

// The corpus' taxonomy at another cut of the same dendrogram.
TagTaxonomy taxonomy_with(const DerivedTags& d, std::size_t tags);

DerivedTags derive_tags(const AnnotationCorpus& corpus, const DeriveSettings& settings);
DerivedTags derive_tags(const std::filesystem::path& annotations_csv, const DeriveSettings& settings);

}  // namespace penumbra::semantics
