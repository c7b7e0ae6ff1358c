#pragma once
// The annotations of a survey as a corpus: every annotation split into
// phrases, every phrase reduced to its content lemmas, and the phrases of
// each subject (the object the experts described) kept together.
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "src/semantics/csv_table.hpp"

namespace penumbra::semantics {

struct AnnotationColumns {
  std::string text = "annotations";
  std::string subject = "subject_ids";
};

struct AnnotationCorpus {
  // Unique phrases: the content lemmas joined by spaces ("bent tail").
  std::vector<std::string> phrases;
  std::vector<std::vector<std::string>> phrase_words;  // the lemmas of each phrase
  std::vector<std::size_t> phrase_count;               // occurrences in the corpus
  std::vector<std::string> subjects;                   // in order of first appearance
  std::vector<std::vector<std::size_t>> subject_phrases;  // phrase ids of each subject, repeated as used
  std::size_t annotations = 0;         // rows read
  std::size_t empty_annotations = 0;   // rows with no text (skipped)
  std::size_t dropped_phrases = 0;     // phrases of stop words only
  std::size_t phrase_occurrences() const;
};

// Needs WordNet (require_wordnet). DataError when a named column is missing.
AnnotationCorpus build_corpus(const CsvTable& table, const AnnotationColumns& columns = {});
AnnotationCorpus read_annotations(const std::filesystem::path& csv, const AnnotationColumns& columns = {});

// The content lemmas of one normalised phrase (stop words dropped).
std::vector<std::string> content_lemmas(const std::string& normalised_phrase);

}  // namespace penumbra::semantics
