#include "src/parallel/job_checks.hpp"

#include <fmt/format.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>

#include "penumbra/version.hpp"
#include "src/core/errors.hpp"
#include "src/core/log.hpp"
#include "src/parallel/communicator.hpp"

namespace penumbra::parallel {
namespace {

std::uint64_t executable_hash() {
  std::ifstream in("/proc/self/exe", std::ios::binary);
  std::uint64_t h = 14695981039346656037ull;  // FNV-1a
  char buf[1 << 16];
  while (in) {
    in.read(buf, sizeof buf);
    for (std::streamsize i = 0; i < in.gcount(); ++i) {
      h ^= static_cast<unsigned char>(buf[i]);
      h *= 1099511628211ull;
    }
  }
  return h;
}

}  // namespace

std::string build_id() {
  static const std::string id = fmt::format("penumbra {} (gcc {}, {}, binary {:016x})", kVersion, __VERSION__,
                                            library_version(), executable_hash());
  return id;
}

void require_same_build() {
  const int world = launcher_world_size();
  if (!compiled_with_mpi() && world > 1)
    throw UsageError(fmt::format("this penumbra was built without MPI (PENUMBRA_MPI=OFF) but started as {} ranks; "
                                 "rebuild with Open MPI installed, or run it without mpirun", world));
  if (size() == 1) return;
  auto ids = gather(build_id());
  std::string problem;
  for (std::size_t r = 1; r < ids.size() && problem.empty(); ++r)
    if (ids[r] != ids[0])
      problem = fmt::format("ranks run different builds: rank 0 {}, rank {} {}; install one build on every node",
                            ids[0], r, ids[r]);
  agree_or_throw(problem);  // only rank 0 holds the ids, so only it can have found one
}

int node_cores() {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

bool oversubscription_allowed() {
  auto yes = [](const char* s) { return std::string(s) != "0" && std::string(s) != "false"; };
  if (const char* s = std::getenv("PENUMBRA_OVERSUBSCRIBE")) return yes(s);  // ours decides when set
  const char* s = std::getenv("OMPI_MCA_rmaps_base_oversubscribe");        // mpirun --oversubscribe
  return s && yes(s);
}

void require_node_capacity(int threads_each, const std::string& quantity) {
  if (size() == 1) return;
  const int ranks = ranks_on_node(), cores = node_cores();
  std::string problem;
  if (static_cast<long>(ranks) * threads_each > cores) {
    if (oversubscription_allowed()) {
      if (is_root())
        log().warn("{} {} per rank × {} ranks on a node of {} cores: oversubscribed, as the launcher was asked",
                   quantity, threads_each, ranks, cores);
    } else {
      problem = fmt::format("{} {} per rank × {} ranks on this node = {} exceed its {} cores; use at most {} per "
                            "rank, or fewer ranks per node (mpirun --map-by ppr:N:node)",
                            quantity, threads_each, ranks, ranks * threads_each, cores, std::max(1, cores / ranks));
    }
  }
  agree_or_throw(problem);
}

int bound_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return node_cores();
  return std::max(1, CPU_COUNT(&set));
}

namespace {

// mpirun binds each rank to cores (Open MPI: to one core when it starts 2 ranks or
// fewer), and threads beyond those cores share them. Refused like an oversubscribed
// node; every rank may be bound differently, so they agree on the verdict.
void require_binding_capacity(int threads) {
  const int bound = bound_cores();
  std::string problem;
  if (threads > bound && !oversubscription_allowed())
    problem = fmt::format("threads {} per rank but the launcher bound rank {} to {} core(s); bind each rank to as "
                          "many cores as threads (mpirun --map-by ppr:N:node:PE={} --bind-to core, or --bind-to none)",
                          threads, rank(), bound, threads);
  agree_or_throw(problem);
}

}  // namespace

int threads_per_rank(int requested) {
  if (!launched_by_mpi_launcher()) return requested;  // a plain process keeps --threads as given
  const int share = std::max(1, std::min(node_cores() / ranks_on_node(), bound_cores()));
  const int threads = requested > 0 ? requested : share;
  require_node_capacity(threads, "threads");
  require_binding_capacity(threads);
  return threads;
}

}  // namespace penumbra::parallel
