#include "src/core/allocator.hpp"

#include <malloc.h>

namespace penumbra {

void keep_freed_memory_for_reuse() {
  // Setting M_MMAP_THRESHOLD also switches off glibc's dynamic threshold, whose
  // state depends on the process's history: one training process here ran 3×
  // slower than its identical twin for whole trainings, and its restart under
  // this policy did not (docs/benchmarks.md).
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

}  // namespace penumbra
