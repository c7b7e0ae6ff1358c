#pragma once
// The timing loop of the NUFFT benchmarks (bench/bench_nufft and `penumbra
// bench nufft`): one untimed degrid + grid to touch every buffer, then
// `repeat` timed rounds, keeping the best wall and CPU time of each direction.
// CPU time is the process's (all threads): on a shared machine wall time also
// counts the time other jobs held the cores, CPU time does not (1-thread runs).
#include <complex>
#include <functional>
#include <span>

#include "instruments/nufft.hpp"

namespace penumbra {

double wall_seconds();  // steady clock
double cpu_seconds();   // CLOCK_PROCESS_CPUTIME_ID

struct NufftTimes {
  double degrid_s = 0, grid_s = 0;          // wall
  double degrid_cpu_s = 0, grid_cpu_s = 0;  // process CPU
};

// `on_round(r, times)` is called after round r (0-based) with that round's times;
// the return value holds the best (smallest) of each over the rounds.
template <class T>
NufftTimes time_nufft(const NufftPlan<T>& plan, std::span<const T> image, std::span<std::complex<T>> vis,
                      std::span<const std::complex<T>> y, std::span<T> back, int repeat,
                      const std::function<void(int, const NufftTimes&)>& on_round = {});

extern template NufftTimes time_nufft<float>(const NufftPlan<float>&, std::span<const float>,
                                             std::span<std::complex<float>>, std::span<const std::complex<float>>,
                                             std::span<float>, int, const std::function<void(int, const NufftTimes&)>&);
extern template NufftTimes time_nufft<double>(const NufftPlan<double>&, std::span<const double>,
                                              std::span<std::complex<double>>, std::span<const std::complex<double>>,
                                              std::span<double>, int,
                                              const std::function<void(int, const NufftTimes&)>&);

}  // namespace penumbra
