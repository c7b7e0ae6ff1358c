#pragma once
// The process's heap policy for tensor work.
namespace penumbra {

// LibTorch on the CPU allocates and frees the same large buffers (activations,
// gradients: hundreds of kB to MB) every step. glibc serves those from fresh
// mmap'ed pages and trims freed heap back to the kernel, so every step pays for
// page faults that zero new pages: 865k faults in a 5-epoch LeNet training here.
// Keeping freed memory in the process (fixed mmap threshold 256 MiB, trim
// threshold 1 GiB) cut that to 71k faults and the run from 22 s to 13 s
// (docs/benchmarks.md). The cost is that the resident size does not shrink after
// a peak. Call once, early in main(); it changes no result, only speed.
void keep_freed_memory_for_reuse();

}  // namespace penumbra
