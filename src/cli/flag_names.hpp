#pragma once
// Library messages name the quantity they are about ("anneal fraction must be in
// [0, 1], got 2"): the library does not know how it was called. The CLI puts the
// flag the user typed in its place ("--anneal-fraction must be ...").
#include <CLI/CLI.hpp>

#include <string>

namespace penumbra::cli {

// `message` with a leading quantity replaced by the flag of `command` that sets it:
// the flag whose name, dashes read as spaces, is the quantity, or one of a few
// quantities whose flag is named otherwise (regulariser → --prior/--map-prior).
// Unchanged when no flag matches.
std::string name_flags(const std::string& message, const CLI::App& command);

}  // namespace penumbra::cli
