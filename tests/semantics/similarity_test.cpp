// The phrase similarity on a hand-made pair set: pairs that must be near and
// pairs that must be far, with the vectors learnt from the real annotations.
#include <gtest/gtest.h>

#include <filesystem>

#include "src/semantics/phrase_similarity.hpp"
#include "src/semantics/text_normalisation.hpp"
#include "src/semantics/wordnet_lexicon.hpp"
#include "tests/support/paths.hpp"

namespace penumbra::semantics {
namespace {

double similarity(const std::string& a, const std::string& b, const WordVectors& v) {
  return phrase_similarity(content_lemmas(normalise_text(a)), content_lemmas(normalise_text(b)), v);
}

TEST(PhraseSimilarity, HandMadePairsOnTheRealCorpus) {
  if (!wordnet_available()) GTEST_SKIP() << "WordNet (wordnet-dev, wordnet-base) is not installed";
  const auto csv = test::shared_data("rgz_emu_annotations/english_annotations.csv");
  if (csv.empty()) GTEST_SKIP() << "../shared/data/rgz_emu_annotations is absent";
  const AnnotationCorpus corpus = read_annotations(csv);
  const WordVectors v = learn_word_vectors(corpus, 25);
  const std::vector<std::pair<std::string, std::string>> near = {
      {"bent", "curved"}, {"lobe", "lobes"}, {"bent tail", "curved tail"}, {"elongated", "extended"},
      {"large", "big"}, {"jets", "jet"}, {"bright core", "brighter core"}};
  const std::vector<std::pair<std::string, std::string>> far = {
      {"compact", "extended"}, {"host", "bent"}, {"compact", "bent tail"}, {"single", "triple"}};
  for (const auto& [a, b] : near) {
    SCOPED_TRACE(a + " / " + b);
    EXPECT_GE(similarity(a, b, v), 0.5);
  }
  for (const auto& [a, b] : far) {
    SCOPED_TRACE(a + " / " + b);
    EXPECT_LT(similarity(a, b, v), 0.3);
  }
  // Contrasts used on the same sources stay below synonyms, though not far.
  EXPECT_LT(similarity("bright", "faint", v), similarity("bent", "curved", v));
}

TEST(PhraseSimilarity, WordNetAloneGivesSynonymsAndVetoesAntonyms) {
  if (!wordnet_available()) GTEST_SKIP() << "WordNet (wordnet-dev, wordnet-base) is not installed";
  EXPECT_NEAR(wordnet_phrase_similarity({"large", "lobe"}, {"big", "lobe"}), 0.95, 1e-12);
  EXPECT_TRUE(has_antonym_pair({"bright", "core"}, {"dim", "core"}));
  EXPECT_FALSE(has_antonym_pair({"bright", "core"}, {"bent", "tail"}));
  WordVectors none;
  EXPECT_EQ(phrase_similarity({"bright", "core"}, {"dim", "core"}, none), 0.0);
  EXPECT_EQ(phrase_similarity({"lobe"}, {"lobe"}, none), 1.0);
}

}  // namespace
}  // namespace penumbra::semantics
