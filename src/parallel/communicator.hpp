#pragma once
// The communication layer of multi-process runs (issue 26): rank, size and a few
// collectives on byte blobs and number spans. Nothing above this header includes
// mpi.h; the same header is implemented over MPI (communicator_mpi.cpp, built with
// PENUMBRA_MPI) or for one process (communicator_serial.cpp).
//
// MPI is initialised only by a Session (the CLI makes one in main) and only when
// the process was started by an MPI launcher (mpirun, mpiexec, srun: detected by
// their environment), so `penumbra ...` without mpirun never touches MPI and
// library users without a Session see one rank. The thread level requested is
// MPI_THREAD_FUNNELED: worker threads (LibTorch, FFTW, coverage --workers) never
// call these functions; only the thread that made the Session does.
//
// Every collective must be called by every rank, in the same order.
#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace penumbra::parallel {

// Whether this build has the MPI implementation (PENUMBRA_MPI).
bool compiled_with_mpi();

// Whether the environment says an MPI launcher started this process, and the
// number of processes it says it started (1 when none).
bool launched_by_mpi_launcher();
int launcher_world_size();

// Initialises MPI (when compiled with it and launched by an MPI launcher) and
// finalises it when destroyed. At most one at a time; not copyable.
class Session {
 public:
  Session(int& argc, char**& argv);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
};

int rank();          // 0 without a Session
int size();          // 1 without a Session
inline bool is_root() { return rank() == 0; }
int ranks_on_node(); // ranks sharing this rank's node (shared-memory domain), this one included

void barrier();
// Root's blob replaces every other rank's.
void broadcast(std::string& blob, int root = 0);
// At root: every rank's blob, in rank order; elsewhere: empty.
std::vector<std::string> gather(const std::string& blob, int root = 0);
// Element-wise sum over ranks, in place, same result on every rank. The order of
// the additions is MPI's: equal to a serial sum only within rounding.
void allreduce_sum(std::span<float> values);
void allreduce_sum(std::span<double> values);

// Every rank passes its own problem (empty: none). If any rank has one, every rank
// throws UsageError with the first problem in rank order, so the job stops with
// the same line everywhere instead of a rank waiting in a collective.
void agree_or_throw(const std::string& local_problem);

// Rank 0 runs `decide` (opening a folder, listing what is left to do) and every
// rank gets its result; a penumbra::Error it throws reaches every rank as the same
// UsageError (agree_or_throw), so one reader decides and no rank is left waiting.
std::string decide_on_root(const std::function<std::string()>& decide);

// Ends the job from one rank: prints "penumbra: error: rank R: message" and takes
// every rank down with `code` (MPI_Abort; std::exit without MPI).
[[noreturn]] void abort(const std::string& message, int code);

// The CLI's end after an error (`line`: "penumbra: error: ..."). One rank: prints
// it, returns `code`. Several: when every rank reports within `wait_seconds` (an
// error every rank meets, such as bad arguments), rank 0 prints its line, and the
// line of any rank that differs, once; every rank returns `code`. Otherwise this
// rank prints its line with its rank number and aborts the job with `code`.
int report_error(const std::string& line, int code, double wait_seconds = 5.0);

// The MPI library's version line, or "serial".
std::string library_version();

// Items of `items` this rank owns: items[i] with i mod size() == rank(). The
// deal depends only on the position, so any rank count covers every item once.
template <class T>
std::vector<T> my_share(const std::vector<T>& items) {
  std::vector<T> mine;
  for (std::size_t i = static_cast<std::size_t>(rank()); i < items.size(); i += static_cast<std::size_t>(size()))
    mine.push_back(items[i]);
  return mine;
}

}  // namespace penumbra::parallel
