#include "src/datasets/dataset.hpp"

#include <algorithm>
#include <thread>

#include "src/core/threads.hpp"

namespace penumbra {

void Dataset::write_images(std::size_t first, std::size_t count, float* out, int threads) const {
  if (count == 0) return;
  if (threads <= 0) threads = thread_count();
  threads = std::max(1, std::min<int>(threads, int(count)));
  const std::size_t npix = std::size_t(height()) * width();
  auto work = [&](int t) {
    for (std::size_t i = t; i < count; i += threads) {
      auto e = get(first + i);
      std::copy(e.image.begin(), e.image.end(), out + i * npix);
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work, t);
  work(0);
  for (auto& th : pool) th.join();
}

}  // namespace penumbra
