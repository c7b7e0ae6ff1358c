// agree_or_throw: a verdict every rank reaches together, on gather + broadcast.
#include "src/core/errors.hpp"
#include "src/parallel/communicator.hpp"

namespace penumbra::parallel {

void agree_or_throw(const std::string& local_problem) {
  std::string first;
  if (size() > 1) {
    auto all = gather(local_problem);
    for (const auto& p : all)
      if (!p.empty()) {
        first = p;
        break;
      }
    broadcast(first);
  } else {
    first = local_problem;
  }
  if (!first.empty()) throw UsageError(first);
}

}  // namespace penumbra::parallel
