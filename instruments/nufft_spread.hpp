#pragma once
// Private to instruments/nufft.cpp: the per-tile interpolation (degrid) and
// spreading (grid) kernels, compiled twice — portable x86-64 and AVX2+FMA
// (instruments/nufft_spread_avx2.cpp) — and picked at run time from the CPU,
// so the library needs no -march flag and still uses wide vectors where it can.
#include <complex>
#include <cstddef>
#include <cstdint>

namespace penumbra::nufft_detail {

// One uv point after planning, in tile order. Its kernel footprint covers the
// W×W cells starting at (ox, oy) of its tile's local buffer; zx, zy ∈ [−1, 1] are
// the polynomial arguments (see KernelPolynomial). The top bit of `index` says
// the point was reflected to the stored half-plane (its value is conjugated).
template <class T>
struct PointRecord {
  T zx, zy;
  std::uint32_t index;
  std::uint16_t ox, oy;
};
inline constexpr std::uint32_t kConjugateBit = 0x80000000u;

// Geometry shared by all tiles of a plan.
template <class T>
struct TileGeometry {
  int support = 0, lanes = 0, degree = 0;
  const T* coeffs = nullptr;          // [(degree + 1) · lanes], highest power first
  int tile = 0;                       // tile side (cells)
  int tiles_x = 0;                    // tiles per ext-grid row
  int local_stride = 0;               // row stride of the local buffers (≥ tile + lanes − 1)
  int local_rows = 0;                 // tile + support − 1
  std::complex<T>* grid = nullptr;    // extended grid, row-major
  std::ptrdiff_t grid_stride = 0;     // complex elements per ext-grid row
  const PointRecord<T>* points = nullptr;
  const std::uint32_t* tile_start = nullptr;  // [ntiles + 1] into points
};

// Local buffers: split real / imaginary planes, each local_rows × local_stride.
// `vis` is in tile (point record) order, with the reflected points' values
// already conjugated: the caller gathers / scatters it, because a permutation in
// a tight loop of its own overlaps its cache misses far better than one buried
// in the kernel loop (random uv order: ~30 % of the time saved).
template <class T>
using DegridTileFn = void (*)(const TileGeometry<T>&, int tile, T* local_re, T* local_im,
                              std::complex<T>* vis);
template <class T>
using GridTileFn = void (*)(const TileGeometry<T>&, int tile, T* local_re, T* local_im,
                            const std::complex<T>* vis);

template <class T>
struct SpreadKernels {
  DegridTileFn<T> degrid = nullptr;
  GridTileFn<T> grid = nullptr;
  const char* isa = "";
};

// The kernels for lanes = round_up(W, 4), W in 2..16.
template <class T>
SpreadKernels<T> generic_kernels(int support);
template <class T>
SpreadKernels<T> avx2_kernels(int support);  // only call when the CPU has AVX2 and FMA
bool cpu_has_avx2_fma();

inline int lanes_for(int support) { return (support + 3) / 4 * 4; }

}  // namespace penumbra::nufft_detail
