// agree_or_throw and decide_on_root: verdicts every rank reaches together, on
// gather + broadcast.
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

std::string decide_on_root(const std::function<std::string()>& decide) {
  if (size() == 1) return decide();  // its own exception, with its own exit code
  std::string result, problem;
  if (is_root()) {
    try {
      result = decide();
    } catch (const Error& e) {
      problem = e.what();
    }
  }
  agree_or_throw(problem);
  broadcast(result);
  return result;
}

}  // namespace penumbra::parallel
