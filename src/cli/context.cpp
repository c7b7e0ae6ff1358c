#include "src/cli/context.hpp"

#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <filesystem>

#include "src/core/errors.hpp"
#include "src/core/threads.hpp"

namespace penumbra::cli {

RunFolder& Context::run(const std::string& command, const std::string& sub) {
  if (!run_) {
    std::string dir = g_.out;
    if (!sub.empty()) {
      if (dir.empty()) throw UsageError(fmt::format("{} needs --out: its results go to a subfolder of it", command));
      dir = (std::filesystem::path(dir) / sub).string();
    }
    if (dir.empty()) {
      auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
      std::tm tm{};
      gmtime_r(&t, &tm);
      char buf[32];
      std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
      dir = "runs/" + command + "-" + buf;
    }
    run_ = std::make_unique<RunFolder>(dir, command, g_.seed, thread_count(), root_.config_to_str(true, true));
  }
  return *run_;
}

}  // namespace penumbra::cli
