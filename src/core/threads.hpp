#pragma once
// The process-wide thread budget, set once from --threads. Layers read it
// (FFTW plans, the NUFFT, LibTorch via the CLI) so nothing oversubscribes.
namespace penumbra {

// n <= 0 means all hardware threads.
void set_thread_count(int n);
int thread_count();

}  // namespace penumbra
