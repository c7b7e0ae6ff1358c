#include "src/semantics/tag_derivation.hpp"

#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/semantics/phrase_similarity.hpp"
#include "src/semantics/wordnet_lexicon.hpp"

namespace penumbra::semantics {

void DeriveSettings::validate() const {
  require_positive("dimensions", dimensions);
  if (!(threshold > 0 && threshold <= 1)) fail_check("threshold", "in (0, 1]", threshold);
}

TagTaxonomy taxonomy_with(const DerivedTags& d, std::size_t tags) {
  return make_taxonomy(d.corpus, d.similarity, d.dendrogram.cut_to(std::min(tags, d.dendrogram.leaves)));
}

DerivedTags derive_tags(const AnnotationCorpus& corpus, const DeriveSettings& settings) {
  settings.validate();
  if (corpus.phrases.empty()) throw DataError("the annotations hold no phrases");
  DerivedTags d;
  d.corpus = corpus;
  d.vectors = learn_word_vectors(d.corpus, settings.dimensions);
  d.similarity = similarity_matrix(d.corpus, d.vectors);
  d.dendrogram = average_linkage(d.similarity);
  d.taxonomy = settings.tags > 0 ? taxonomy_with(d, settings.tags)
                                 : make_taxonomy(d.corpus, d.similarity, d.dendrogram.cut_at_similarity(settings.threshold));
  return d;
}

DerivedTags derive_tags(const std::filesystem::path& annotations_csv, const DeriveSettings& settings) {
  settings.validate();
  require_wordnet();
  return derive_tags(read_annotations(annotations_csv, settings.columns), settings);
}

}  // namespace penumbra::semantics
