#pragma once
// WordNet 3.0 through its C library (Debian's wordnet-dev, database in
// wordnet-base): lemmas of inflected words and the relations between two
// lemmas (synonymy, similar-to and hypernymy, antonymy). The C library keeps
// global state, so every call is serialised behind one mutex.
#include <string>
#include <string_view>

namespace penumbra::semantics {

// Whether Penumbra was built with WordNet and its database opens.
bool wordnet_available();
// UsageError with one line ("WordNet is not available: install wordnet-dev
// and wordnet-base") when it is not.
void require_wordnet();

// The base form of a lower-case word: a noun's singular ("lobes" -> "lobe",
// "radii" -> "radius"), an adjective's positive ("brighter" -> "bright"), a
// verb's infinitive ("bends" -> "bend"). A word that WordNet knows as a noun
// or an adjective stays as it is ("bent", "extended", "curved"), and a word it
// does not know is returned unchanged.
std::string lemmatise(std::string_view word);

// How two lemmas relate in WordNet, strongest first.
enum class WordRelation {
  kSame,       // the same lemma
  kSynonym,    // share a synset
  kNeighbour,  // a synset of one is similar to, or a direct hypernym of, a synset of the other
  kSibling,    // their synsets share a similar-to head or a direct hypernym
  kAntonym,    // a synset of one is an antonym of a synset (or similar-to head) of the other
  kNone,
};
WordRelation word_relation(const std::string& a, const std::string& b);

// The similarity that a relation stands for: 1, 0.9, 0.7, 0.5, and 0 for
// antonyms and unrelated words.
double relation_similarity(WordRelation r);

}  // namespace penumbra::semantics
