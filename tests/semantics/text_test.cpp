// CSV reading (quoting, embedded commas and newlines), normalisation, phrase
// splitting and WordNet lemmas.
#include <gtest/gtest.h>

#include "src/core/errors.hpp"
#include "src/semantics/csv_table.hpp"
#include "src/semantics/text_normalisation.hpp"
#include "src/semantics/wordnet_lexicon.hpp"

namespace penumbra::semantics {
namespace {

TEST(CsvTable, QuotedFieldsKeepCommasQuotesAndNewlines) {
  const std::string text =
      ",annotations,subject_ids\n"
      "0,\"compact core, extended towards South\",71287208\n"
      "1,compact,71287021\n"
      "2,\"a \"\"bent\"\" tail,\nwide\",7\r\n"
      "3,,8\n";
  CsvTable t = parse_csv(text);
  ASSERT_EQ(t.header.size(), 3u);
  EXPECT_EQ(t.header[0], "");
  ASSERT_EQ(t.rows.size(), 4u);
  const std::size_t a = t.column("annotations");
  EXPECT_EQ(t.rows[0][a], "compact core, extended towards South");
  EXPECT_EQ(t.rows[1][a], "compact");
  EXPECT_EQ(t.rows[2][a], "a \"bent\" tail,\nwide");
  EXPECT_EQ(t.rows[2][2], "7");
  EXPECT_EQ(t.rows[3][a], "");
}

TEST(CsvTable, MissingColumnUnclosedQuoteAndRaggedRowsAreDataErrors) {
  CsvTable t = parse_csv("a,b\n1,2\n", "x.csv");
  try {
    t.column("subject_ids");
    FAIL();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("x.csv has no column 'subject_ids' (columns: a, b)"), std::string::npos);
  }
  EXPECT_THROW(parse_csv("a,b\n1,\"2\n"), DataError);
  EXPECT_THROW(parse_csv("a,b\n1,2,3\n"), DataError);
  EXPECT_THROW(parse_csv(""), DataError);
  EXPECT_THROW(read_csv("/nonexistent/annotations.csv"), MissingInputError);
}

TEST(TextNormalisation, CasePunctuationAndSpellingVariants) {
  EXPECT_EQ(normalise_text("  Bright CORE, in the Center! "), "bright core in the centre");
  EXPECT_EQ(normalise_text("multi-component"), "multi component");
  EXPECT_EQ(normalise_text("assymetric Artifact"), "asymmetric artefact");
  EXPECT_EQ(normalise_text("sshape headtail"), "s shape head tail");
  EXPECT_EQ(normalise_text("doesn't"), "doesnt");
}

TEST(TextNormalisation, PhrasesSplitAtSeparatorsAndDropEmptyPieces) {
  auto p = split_phrases("compact core, extended towards South;; bent/curved.\nnan");
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(p[0], "compact core");
  EXPECT_EQ(p[1], "extended towards south");
  EXPECT_EQ(p[2], "bent");
  EXPECT_EQ(p[3], "curved");
  EXPECT_TRUE(split_phrases("").empty());
  EXPECT_TRUE(split_phrases(" , nan ").empty());
  EXPECT_EQ(words_of("a  bent tail"), (std::vector<std::string>{"a", "bent", "tail"}));
  EXPECT_TRUE(is_stop_word("the"));
  EXPECT_FALSE(is_stop_word("no"));
  EXPECT_FALSE(is_stop_word("x"));
}

TEST(WordNetLexicon, LemmasOfPluralsComparativesAndVerbs) {
  if (!wordnet_available()) GTEST_SKIP() << "WordNet (wordnet-dev, wordnet-base) is not installed";
  EXPECT_EQ(lemmatise("lobes"), "lobe");
  EXPECT_EQ(lemmatise("radii"), "radius");
  EXPECT_EQ(lemmatise("galaxies"), "galaxy");
  EXPECT_EQ(lemmatise("arms"), "arm");
  EXPECT_EQ(lemmatise("brighter"), "bright");
  EXPECT_EQ(lemmatise("bends"), "bend");
  // Adjectives WordNet knows stay adjectives, not verb forms.
  EXPECT_EQ(lemmatise("bent"), "bent");
  EXPECT_EQ(lemmatise("extended"), "extended");
  EXPECT_EQ(lemmatise("curved"), "curved");
  EXPECT_EQ(lemmatise("lobe"), "lobe");
  EXPECT_EQ(lemmatise("dss"), "dss");  // unknown words pass through
}

TEST(WordNetLexicon, RelationsSynonymSimilarAntonym) {
  if (!wordnet_available()) GTEST_SKIP() << "WordNet (wordnet-dev, wordnet-base) is not installed";
  EXPECT_EQ(word_relation("lobe", "lobe"), WordRelation::kSame);
  EXPECT_EQ(word_relation("elongated", "extended"), WordRelation::kSynonym);
  EXPECT_EQ(word_relation("large", "big"), WordRelation::kSynonym);
  EXPECT_EQ(word_relation("bright", "dim"), WordRelation::kAntonym);
  EXPECT_EQ(relation_similarity(word_relation("compact", "extended")), 0.0);
  EXPECT_EQ(relation_similarity(word_relation("host", "lobe")), 0.0);
}

}  // namespace
}  // namespace penumbra::semantics
