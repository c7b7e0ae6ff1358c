#include <fmt/format.h>

#include "penumbra/version.hpp"
#include "src/cli/commands.hpp"

namespace penumbra::cli {

Runner add_version(CLI::App& root) {
  root.add_subcommand("version", "Print the version of Penumbra");
  return [](Context&) { fmt::print("penumbra {}\n", kVersion); };
}

}  // namespace penumbra::cli
