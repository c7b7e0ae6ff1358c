#include "src/core/threads.hpp"

#include <atomic>
#include <thread>

namespace penumbra {
namespace {
int hardware() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}
std::atomic<int> g_threads{hardware()};
}  // namespace

void set_thread_count(int n) { g_threads = n <= 0 ? hardware() : n; }
int thread_count() { return g_threads; }

}  // namespace penumbra
