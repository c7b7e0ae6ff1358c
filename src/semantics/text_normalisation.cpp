#include "src/semantics/text_normalisation.hpp"

#include <cctype>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace penumbra::semantics {

namespace {

// American spellings and the variants observed in the corpus, each mapped to
// one written form (British, as the rest of Penumbra).
const std::unordered_map<std::string, std::string>& spelling_variants() {
  static const std::unordered_map<std::string, std::string> table = {
      // American -> British
      {"center", "centre"}, {"centered", "centred"}, {"centers", "centres"}, {"color", "colour"},
      {"artifact", "artefact"}, {"artifacts", "artefacts"}, {"neighbor", "neighbour"},
      {"neighboring", "neighbouring"}, {"gray", "grey"}, {"asymmetrical", "asymmetric"},
      {"symmetrical", "symmetric"}, {"spikey", "spiky"},
      // misspellings
      {"assymetric", "asymmetric"}, {"assymmetric", "asymmetric"}, {"asymetric", "asymmetric"},
      {"asymmertric", "asymmetric"}, {"brigh", "bright"}, {"brigt", "bright"}, {"brigth", "bright"},
      {"brgiht", "bright"}, {"bight", "bright"}, {"brightneses", "brightnesses"}, {"emisssion", "emission"},
      {"emmission", "emission"}, {"emittion", "emission"}, {"irregualr", "irregular"},
      {"irregulr", "irregular"}, {"irregurlar", "irregular"}, {"elgongated", "elongated"},
      {"entended", "extended"}, {"fiant", "faint"}, {"fain", "faint"}, {"copact", "compact"},
      {"dobule", "double"}, {"doulbe", "double"}, {"soruce", "source"}, {"souce", "source"},
      {"sourse", "source"}, {"hsot", "host"}, {"cener", "centre"}, {"cenre", "centre"},
      {"midddle", "middle"}, {"nmiddle", "middle"}, {"seperation", "separation"},
      {"conected", "connected"}, {"componens", "components"}, {"fliament", "filament"},
      {"anomlay", "anomaly"}, {"diffussion", "diffusion"}, {"bootom", "bottom"}, {"thre", "three"},
      {"spral", "spiral"}, {"hourglas", "hourglass"}, {"countours", "contours"},
      {"overlappeing", "overlapping"}, {"pertubation", "perturbation"}, {"coure", "core"},
      {"posssible", "possible"},
      // run-together words
      {"sshape", "s shape"}, {"xshape", "x shape"}, {"headtail", "head tail"},
      {"elongatedcompact", "elongated compact"}, {"multiplesources", "multiple sources"},
      {"multiplesource", "multiple source"}, {"emissionoverlap", "emission overlap"},
      {"overedge", "over edge"}, {"outofframe", "out of frame"}, {"offscreen", "off screen"},
      {"dssand", "dss and"}, {"galaxyoverlap", "galaxy overlap"}, {"wisehas", "wise has"},
      {"faintsource", "faint source"}, {"sourcein", "source in"}, {"bridgepeaks", "bridge peaks"},
      {"mergedemission", "merged emission"}, {"doublehourglass", "double hourglass"},
      {"triplehourglass", "triple hourglass"}, {"overlapcontour", "overlap contour"},
      {"closeby", "close by"}, {"jetlike", "jet like"},
  };
  return table;
}

void append_word(std::string& out, const std::string& word) {
  if (word.empty()) return;
  const auto& table = spelling_variants();
  auto it = table.find(word);
  if (!out.empty()) out += ' ';
  out += it == table.end() ? word : it->second;
}

}  // namespace

std::string normalise_text(std::string_view text) {
  std::string out, word;
  for (char ch : text) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (std::isalnum(c)) {
      word += static_cast<char>(std::tolower(c));
    } else if (c == '\'' && !word.empty()) {
      continue;  // "doesn't" -> "doesnt", "galaxy's" -> "galaxys"
    } else {
      append_word(out, word);
      word.clear();
    }
  }
  append_word(out, word);
  return out;
}

std::vector<std::string> split_phrases(std::string_view annotation) {
  std::vector<std::string> phrases;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= annotation.size(); ++i) {
    const bool end = i == annotation.size();
    const char c = end ? ',' : annotation[i];
    if (c != ',' && c != ';' && c != '.' && c != '/' && c != '\n' && c != '\r') continue;
    std::string phrase = normalise_text(annotation.substr(start, i - start));
    if (!phrase.empty() && phrase != "nan") phrases.push_back(std::move(phrase));
    start = i + 1;
  }
  return phrases;
}

std::vector<std::string> words_of(std::string_view normalised) {
  std::vector<std::string> words;
  std::size_t start = 0;
  while (start < normalised.size()) {
    std::size_t end = normalised.find(' ', start);
    if (end == std::string_view::npos) end = normalised.size();
    if (end > start) words.emplace_back(normalised.substr(start, end - start));
    start = end + 1;
  }
  return words;
}

bool is_stop_word(std::string_view word) {
  static const std::unordered_set<std::string_view> stop = {
      "a", "an", "the", "and", "or", "but", "of", "in", "on", "at", "to", "from", "by", "with", "for",
      "as", "into", "onto", "than", "then", "that", "this", "these", "those", "there", "it", "its", "is",
      "are", "was", "were", "be", "been", "being", "has", "have", "had", "having", "which", "who", "what",
      "where", "while", "if", "so", "such", "some", "any", "each", "also", "can", "could", "may", "might",
      "would", "should", "seems", "seem", "appears", "appear", "they", "them", "their", "itself", "via",
      "very", "too", "quite", "rather", "much", "just", "both",
  };
  return stop.count(word) > 0;
}

}  // namespace penumbra::semantics
