#include "instruments/nufft_timing.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>

namespace penumbra {

double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

template <class T>
NufftTimes time_nufft(const NufftPlan<T>& plan, std::span<const T> image, std::span<std::complex<T>> vis,
                      std::span<const std::complex<T>> y, std::span<T> back, int repeat,
                      const std::function<void(int, const NufftTimes&)>& on_round) {
  plan.degrid(image, vis);  // first touch of every buffer
  plan.grid(y, back);
  NufftTimes best{1e300, 1e300, 1e300, 1e300};
  for (int r = 0; r < repeat; ++r) {
    const double a = wall_seconds(), ac = cpu_seconds();
    plan.degrid(image, vis);
    const double b = wall_seconds(), bc = cpu_seconds();
    plan.grid(y, back);
    const double c = wall_seconds(), cc = cpu_seconds();
    const NufftTimes round{b - a, c - b, bc - ac, cc - bc};
    best.degrid_s = std::min(best.degrid_s, round.degrid_s);
    best.grid_s = std::min(best.grid_s, round.grid_s);
    best.degrid_cpu_s = std::min(best.degrid_cpu_s, round.degrid_cpu_s);
    best.grid_cpu_s = std::min(best.grid_cpu_s, round.grid_cpu_s);
    if (on_round) on_round(r, round);
  }
  return best;
}

template NufftTimes time_nufft<float>(const NufftPlan<float>&, std::span<const float>, std::span<std::complex<float>>,
                                      std::span<const std::complex<float>>, std::span<float>, int,
                                      const std::function<void(int, const NufftTimes&)>&);
template NufftTimes time_nufft<double>(const NufftPlan<double>&, std::span<const double>,
                                       std::span<std::complex<double>>, std::span<const std::complex<double>>,
                                       std::span<double>, int, const std::function<void(int, const NufftTimes&)>&);

}  // namespace penumbra
