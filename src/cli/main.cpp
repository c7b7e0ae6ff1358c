// penumbra: the command-line front end. Parses the global options, sets the
// thread budget, runs one subcommand, and turns every error into one line on
// stderr and a sysexits-style code (64 usage, 65 bad data, 66 missing input, 70 internal).
#include <ATen/Parallel.h>
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <exception>
#include <utility>
#include <vector>

#include "penumbra/version.hpp"
#include "src/cli/commands.hpp"
#include "src/cli/flag_names.hpp"
#include "src/core/allocator.hpp"
#include "src/core/errors.hpp"
#include "src/core/log.hpp"
#include "src/core/threads.hpp"

using namespace penumbra;
using namespace penumbra::cli;

namespace {
constexpr CommandFactory kCommands[] = {
    add_version,
    add_info,
    add_image,
    add_simulate,
    add_sample,
    add_clean,
    add_map,
    add_coverage,
    add_compare,
    add_bench,
    add_classify,
    add_dataset,
    add_train_prior,
    add_prior_sample,
    add_prior_validate,
};
}  // namespace

int main(int argc, char** argv) {
  keep_freed_memory_for_reuse();
  CLI::App root{"Penumbra: Bayesian imaging and uncertainty for radio interferometry", "penumbra"};
  root.set_version_flag("--version", kVersion);
  root.require_subcommand(1);
  root.fallthrough();
  GlobalOptions g;
  root.add_option("--threads", g.threads, "Threads for LibTorch, FFTW and the NUFFT (0 = all cores)")
      ->check(CLI::NonNegativeNumber);
  root.add_option("--seed", g.seed, "Seed of every random stream of the run")->capture_default_str();
  root.add_option("--out", g.out, "Output folder of the run (default runs/<command>-<UTC time>)");
  root.add_option("--log-level", g.log_level, "trace, debug, info, warn, error or off")->capture_default_str();
  root.set_config("--config", "", "Read options from a TOML or INI file");

  std::vector<std::pair<CLI::App*, Runner>> commands;
  for (auto add : kCommands) {
    std::size_t before = root.get_subcommands({}).size();
    Runner run = add(root);
    commands.emplace_back(root.get_subcommands({})[before], std::move(run));
  }
  try {
    root.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = root.exit(e);  // prints help / the parse error
    return rc == 0 ? 0 : static_cast<int>(ExitCode::kUsage);
  }
  const CLI::App* chosen = nullptr;  // the subcommand, whose flags name the quantities of usage errors
  try {
    init_logging(g.log_level);
    set_thread_count(g.threads);
    at::set_num_threads(thread_count());
    Context ctx(root, g);
    for (auto& [app, run] : commands) {
      if (app->parsed()) {
        chosen = app;
        run(ctx);
        return 0;
      }
    }
    return static_cast<int>(ExitCode::kUsage);
  } catch (const UsageError& e) {
    fmt::print(stderr, "penumbra: error: {}\n", chosen ? name_flags(e.what(), *chosen) : std::string(e.what()));
    return static_cast<int>(e.code());
  } catch (const Error& e) {
    fmt::print(stderr, "penumbra: error: {}\n", e.what());
    return static_cast<int>(e.code());
  } catch (const CLI::ParseError& e) {  // options validated inside a command
    fmt::print(stderr, "penumbra: error: {}\n", e.what());
    return static_cast<int>(ExitCode::kUsage);
  } catch (const std::exception& e) {
    fmt::print(stderr, "penumbra: internal error: {}\n", e.what());
    return static_cast<int>(ExitCode::kInternal);
  }
}
