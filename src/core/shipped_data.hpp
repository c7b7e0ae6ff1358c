#pragma once
// Files shipped in the repository's data/ folder (the default prior, the Galaxy
// Zoo decision tree), found from the running executable: <exe>/../data,
// <exe>/../share/penumbra, <exe>/data, then `source_dir`/data when the caller was
// built with the source tree's path (tests, library users).
#include <filesystem>
#include <string>

namespace penumbra {

// The path of data/`relative`; MissingInputError listing every place tried, ending
// with `hint` (what to give instead).
std::filesystem::path find_shipped_data(const std::filesystem::path& relative, const std::string& what,
                                        const std::string& source_dir, const std::string& hint);

}  // namespace penumbra
