#pragma once
// The process's heap policy for tensor work.
namespace penumbra {

// LibTorch on the CPU allocates and frees the same large buffers (activations,
// gradients: hundreds of kB to MB) every step. glibc serves those from fresh
// mmap'ed pages and trims freed heap back to the kernel until its dynamic mmap
// threshold has adapted, and the page faults that zero new pages dominate: 865k
// in a 5-epoch LeNet training here, most of them in a first epoch 3× slower
// than the rest. Keeping freed memory in the process (fixed mmap threshold
// 256 MiB, trim threshold 1 GiB) cut that to 71k faults and the run from 22 s to
// 13 s; later epochs gain 5–10 % (docs/benchmarks.md). The cost is that the
// resident size does not shrink after a peak. Call once, early in main(); it
// changes no result, only speed.
void keep_freed_memory_for_reuse();

}  // namespace penumbra
