#include "src/semantics/tag_derivation.hpp"

#include <numeric>

#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/semantics/phrase_similarity.hpp"
#include "src/semantics/wordnet_lexicon.hpp"

namespace penumbra::semantics {

void DeriveSettings::validate() const {
  require_positive("dimensions", dimensions);
  require_positive("min count", min_count);
  require_in("linkage", linkage, {"average", "complete"});
  if (!(threshold > 0 && threshold <= 1)) fail_check("threshold", "in (0, 1]", threshold);
}

namespace {

TagTaxonomy expand(const DerivedTags& d, const std::vector<std::size_t>& leaf_cluster) {
  std::vector<std::size_t> cluster(d.corpus.phrases.size());
  for (std::size_t p = 0; p < cluster.size(); ++p) cluster[p] = leaf_cluster[d.nearest_clustered[p]];
  return make_taxonomy(d.corpus, d.similarity, cluster);
}

// Leaves: the phrases written at least min_count times (all of them when
// fewer than two are); every phrase goes with its most similar leaf.
void choose_leaves(DerivedTags& d, std::size_t min_count) {
  const auto& count = d.corpus.phrase_count;
  for (std::size_t p = 0; p < count.size(); ++p)
    if (count[p] >= min_count) d.clustered.push_back(p);
  if (d.clustered.size() < 2) {
    d.clustered.resize(count.size());
    std::iota(d.clustered.begin(), d.clustered.end(), 0);
  }
  d.nearest_clustered.assign(count.size(), 0);
  for (std::size_t p = 0; p < count.size(); ++p) {
    float best = -1;
    for (std::size_t l = 0; l < d.clustered.size(); ++l) {
      const float s = d.clustered[l] == p ? 2.0f : d.similarity(Eigen::Index(p), Eigen::Index(d.clustered[l]));
      if (s > best) best = s, d.nearest_clustered[p] = l;
    }
  }
}

}  // namespace

TagTaxonomy taxonomy_with(const DerivedTags& d, std::size_t tags) {
  return expand(d, d.dendrogram.cut_to(std::min(tags, d.dendrogram.leaves)));
}

TagTaxonomy taxonomy_at_similarity(const DerivedTags& d, double threshold) {
  return expand(d, d.dendrogram.cut_at_similarity(threshold));
}

DerivedTags derive_tags(const AnnotationCorpus& corpus, const DeriveSettings& settings) {
  settings.validate();
  if (corpus.phrases.empty()) throw DataError("the annotations hold no phrases");
  DerivedTags d;
  d.corpus = corpus;
  d.vectors = learn_word_vectors(d.corpus, settings.dimensions);
  d.similarity = similarity_matrix(d.corpus, d.vectors);
  choose_leaves(d, settings.min_count);
  const auto leaves = Eigen::Map<const Eigen::Matrix<std::size_t, Eigen::Dynamic, 1>>(d.clustered.data(),
                                                                                      Eigen::Index(d.clustered.size()));
  d.dendrogram = agglomerate(d.similarity(leaves.cast<Eigen::Index>(), leaves.cast<Eigen::Index>()),
                             settings.linkage == "complete" ? Linkage::kComplete : Linkage::kAverage);
  d.taxonomy = settings.tags > 0 ? taxonomy_with(d, settings.tags) : taxonomy_at_similarity(d, settings.threshold);
  return d;
}

DerivedTags derive_tags(const std::filesystem::path& annotations_csv, const DeriveSettings& settings) {
  settings.validate();
  require_wordnet();
  return derive_tags(read_annotations(annotations_csv, settings.columns), settings);
}

}  // namespace penumbra::semantics
