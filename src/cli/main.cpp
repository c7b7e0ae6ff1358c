// penumbra: the command-line front end. Parses the global options, sets the
// thread budget, runs one subcommand, and turns every error into one line on
// stderr and a sysexits-style code (64 usage, 65 bad data, 66 missing input, 70 internal).
// Under mpirun every rank runs this; rank 0 alone prints and logs at the chosen
// level (docs/parallel.md), and an error ends every rank (parallel::report_error).
#include <ATen/Parallel.h>
#include <fmt/format.h>

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "penumbra/version.hpp"
#include "src/cli/commands.hpp"
#include "src/cli/flag_names.hpp"
#include "src/core/allocator.hpp"
#include "src/core/errors.hpp"
#include "src/core/log.hpp"
#include "src/core/threads.hpp"
#include "src/parallel/communicator.hpp"
#include "src/parallel/job_checks.hpp"

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
    add_validate_sampling,
    add_compare,
    add_bench,
    add_classify,
    add_dataset,
    add_train_prior,
    add_prior_sample,
    add_prior_validate,
    add_tags,
    add_scaling,
    add_pretrain,
    add_finetune,
};

// Other ranks log warnings and errors only, each line marked with its rank.
void quiet_other_ranks() {
  if (parallel::is_root()) return;
  if (log().level() < spdlog::level::warn) log().set_level(spdlog::level::warn);
  log().set_pattern(fmt::format("[%H:%M:%S] rank {} %^%l%$ %v", parallel::rank()));
}

// mpirun stops the other ranks with SIGTERM when one of them dies (and Slurm at
// the time limit): rank 0 says so in one line before it goes.
void on_sigterm(int) {
  static const char kLine[] =
      "penumbra: error: stopped by SIGTERM (a rank of the job ended, or the launcher was stopped); finished items "
      "are kept: rerun with --resume in the same --out to continue\n";
  ssize_t ignored = write(STDERR_FILENO, kLine, sizeof kLine - 1);
  (void)ignored;
  _exit(128 + SIGTERM);
}

// Commands that share their work over the ranks of an mpirun job; any other would
// run whole on every rank, each writing the same files.
constexpr std::string_view kMultiRankCommands[] = {"coverage", "sample", "classify", "train-prior", "scaling"};

void require_multi_rank_command(const CLI::App& app) {
  if (parallel::size() == 1) return;
  std::string names;
  for (auto c : kMultiRankCommands) {
    if (app.get_name() == c) return;
    names += (names.empty() ? "" : ", ") + std::string(c);
  }
  throw UsageError(fmt::format("{} runs as one process; start it without mpirun (commands that use several ranks: {})",
                               app.get_name(), names));
}

// Start-up checks of a multi-rank job (the same build everywhere, no oversubscribed
// node), then the thread budget of this rank: --threads, or its share of the node.
void start_job(const CLI::App& root, const GlobalOptions& g) {
  try {
    parallel::require_same_build();
    set_thread_count(parallel::threads_per_rank(g.threads));
  } catch (const UsageError& e) {
    throw UsageError(name_flags(e.what(), root));  // "threads ..." → "--threads ..."
  }
}
}  // namespace

// OpenMP threads that wait for work spin by default (libgomp: up to ~0.3 ms per barrier).
// When other processes share the cores, every LibTorch op then waits for a descheduled
// spinner: --threads 2 ran 2–13× slower than --threads 1 on the loaded 2-core machine
// (docs/benchmarks.md, "True-scale sampling"). Sleeping waiters cost little when the
// cores are idle. libgomp reads the variable when it is loaded, before main, so the
// process starts itself again with it set (≈ 0.3–1 s of library loading, so not for
// --threads 1, which has no waiters, nor for help and version); a user's own
// OMP_WAIT_POLICY is kept.
static void prefer_passive_openmp_waits(int argc, char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--threads=1" || (a == "--threads" && i + 1 < argc && std::string_view(argv[i + 1]) == "1")) return;
    if (a == "--help" || a == "-h" || a == "--version" || a == "version") return;
  }
  setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
  execv("/proc/self/exe", argv);  // returns only on failure: then run with spinning waits
}

int main(int argc, char** argv) {
  prefer_passive_openmp_waits(argc, argv);
  keep_freed_memory_for_reuse();
  // MPI_Init_thread (MPI_THREAD_FUNNELED) when mpirun started us, MPI_Finalize on return.
  parallel::Session session(argc, argv);
  CLI::App root{"Penumbra: Bayesian imaging and uncertainty for radio interferometry", "penumbra"};
  root.set_version_flag("--version", kVersion);
  root.require_subcommand(1);
  root.fallthrough();
  GlobalOptions g;
  root.add_option("--threads", g.threads,
                  "Threads for LibTorch, FFTW and the NUFFT (0 = all cores); under mpirun per rank (0 = its share of "
                  "the node)")
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
    // Every rank parsed the same arguments: rank 0 prints help or the error.
    int rc = parallel::is_root() ? root.exit(e) : e.get_exit_code();
    return rc == 0 ? 0 : static_cast<int>(ExitCode::kUsage);
  }
  const CLI::App* chosen = nullptr;  // the subcommand, whose flags name the quantities of usage errors
  try {
    init_logging(g.log_level);
    quiet_other_ranks();
    start_job(root, g);
    if (parallel::size() > 1 && parallel::is_root()) std::signal(SIGTERM, on_sigterm);
    at::set_num_threads(thread_count());
    Context ctx(root, g);
    for (auto& [app, run] : commands) {
      if (app->parsed()) {
        chosen = app;
        require_multi_rank_command(*app);
        run(ctx);
        return 0;
      }
    }
    return static_cast<int>(ExitCode::kUsage);
  } catch (const UsageError& e) {
    return parallel::report_error(
        fmt::format("penumbra: error: {}", chosen ? name_flags(e.what(), *chosen) : std::string(e.what())),
        static_cast<int>(e.code()));
  } catch (const Error& e) {
    return parallel::report_error(fmt::format("penumbra: error: {}", e.what()), static_cast<int>(e.code()));
  } catch (const CLI::ParseError& e) {  // options validated inside a command
    return parallel::report_error(fmt::format("penumbra: error: {}", e.what()), static_cast<int>(ExitCode::kUsage));
  } catch (const std::exception& e) {
    return parallel::report_error(fmt::format("penumbra: internal error: {}", e.what()),
                                  static_cast<int>(ExitCode::kInternal));
  }
}
