// MPI implementation of communicator.hpp (built with PENUMBRA_MPI).
#include <fmt/format.h>
#include <mpi.h>

#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "src/core/errors.hpp"
#include "src/parallel/communicator.hpp"

namespace penumbra::parallel {
namespace {

struct State {
  bool owns_mpi = false;   // this process called MPI_Init_thread
  MPI_Comm errors = MPI_COMM_NULL;  // a duplicate of WORLD for end_after_error's barrier only
  MPI_Comm node = MPI_COMM_NULL;    // the ranks sharing this node
};
State& state() {
  static State s;
  return s;
}

bool active() {
  int init = 0, fin = 0;
  MPI_Initialized(&init);
  MPI_Finalized(&fin);
  return init && !fin;
}

int checked_count(std::size_t n) {
  if (n > static_cast<std::size_t>(INT_MAX))
    throw InternalError(fmt::format("message of {} bytes is over MPI's 2 GiB count limit", n));
  return static_cast<int>(n);
}

}  // namespace

bool compiled_with_mpi() { return true; }

Session::Session(int& argc, char**& argv) {
  if (!launched_by_mpi_launcher() || active()) return;
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  // MPI_ERRORS_ARE_FATAL stays WORLD's handler: a failed call or a dead peer ends the job.
  auto& s = state();
  s.owns_mpi = true;
  MPI_Comm_dup(MPI_COMM_WORLD, &s.errors);
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &s.node);
}

Session::~Session() {
  auto& s = state();
  if (!s.owns_mpi || !active()) return;
  MPI_Comm_free(&s.errors);
  MPI_Comm_free(&s.node);
  MPI_Finalize();
  s.owns_mpi = false;
}

int rank() {
  if (!active()) return 0;
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

int size() {
  if (!active()) return 1;
  int n = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  return n;
}

int ranks_on_node() {
  if (!active() || state().node == MPI_COMM_NULL) return 1;
  int n = 1;
  MPI_Comm_size(state().node, &n);
  return n;
}

void barrier() {
  if (active()) MPI_Barrier(MPI_COMM_WORLD);
}

void broadcast(std::string& blob, int root) {
  if (!active()) return;
  unsigned long long n = blob.size();
  MPI_Bcast(&n, 1, MPI_UNSIGNED_LONG_LONG, root, MPI_COMM_WORLD);
  blob.resize(static_cast<std::size_t>(n));
  MPI_Bcast(blob.data(), checked_count(blob.size()), MPI_BYTE, root, MPI_COMM_WORLD);
}

namespace {

std::vector<std::string> gather_on(MPI_Comm comm, const std::string& blob, int root) {
  int n = 1, me = 0;
  MPI_Comm_size(comm, &n);
  MPI_Comm_rank(comm, &me);
  int mine = checked_count(blob.size());
  std::vector<int> counts(me == root ? n : 0), offsets(counts.size());
  MPI_Gather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, root, comm);
  std::size_t total = 0;
  for (std::size_t r = 0; r < counts.size(); ++r) {
    offsets[r] = checked_count(total);
    total += static_cast<std::size_t>(counts[r]);
  }
  std::string all(total, '\0');
  MPI_Gatherv(blob.data(), mine, MPI_BYTE, all.data(), counts.data(), offsets.data(), MPI_BYTE, root, comm);
  std::vector<std::string> out;
  for (std::size_t r = 0; r < counts.size(); ++r)
    out.push_back(all.substr(static_cast<std::size_t>(offsets[r]), static_cast<std::size_t>(counts[r])));
  return out;
}

// Whether every rank entered this within `wait_seconds` (a barrier on the errors
// communicator, which no other collective uses, so it cannot match one of WORLD's).
bool all_ranks_arrive(double wait_seconds) {
  MPI_Request req;
  MPI_Ibarrier(state().errors, &req);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(wait_seconds);
  int done = 0;
  while (!done && std::chrono::steady_clock::now() < deadline) {
    MPI_Test(&req, &done, MPI_STATUS_IGNORE);
    if (!done) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done != 0;
}

}  // namespace

std::vector<std::string> gather(const std::string& blob, int root) {
  if (!active()) return {blob};
  return gather_on(MPI_COMM_WORLD, blob, root);
}

void allreduce_sum(std::span<float> values) {
  if (active() && !values.empty())
    MPI_Allreduce(MPI_IN_PLACE, values.data(), checked_count(values.size()), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
}

void allreduce_sum(std::span<double> values) {
  if (active() && !values.empty())
    MPI_Allreduce(MPI_IN_PLACE, values.data(), checked_count(values.size()), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
}

[[noreturn]] void abort(const std::string& message, int code) {
  std::fprintf(stderr, "penumbra: error: rank %d: %s\n", rank(), message.c_str());
  std::fflush(stderr);
  if (active()) MPI_Abort(MPI_COMM_WORLD, code);
  std::exit(code);
}

int report_error(const std::string& line, int code, double wait_seconds) {
  if (!active() || size() == 1) {
    std::fprintf(stderr, "%s\n", line.c_str());
    return code;
  }
  if (!all_ranks_arrive(wait_seconds)) {
    std::fprintf(stderr, "%s (rank %d of %d; stopping the job)\n", line.c_str(), rank(), size());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, code);
  }
  auto lines = gather_on(state().errors, line, 0);
  for (std::size_t r = 0; r < lines.size(); ++r)
    if (r == 0 || lines[r] != lines[0])
      std::fprintf(stderr, r == 0 ? "%s\n" : "%s (rank %zu)\n", lines[r].c_str(), r);
  return code;
}

std::string library_version() {
  char v[MPI_MAX_LIBRARY_VERSION_STRING];
  int len = 0;
  MPI_Get_library_version(v, &len);
  std::string s(v, static_cast<std::size_t>(len));
  auto eol = s.find_first_of("\r\n,");
  return eol == std::string::npos ? s : s.substr(0, eol);
}

}  // namespace penumbra::parallel
