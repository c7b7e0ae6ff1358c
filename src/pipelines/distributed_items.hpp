#pragma once
// Independent items (ensemble members, cross-validation folds × members)
// shared over the processes of the job (src/parallel): item i runs on rank
// i mod K, in rounds of K items, and after each round rank 0 receives the
// round's results in item order, so it can write what is complete while the
// later rounds run. An item's result must depend on the item alone (its random
// streams derived from the seed and the item index, never from the rank), so
// that rank 0 pools the same results for any number of processes.
#include <cstddef>
#include <functional>
#include <string>

namespace penumbra {

// Runs `item(i)` for i = 0..n−1 on its rank and passes each result to
// `at_root(i, result)` on rank 0, in increasing i. With one process this is a
// plain loop (an item's exception propagates as it is); with several, an
// exception on any rank ends the round with the same UsageError on every rank.
void run_distributed_items(std::size_t n, const std::function<std::string(std::size_t)>& item,
                           const std::function<void(std::size_t, const std::string&)>& at_root);

}  // namespace penumbra
