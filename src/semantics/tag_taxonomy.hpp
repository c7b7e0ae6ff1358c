#pragma once
// Tags from phrases: average-linkage agglomerative clustering of the phrases
// on the distance 1 − similarity (the nearest-neighbour-chain algorithm, O(n²)
// time), cut at a similarity threshold or at a number of tags. Each tag is
// named by its most representative phrase: the member that maximises its own
// count times its similarity to the others weighted by their counts.
#include <Eigen/Dense>

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "src/semantics/annotation_corpus.hpp"

namespace penumbra::semantics {

// Node ids: 0..leaves-1 are the phrases, leaves + i the cluster made by merges[i].
struct Merge {
  std::size_t a = 0, b = 0;
  double distance = 0;  // average distance between the two clusters' phrases
};

struct Dendrogram {
  std::size_t leaves = 0;
  std::vector<Merge> merges;  // in order of increasing distance

  // Cluster label (0..k-1) of every leaf, cutting to `clusters` clusters
  // (UsageError unless 1 <= clusters <= leaves) ...
  std::vector<std::size_t> cut_to(std::size_t clusters) const;
  // ... or merging while the average similarity is at least `threshold`
  // (UsageError outside (0, 1]).
  std::vector<std::size_t> cut_at_similarity(double threshold) const;
};

// Average linkage: the mean distance between the clusters' phrases; complete:
// the largest (every pair of a tag's phrases at least that similar).
enum class Linkage { kAverage, kComplete };
Dendrogram agglomerate(const Eigen::MatrixXf& similarity, Linkage linkage);

struct Tag {
  std::string name;                  // the representative phrase
  std::vector<std::size_t> phrases;  // member phrase ids, most written first
  std::size_t count = 0;             // occurrences of its phrases in the corpus
};

struct TagTaxonomy {
  std::vector<Tag> tags;                   // most written first
  std::vector<std::size_t> tag_of_phrase;  // phrase id -> tag index
};

TagTaxonomy make_taxonomy(const AnnotationCorpus& corpus, const Eigen::MatrixXf& similarity,
                          const std::vector<std::size_t>& cluster_of_phrase);

// Subjects × tags: how often each subject's annotations used each tag.
Eigen::MatrixXd subject_tag_counts(const AnnotationCorpus& corpus, const TagTaxonomy& taxonomy);

// tag,count,phrases (phrases as "phrase (n); ..."), and the same as a Markdown table.
void write_taxonomy_csv(const std::filesystem::path& path, const AnnotationCorpus& corpus, const TagTaxonomy& t);
void write_taxonomy_markdown(const std::filesystem::path& path, const AnnotationCorpus& corpus,
                             const TagTaxonomy& t);
// subject_ids and one column per tag (counts).
void write_subject_tags_csv(const std::filesystem::path& path, const AnnotationCorpus& corpus,
                            const TagTaxonomy& t);

}  // namespace penumbra::semantics
