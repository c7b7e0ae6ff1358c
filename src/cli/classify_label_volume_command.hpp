#pragma once
// `penumbra classify label-volume`: supervised vs FixMatch against the number
// of labels, over unlabelled pools and folds (classify_label_volume_command.cpp).
#include <CLI/CLI.hpp>

#include "src/cli/commands.hpp"

namespace penumbra::cli {

// Adds the `label-volume` subcommand to `classify`; the runner does nothing unless it was parsed.
Runner add_classify_label_volume(CLI::App* classify);

}  // namespace penumbra::cli
