#pragma once
// `penumbra tags derive` as a library call: annotations -> corpus -> word
// vectors -> phrase similarities -> dendrogram -> taxonomy.
#include <Eigen/Dense>

#include <filesystem>
#include <string>

#include "src/semantics/annotation_corpus.hpp"
#include "src/semantics/tag_taxonomy.hpp"
#include "src/semantics/word_vectors.hpp"

namespace penumbra::semantics {

struct DeriveSettings {
  AnnotationColumns columns;
  int dimensions = 25;      // corpus word-vector dimensions
  double threshold = 0.5;   // merge phrases while their average similarity is at least this
  std::size_t tags = 0;     // > 0: cut to this many tags instead of at the threshold
  // Phrases written fewer times are not clustered (one-off long sentences
  // chain clusters together): each joins the tag of its most similar phrase.
  std::size_t min_count = 2;
  std::string linkage = "complete";  // or "average" (chains the corpus into a few large tags)
  void validate() const;    // UsageError naming the quantity
};

struct DerivedTags {
  AnnotationCorpus corpus;
  WordVectors vectors;
  Eigen::MatrixXf similarity;
  std::vector<std::size_t> clustered;  // phrase ids of the dendrogram's leaves
  Dendrogram dendrogram;
  std::vector<std::size_t> nearest_clustered;  // per phrase: the leaf it goes with
  TagTaxonomy taxonomy;
};

// The corpus' taxonomy at another cut of the same dendrogram (at most as many
// tags as clustered phrases).
TagTaxonomy taxonomy_with(const DerivedTags& d, std::size_t tags);
TagTaxonomy taxonomy_at_similarity(const DerivedTags& d, double threshold);

DerivedTags derive_tags(const AnnotationCorpus& corpus, const DeriveSettings& settings);
DerivedTags derive_tags(const std::filesystem::path& annotations_csv, const DeriveSettings& settings);

}  // namespace penumbra::semantics
