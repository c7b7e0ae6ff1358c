#pragma once
// Data-parallel training (issue 26): K processes take the steps of one. Every
// process draws the whole global batch from the run's seed (never from its
// rank), computes the loss of its shard of it, weighted by shard/global size,
// and the gradients are summed over the processes before the optimiser step,
// so every process applies the same global-batch gradient to the same weights.
// The training kernels (priors/training, src/nn/training) see the other
// processes only through this interface; src/pipelines/data_parallel builds it
// on src/parallel (MPI or one process).
#include <ATen/core/Tensor.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <vector>

namespace penumbra {

// Rows [begin, end) of a global batch.
struct BatchShard {
  std::int64_t begin = 0, end = 0;
  std::int64_t size() const { return end - begin; }
};

struct DataParallel {
  int rank = 0, size = 1;
  // Element-wise sum over the processes, in place (float32 and float64
  // tensors); every process receives the same values.
  std::function<void(const std::vector<at::Tensor>&)> sum;
  // Every process's tensors take rank 0's values.
  std::function<void(const std::vector<at::Tensor>&)> broadcast;

  bool active() const { return size > 1; }
  // This process's rows of a global batch of `n`: contiguous shards in rank
  // order, the first n mod size of them one row longer, so that an uneven
  // split still covers the batch exactly once (a shard may be empty when n < size).
  BatchShard shard(std::int64_t n) const {
    const std::int64_t k = size, r = rank, base = n / k, extra = n % k;
    const std::int64_t begin = r * base + std::min(r, extra);
    return {begin, begin + base + (r < extra ? 1 : 0)};
  }
};

}  // namespace penumbra
