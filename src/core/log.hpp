#pragma once
// One process-wide logger (spdlog): console on stderr, plus the run folder's
// log file once a run has one.
#include <spdlog/spdlog.h>

#include <string>

namespace penumbra {

// Level names: trace, debug, info, warn, error, off. Throws UsageError otherwise.
void init_logging(const std::string& level);
// Adds a file sink (the run folder's run.log).
void log_to_file(const std::string& path);
spdlog::logger& log();

}  // namespace penumbra
