#include "src/semantics/annotation_corpus.hpp"

#include <numeric>
#include <unordered_map>

#include "src/semantics/text_normalisation.hpp"
#include "src/semantics/wordnet_lexicon.hpp"

namespace penumbra::semantics {

std::size_t AnnotationCorpus::phrase_occurrences() const {
  return std::accumulate(phrase_count.begin(), phrase_count.end(), std::size_t(0));
}

std::vector<std::string> content_lemmas(const std::string& normalised_phrase) {
  std::vector<std::string> lemmas;
  for (const std::string& w : words_of(normalised_phrase)) {
    if (is_stop_word(w)) continue;
    std::string lemma = lemmatise(w);
    if (!is_stop_word(lemma)) lemmas.push_back(std::move(lemma));
  }
  return lemmas;
}

AnnotationCorpus build_corpus(const CsvTable& table, const AnnotationColumns& columns) {
  require_wordnet();
  const std::size_t text_col = table.column(columns.text);
  const std::size_t subject_col = table.column(columns.subject);
  AnnotationCorpus c;
  std::unordered_map<std::string, std::size_t> phrase_id, subject_id;
  for (const auto& row : table.rows) {
    ++c.annotations;
    auto phrases = split_phrases(row[text_col]);
    if (phrases.empty()) {
      ++c.empty_annotations;
      continue;
    }
    auto [sit, new_subject] = subject_id.emplace(row[subject_col], c.subjects.size());
    if (new_subject) {
      c.subjects.push_back(row[subject_col]);
      c.subject_phrases.emplace_back();
    }
    for (const std::string& p : phrases) {
      auto lemmas = content_lemmas(p);
      if (lemmas.empty()) {
        ++c.dropped_phrases;
        continue;
      }
      std::string key = lemmas[0];
      for (std::size_t i = 1; i < lemmas.size(); ++i) key += ' ' + lemmas[i];
      auto [pit, new_phrase] = phrase_id.emplace(key, c.phrases.size());
      if (new_phrase) {
        c.phrases.push_back(key);
        c.phrase_words.push_back(std::move(lemmas));
        c.phrase_count.push_back(0);
      }
      ++c.phrase_count[pit->second];
      c.subject_phrases[sit->second].push_back(pit->second);
    }
  }
  return c;
}

AnnotationCorpus read_annotations(const std::filesystem::path& csv, const AnnotationColumns& columns) {
  require_wordnet();
  return build_corpus(read_csv(csv), columns);
}

}  // namespace penumbra::semantics
