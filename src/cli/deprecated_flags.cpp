#include "src/cli/deprecated_flags.hpp"

#include <fmt/format.h>

namespace penumbra::cli {

void warn_deprecated(const std::string& old_flag, const std::string& new_flag) {
  // stderr, not the log: options are parsed before logging is set up.
  fmt::print(stderr, "penumbra: warning: {} is deprecated and will be removed; use {}\n", old_flag, new_flag);
}

}  // namespace penumbra::cli
