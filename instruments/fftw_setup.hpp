#pragma once
// FFTW is configured once per process: thread support and the thread count
// from penumbra::thread_count(), and wisdom loaded from / saved to a file so
// FFTW_MEASURE plans (6–14× faster than ESTIMATE at 1024²) are measured once
// per machine, not once per run. Planner calls are not thread-safe in FFTW:
// every plan creation goes through fftw_planner_lock().
#include <mutex>
#include <string>

namespace penumbra {

// Idempotent. Reads wisdom from wisdom_path() if present.
void fftw_init();
// $PENUMBRA_FFTW_WISDOM, else ~/.cache/penumbra/fftw.wisdom.
std::string wisdom_path();
// Writes the accumulated wisdom (double and float) back; best effort.
void fftw_save_wisdom();
std::mutex& fftw_planner_lock();

}  // namespace penumbra
