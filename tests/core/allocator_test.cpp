#include "src/core/allocator.hpp"

#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdlib>
#include <cstring>

namespace penumbra {
namespace {

// After the policy, a tensor-sized buffer comes from the heap, not from its own
// mmap (glibc's default threshold in a fresh process is 128 kB), and freeing it
// keeps the memory for the next step instead of returning it to the kernel.
TEST(Allocator, FreedTensorBuffersStayInTheProcess) {
  keep_freed_memory_for_reuse();
  constexpr std::size_t kBytes = 8 << 20;
  const auto before = mallinfo2();
  void* p = std::malloc(kBytes);
  ASSERT_NE(p, nullptr);
  std::memset(p, 1, kBytes);
  EXPECT_EQ(mallinfo2().hblks, before.hblks) << "an 8 MiB block was mmap'ed";
  std::free(p);
  EXPECT_GE(mallinfo2().fordblks, kBytes) << "the freed 8 MiB went back to the kernel";
}

}  // namespace
}  // namespace penumbra
