// AVX2 + FMA build of the NUFFT tile kernels, chosen at run time when the CPU
// has them (cpu_has_avx2_fma). Every header is included BEFORE the target
// pragma, so no inline library function is compiled for AVX2 here and picked
// by the linker for code that runs on CPUs without it; the kernels themselves
// (nufft_spread.inc) live in a namespace of their own and call nothing.
#include <complex>
#include <cstdint>

#include "instruments/nufft_spread.hpp"

namespace penumbra::nufft_detail {

bool cpu_has_avx2_fma() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

#if defined(__x86_64__) || defined(__i386__)
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#pragma GCC optimize("fp-contract=fast")
namespace avx2_isa {
#define NUFFT_ISA_NAME "avx2"
#include "instruments/nufft_spread.inc"
#undef NUFFT_ISA_NAME
}  // namespace avx2_isa
#pragma GCC pop_options

template <class T>
SpreadKernels<T> avx2_kernels(int support) {
  return avx2_isa::kernels_for_support<T>(support);
}
#else
template <class T>
SpreadKernels<T> avx2_kernels(int support) {
  return generic_kernels<T>(support);
}
#endif
template SpreadKernels<float> avx2_kernels<float>(int);
template SpreadKernels<double> avx2_kernels<double>(int);

}  // namespace penumbra::nufft_detail
