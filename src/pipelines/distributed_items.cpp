#include "src/pipelines/distributed_items.hpp"

#include <exception>
#include <vector>

#include "src/parallel/communicator.hpp"

namespace penumbra {

void run_distributed_items(std::size_t n, const std::function<std::string(std::size_t)>& item,
                           const std::function<void(std::size_t, const std::string&)>& at_root) {
  const auto K = static_cast<std::size_t>(parallel::size());
  if (K == 1) {
    for (std::size_t i = 0; i < n; ++i) at_root(i, item(i));
    return;
  }
  const auto r = static_cast<std::size_t>(parallel::rank());
  for (std::size_t first = 0; first < n; first += K) {
    std::string result, problem;
    if (first + r < n) {
      try {
        result = item(first + r);
      } catch (const std::exception& e) {
        problem = e.what();
      }
    }
    parallel::agree_or_throw(problem);
    const auto results = parallel::gather(result);
    if (!parallel::is_root()) continue;
    for (std::size_t k = 0; k < results.size() && first + k < n; ++k) at_root(first + k, results[k]);
  }
}

}  // namespace penumbra
