#pragma once
// What every subcommand gets: the global options and, on demand, its run folder.
#include <CLI/CLI.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "src/core/run_folder.hpp"

namespace penumbra::cli {

struct GlobalOptions {
  int threads = 0;            // 0: all cores
  std::uint64_t seed = 0;
  std::string out;            // empty: runs/<command>-<UTC time>
  std::string log_level = "info";
};

class Context {
 public:
  Context(CLI::App& root, GlobalOptions& g) : root_(root), g_(g) {}
  const GlobalOptions& options() const { return g_; }
  std::uint64_t seed() const { return g_.seed; }
  // Opens (once) the run folder of `command`: --out or runs/<command>-<time>;
  // a non-empty `sub` puts it in that subfolder of --out (which must be given).
  RunFolder& run(const std::string& command, const std::string& sub = "");
  bool has_run() const { return run_ != nullptr; }

 private:
  CLI::App& root_;
  GlobalOptions& g_;
  std::unique_ptr<RunFolder> run_;
};

// A subcommand: its CLI11 app and what runs when it was chosen.
using Runner = std::function<void(Context&)>;
using CommandFactory = Runner (*)(CLI::App& root);

}  // namespace penumbra::cli
