// One-process implementation of communicator.hpp (builds without PENUMBRA_MPI).
#include <cstdio>
#include <cstdlib>

#include "src/parallel/communicator.hpp"

namespace penumbra::parallel {

bool compiled_with_mpi() { return false; }

Session::Session(int&, char**&) {}
Session::~Session() = default;

int rank() { return 0; }
int size() { return 1; }
int ranks_on_node() { return 1; }
void barrier() {}
void broadcast(std::string&, int) {}
std::vector<std::string> gather(const std::string& blob, int) { return {blob}; }
void allreduce_sum(std::span<float>) {}
void allreduce_sum(std::span<double>) {}

[[noreturn]] void abort(const std::string& message, int code) {
  std::fprintf(stderr, "penumbra: error: rank 0: %s\n", message.c_str());
  std::exit(code);
}

int report_error(const std::string& line, int code, double) {
  std::fprintf(stderr, "%s\n", line.c_str());
  return code;
}

std::string library_version() { return "serial"; }

}  // namespace penumbra::parallel
