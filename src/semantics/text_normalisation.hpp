#pragma once
// From an expert's free text to phrases of words: lower case, punctuation and
// hyphens to spaces, British spellings, and the misspellings and run-together
// words seen in the Radio Galaxy Zoo EMU annotations mapped to their words.
#include <string>
#include <string_view>
#include <vector>

namespace penumbra::semantics {

// Lower-case words separated by single spaces; spelling variants replaced
// ("center" -> "centre", "assymetric" -> "asymmetric", "headtail" -> "head tail").
std::string normalise_text(std::string_view text);

// The phrases of one annotation: split at commas, semicolons, full stops,
// slashes and newlines, each normalised; empty pieces are dropped. A lone
// "nan" (pandas' missing value written as text) counts as empty.
std::vector<std::string> split_phrases(std::string_view annotation);

// The words of a normalised phrase.
std::vector<std::string> words_of(std::string_view normalised);

// English function words that carry no morphology ("the", "of", "with").
// Negations ("no", "not") are kept: "no host" is not "host".
bool is_stop_word(std::string_view word);

}  // namespace penumbra::semantics
