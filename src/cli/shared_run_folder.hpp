#pragma once
// The run folder of a command every rank of an mpirun job runs: rank 0 opens it
// (Context::run: config.toml, run.json, run.log) and every rank gets its path, so
// the ranks write their per-item results into one folder and only rank 0 writes
// the run's own files. With one rank this is Context::run.
#include <filesystem>
#include <string>

#include "src/cli/context.hpp"

namespace penumbra::cli {

std::filesystem::path shared_run_dir(Context& ctx, const std::string& command);

}  // namespace penumbra::cli
