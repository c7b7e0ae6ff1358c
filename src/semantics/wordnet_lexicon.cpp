#include "src/semantics/wordnet_lexicon.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <vector>

#include "src/core/errors.hpp"

#ifdef PENUMBRA_HAVE_WORDNET
#include <wn.h>
#endif

namespace penumbra::semantics {

namespace {

std::mutex& wordnet_mutex() {
  static std::mutex m;
  return m;
}

// A synset as (part of speech, byte offset in its data file).
using SynsetId = std::uint64_t;
SynsetId synset_id(int pos, long offset) { return (std::uint64_t(pos) << 40) | std::uint64_t(offset); }

// What a lemma reaches in WordNet: its own synsets, the synsets one similar-to
// or hypernym step away, and its antonyms' synsets.
struct Concepts {
  std::set<SynsetId> own, near, opposite;
};

bool intersects(const std::set<SynsetId>& a, const std::set<SynsetId>& b) {
  const auto& small = a.size() < b.size() ? a : b;
  const auto& large = a.size() < b.size() ? b : a;
  return std::any_of(small.begin(), small.end(), [&](SynsetId s) { return large.count(s) > 0; });
}

#ifdef PENUMBRA_HAVE_WORDNET

bool open_database() {
  static const bool ok = [] {
    std::lock_guard<std::mutex> lock(wordnet_mutex());
    return wninit() == 0;
  }();
  return ok;
}

// Only the first senses of a word: the rare ones (a "bent" is also a talent)
// would link words that no astronomer would read as alike.
constexpr int kSensesPerPos = 4;

void add_pointers(SynsetPtr s, Concepts& c) {
  for (int i = 0; i < s->ptrcount; ++i) {
    const int type = s->ptrtyp[i];
    const SynsetId target = synset_id(s->ppos[i] == SATELLITE ? ADJ : s->ppos[i], s->ptroff[i]);
    if (type == SIMPTR || type == HYPERPTR || type == INSTANCE || type == PPLPTR)
      c.near.insert(target);
    else if (type == ANTPTR)
      c.opposite.insert(target);
  }
}

// Antonyms of a satellite adjective are those of its head ("bent" -> head
// "curved" -> antonym "straight").
void add_head_antonyms(int pos, const std::set<SynsetId>& heads, Concepts& c) {
  for (SynsetId h : heads) {
    if (int(h >> 40) != pos) continue;
    SynsetPtr s = read_synset(pos, long(h & ((std::uint64_t(1) << 40) - 1)), const_cast<char*>(""));
    if (!s) continue;
    for (int i = 0; i < s->ptrcount; ++i)
      if (s->ptrtyp[i] == ANTPTR) c.opposite.insert(synset_id(ADJ, s->ptroff[i]));
    free_synset(s);
  }
}

Concepts lookup_concepts(const std::string& word) {
  Concepts c;
  std::lock_guard<std::mutex> lock(wordnet_mutex());
  // Nouns and adjectives only: the annotations describe shapes, and verb
  // senses ("to jet", "to diffuse") linked unrelated descriptions.
  for (int pos : {NOUN, ADJ}) {
    IndexPtr idx = index_lookup(const_cast<char*>(word.c_str()), pos);
    if (!idx) continue;
    std::set<SynsetId> near_here;
    for (int k = 0; k < std::min(idx->off_cnt, kSensesPerPos); ++k) {
      SynsetPtr s = read_synset(pos, long(idx->offset[k]), const_cast<char*>(word.c_str()));
      if (!s) continue;
      c.own.insert(synset_id(pos, long(idx->offset[k])));
      Concepts one;
      add_pointers(s, one);
      near_here.insert(one.near.begin(), one.near.end());
      c.near.insert(one.near.begin(), one.near.end());
      c.opposite.insert(one.opposite.begin(), one.opposite.end());
      free_synset(s);
    }
    if (pos == ADJ) add_head_antonyms(ADJ, near_here, c);
    free_index(idx);
  }
  return c;
}

const Concepts& concepts(const std::string& word) {
  static std::mutex cache_mutex;
  static std::map<std::string, Concepts> cache;
  {
    std::lock_guard<std::mutex> lock(cache_mutex);
    auto it = cache.find(word);
    if (it != cache.end()) return it->second;
  }
  Concepts c = lookup_concepts(word);
  std::lock_guard<std::mutex> lock(cache_mutex);
  return cache.emplace(word, std::move(c)).first->second;
}

std::string base_form(const std::string& word, int pos) {
  char* m = morphstr(const_cast<char*>(word.c_str()), pos);
  return m ? std::string(m) : std::string();
}

#endif  // PENUMBRA_HAVE_WORDNET

}  // namespace

bool wordnet_available() {
#ifdef PENUMBRA_HAVE_WORDNET
  return open_database();
#else
  return false;
#endif
}

void require_wordnet() {
  if (!wordnet_available())
    throw UsageError("WordNet is not available: install wordnet-dev and wordnet-base, then rebuild");
}

std::string lemmatise(std::string_view word_view) {
  std::string word(word_view);
#ifdef PENUMBRA_HAVE_WORDNET
  if (word.empty() || !open_database()) return word;
  std::lock_guard<std::mutex> lock(wordnet_mutex());
  std::string noun = base_form(word, NOUN);
  if (!noun.empty() && noun != word) return noun;
  char* w = const_cast<char*>(word.c_str());
  if (in_wn(w, NOUN) || in_wn(w, ADJ)) return word;
  for (int pos : {ADJ, VERB}) {
    std::string base = base_form(word, pos);
    if (!base.empty()) return base;
  }
#endif
  return word;
}

WordRelation word_relation(const std::string& a, const std::string& b) {
  if (a == b) return WordRelation::kSame;
#ifdef PENUMBRA_HAVE_WORDNET
  if (!open_database()) return WordRelation::kNone;
  const Concepts& ca = concepts(a);
  const Concepts& cb = concepts(b);
  if (intersects(ca.own, cb.own)) return WordRelation::kSynonym;
  if (intersects(ca.own, cb.opposite) || intersects(ca.opposite, cb.own) || intersects(ca.near, cb.opposite) ||
      intersects(ca.opposite, cb.near))
    return WordRelation::kAntonym;
  if (intersects(ca.own, cb.near) || intersects(ca.near, cb.own)) return WordRelation::kNeighbour;
  if (intersects(ca.near, cb.near)) return WordRelation::kSibling;
#endif
  return WordRelation::kNone;
}

double relation_similarity(WordRelation r) {
  switch (r) {
    case WordRelation::kSame: return 1.0;
    case WordRelation::kSynonym: return 0.9;
    case WordRelation::kNeighbour: return 0.7;
    case WordRelation::kSibling: return 0.5;
    default: return 0.0;
  }
}

}  // namespace penumbra::semantics
