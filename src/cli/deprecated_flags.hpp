#pragma once
// Flags renamed by the naming clean-up keep working for one release: the old
// name is a hidden option writing the same variable, and using it prints one
// deprecation line naming the new flag.
#include <CLI/CLI.hpp>

#include <string>

namespace penumbra::cli {

void warn_deprecated(const std::string& old_flag, const std::string& new_flag);

template <class T>
void add_deprecated_alias(CLI::App* app, const std::string& old_flag, T& target, const std::string& new_flag) {
  app->add_option(old_flag, target, "Deprecated: use " + new_flag)
      ->group("")
      ->each([old_flag, new_flag](const std::string&) { warn_deprecated(old_flag, new_flag); });
}

}  // namespace penumbra::cli
