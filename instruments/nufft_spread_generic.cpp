// Portable (baseline x86-64 / any CPU) build of the NUFFT tile kernels.
// The 32-byte vector types are split into SSE halves here; GCC warns that
// passing them by value would differ from an AVX build, which never happens
// across the two files (each calls only its own kernels).
#pragma GCC diagnostic ignored "-Wpsabi"
#include <complex>
#include <cstdint>

#include "instruments/nufft_spread.hpp"

namespace penumbra::nufft_detail {
namespace generic_isa {
#define NUFFT_ISA_NAME "generic"
#include "instruments/nufft_spread.inc"
#undef NUFFT_ISA_NAME
}  // namespace generic_isa

template <class T>
SpreadKernels<T> generic_kernels(int support) {
  return generic_isa::kernels_for_support<T>(support);
}
template SpreadKernels<float> generic_kernels<float>(int);
template SpreadKernels<double> generic_kernels<double>(int);

}  // namespace penumbra::nufft_detail
