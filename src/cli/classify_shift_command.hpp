#pragma once
// `penumbra classify shift`: the Fréchet distance between two image sets in a
// trained classifier's feature space (classify_shift_command.cpp).
#include <CLI/CLI.hpp>

#include "src/cli/commands.hpp"

namespace penumbra::cli {

// Adds the `shift` subcommand to `classify`; the runner does nothing unless it was parsed.
Runner add_classify_shift(CLI::App* classify);

}  // namespace penumbra::cli
