#include "src/core/errors.hpp"

#include <filesystem>

namespace penumbra {

void require_exists(const std::string& path, const std::string& what) {
  if (!std::filesystem::exists(path)) throw MissingInputError(what + " not found: " + path);
}

}  // namespace penumbra
