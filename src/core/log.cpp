#include "src/core/log.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include "src/core/errors.hpp"

namespace penumbra {
namespace {
std::shared_ptr<spdlog::logger>& logger_ptr() {
  static std::shared_ptr<spdlog::logger> l = [] {
    auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    auto lg = std::make_shared<spdlog::logger>("penumbra", sink);
    lg->set_pattern("[%H:%M:%S] %^%l%$ %v");
    lg->set_level(spdlog::level::info);
    return lg;
  }();
  return l;
}
}  // namespace

void init_logging(const std::string& level) {
  auto lvl = spdlog::level::from_str(level);
  if (lvl == spdlog::level::off && level != "off")
    throw UsageError("unknown --log-level '" + level + "' (trace, debug, info, warn, error, off)");
  logger_ptr()->set_level(lvl);
}

void log_to_file(const std::string& path) {
  // Append: a resumed run keeps the log of the runs before it.
  auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, false);
  sink->set_pattern("[%Y-%m-%d %H:%M:%S.%e] %l %v");
  logger_ptr()->sinks().push_back(sink);
  logger_ptr()->flush_on(spdlog::level::info);
}

spdlog::logger& log() { return *logger_ptr(); }

}  // namespace penumbra
