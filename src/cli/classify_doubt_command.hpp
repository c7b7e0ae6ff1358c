#pragma once
// `penumbra classify doubt`: a MiraBest model's accuracy, calibration and
// uncertainty on Confident vs Uncertain images (classify_doubt_command.cpp).
#include <CLI/CLI.hpp>

#include "src/cli/commands.hpp"

namespace penumbra::cli {

// Adds the `doubt` subcommand to `classify`; the runner does nothing unless it was parsed.
Runner add_classify_doubt(CLI::App* classify);

}  // namespace penumbra::cli
