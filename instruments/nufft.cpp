// Planned 2-D NUFFT (type 2 "degrid" and its adjoint "grid") for a real image.
//
// Derivation (one axis; the other is the same). With p = x − nx/2 and
// a = −u·cell (l = −p·cell), the visibility is V = Σ_p c_p e^{−2πi p a}. On an
// oversampled grid of N ≥ σ·n cells, the point sits at t = a·N and
//   V ≈ Σ_g G_g ψ(t − g),   G_g = Σ_p (c_p / ψ̂(p/N)) e^{−2πi p g / N}
// (Poisson summation; the aliases of ψ̂ beyond |k| > 1/2 are the error). G is a
// forward FFT of the zero-padded, grid-corrected image. Because the image is
// real, G is Hermitian: only the half-plane g_x ∈ [0, N_x/2] is computed (r2c),
// and points with a < 0 are reflected, V(a, b) = conj V(−a, −b).
//
// Storage: the half-plane ("core", N_y rows × N_x/2+1 columns) sits inside an
// extended grid with margins, so every kernel footprint is a plain W×W block
// (no wrap-around in the hot loops). Degridding fills the margins from the core
// (periodicity in y, Hermitian symmetry in x); gridding folds them back with
// exactly the adjoint operations, so grid() is the exact adjoint of degrid().
//
// The ext grid is cut into tiles; points are bucketed by the tile of their
// footprint's corner once, at plan time. Degridding copies a tile (+ halo) to
// a small local buffer and interpolates all its points; gridding spreads into
// a local buffer and adds it to the grid, processing tiles in four colours
// (2×2 checkerboard) so concurrently processed tiles never overlap: no locks,
// and every grid cell receives its contributions in the same order whatever
// the thread count (results are bitwise independent of it).
//
// FFTs: the 2-D r2c is done as 1-D row transforms of only the n_y non-zero
// rows, then 1-D column transforms (and the reverse for c2r), saving the work
// on the zero padding rows. All FFTW plans are FFTW_MEASURE, made once.
#include "instruments/nufft.hpp"

#include <fftw3.h>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <mutex>
#include <numbers>
#include <thread>
#include <vector>

#include "instruments/es_kernel.hpp"
#include "instruments/fftw_setup.hpp"
#include "instruments/nufft_spread.hpp"
#include "src/core/errors.hpp"
#include "src/core/log.hpp"
#include "src/core/threads.hpp"

namespace penumbra {
namespace {

using namespace nufft_detail;

// ---- FFTW in float and double -------------------------------------------------
template <class T>
struct Fftw;
template <>
struct Fftw<double> {
  using plan_t = fftw_plan;
  using cpx = fftw_complex;
  static void* alloc(std::size_t bytes) { return fftw_malloc(bytes); }
  static void release(void* p) { fftw_free(p); }
  static void nthreads(int n) { fftw_plan_with_nthreads(n); }
  static plan_t r2c_rows(int n, int howmany, double* in, int idist, std::complex<double>* out, int odist,
                         unsigned flags) {
    return fftw_plan_many_dft_r2c(1, &n, howmany, in, nullptr, 1, idist, reinterpret_cast<cpx*>(out), nullptr, 1,
                                  odist, flags);
  }
  static plan_t c2r_rows(int n, int howmany, std::complex<double>* in, int idist, double* out, int odist,
                         unsigned flags) {
    return fftw_plan_many_dft_c2r(1, &n, howmany, reinterpret_cast<cpx*>(in), nullptr, 1, idist, out, nullptr, 1,
                                  odist, flags);
  }
  static plan_t c2c_cols(int n, int howmany, std::complex<double>* data, int stride, int sign, unsigned flags) {
    auto* d = reinterpret_cast<cpx*>(data);
    return fftw_plan_many_dft(1, &n, howmany, d, nullptr, stride, 1, d, nullptr, stride, 1, sign, flags);
  }
  static void execute(plan_t p) { fftw_execute(p); }
  static void destroy(plan_t p) { fftw_destroy_plan(p); }
};
template <>
struct Fftw<float> {
  using plan_t = fftwf_plan;
  using cpx = fftwf_complex;
  static void* alloc(std::size_t bytes) { return fftwf_malloc(bytes); }
  static void release(void* p) { fftwf_free(p); }
  static void nthreads(int n) { fftwf_plan_with_nthreads(n); }
  static plan_t r2c_rows(int n, int howmany, float* in, int idist, std::complex<float>* out, int odist,
                         unsigned flags) {
    return fftwf_plan_many_dft_r2c(1, &n, howmany, in, nullptr, 1, idist, reinterpret_cast<cpx*>(out), nullptr, 1,
                                   odist, flags);
  }
  static plan_t c2r_rows(int n, int howmany, std::complex<float>* in, int idist, float* out, int odist,
                         unsigned flags) {
    return fftwf_plan_many_dft_c2r(1, &n, howmany, reinterpret_cast<cpx*>(in), nullptr, 1, idist, out, nullptr, 1,
                                   odist, flags);
  }
  static plan_t c2c_cols(int n, int howmany, std::complex<float>* data, int stride, int sign, unsigned flags) {
    auto* d = reinterpret_cast<cpx*>(data);
    return fftwf_plan_many_dft(1, &n, howmany, d, nullptr, stride, 1, d, nullptr, stride, 1, sign, flags);
  }
  static void execute(plan_t p) { fftwf_execute(p); }
  static void destroy(plan_t p) { fftwf_destroy_plan(p); }
};

template <class T, class U>
struct FftwBuffer {
  U* ptr = nullptr;
  std::size_t n = 0;
  FftwBuffer() = default;
  void reset(std::size_t count) {
    if (ptr) Fftw<T>::release(ptr);
    n = count;
    ptr = static_cast<U*>(Fftw<T>::alloc(sizeof(U) * std::max<std::size_t>(count, 1)));
    if (!ptr) throw InternalError(fmt::format("NUFFT: could not allocate {} bytes", sizeof(U) * count));
    std::memset(static_cast<void*>(ptr), 0, sizeof(U) * count);
  }
  FftwBuffer(const FftwBuffer&) = delete;
  FftwBuffer& operator=(const FftwBuffer&) = delete;
  ~FftwBuffer() {
    if (ptr) Fftw<T>::release(ptr);
  }
};

// ---- a small persistent thread pool -------------------------------------------
// run(fn) calls fn(t) for t = 0..n−1 on n threads (the caller is thread 0) and
// waits. The NUFFT calls it a few times per transform, so threads are kept
// rather than spawned each time.
class Pool {
 public:
  explicit Pool(int n) : n_(std::max(n, 1)) {
    for (int t = 1; t < n_; ++t) workers_.emplace_back([this, t] { loop(t); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(m_);
      stop_ = true;
      ++generation_;
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
  }
  int size() const { return n_; }
  void run(const std::function<void(int)>& fn) {
    if (n_ == 1) {
      fn(0);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(m_);
      job_ = &fn;
      pending_ = n_ - 1;
      error_ = nullptr;
      ++generation_;
    }
    cv_.notify_all();
    std::exception_ptr mine;
    try {
      fn(0);
    } catch (...) {
      mine = std::current_exception();
    }
    std::unique_lock<std::mutex> lock(m_);
    done_cv_.wait(lock, [&] { return pending_ == 0; });
    job_ = nullptr;
    if (mine) std::rethrow_exception(mine);
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void loop(int t) {
    std::uint64_t seen = 0;
    for (;;) {
      const std::function<void(int)>* job;
      {
        std::unique_lock<std::mutex> lock(m_);
        cv_.wait(lock, [&] { return generation_ != seen; });
        seen = generation_;
        if (stop_) return;
        job = job_;
      }
      std::exception_ptr err;
      try {
        (*job)(t);
      } catch (...) {
        err = std::current_exception();
      }
      {
        std::lock_guard<std::mutex> lock(m_);
        if (err && !error_) error_ = err;
        if (--pending_ == 0) done_cv_.notify_all();
      }
    }
  }
  int n_;
  std::vector<std::thread> workers_;
  std::mutex m_;
  std::condition_variable cv_, done_cv_;
  const std::function<void(int)>* job_ = nullptr;
  std::uint64_t generation_ = 0;
  int pending_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
};

// How far ahead the gather/scatter loops prefetch their random addresses.
constexpr std::size_t kPrefetchAhead = 32;

int positive_mod(int a, int n) {
  int r = a % n;
  return r < 0 ? r + n : r;
}

}  // namespace

template <class T>
struct NufftPlan<T>::Impl {
  using F = Fftw<T>;
  using cpx = std::complex<T>;

  ImageGrid image;
  double eps = 0;
  std::size_t npts = 0;
  int nthreads = 1;
  KernelParams kp;
  KernelPolynomial poly;
  int nx = 0, ny = 0;    // image
  int NX = 0, NY = 0;    // padded FFT grid
  int half = 0;          // NX/2 + 1 stored columns
  int E = 0;             // margin (cells) before the core in both axes
  int S = 0, R = 0;      // ext grid columns (stride) and rows
  int ny_neg = 0, ny_pos = 0;  // image rows with q < 0 and q ≥ 0
  int tile = 0;                // tile side in grid cells
  int tiles_x = 0, tiles_y = 0;
  double plan_s = 0;

  std::vector<T> corr_x, corr_y;   // 1/ψ̂ per image column / row
  std::vector<T> coeffs;           // kernel polynomial in T
  std::vector<PointRecord<T>> points;
  std::vector<std::uint32_t> tile_start;
  std::vector<int> tiles_all;      // non-empty tiles, row-major
  std::vector<int> tiles_colour[4];
  TileGeometry<T> geo;
  SpreadKernels<T> kern;

  FftwBuffer<T, cpx> ext;          // S × R complex
  FftwBuffer<T, T> real;           // ny × NX real (the image rows, zero-padded in x)
  FftwBuffer<T, T> local;          // per thread: 2 planes of local_rows × local_stride
  FftwBuffer<T, cpx> sorted;       // visibilities in point-record order
  std::size_t local_size = 0;
  typename F::plan_t row_fwd_neg = nullptr, row_fwd_pos = nullptr, col_fwd = nullptr;
  typename F::plan_t row_bwd_neg = nullptr, row_bwd_pos = nullptr, col_bwd = nullptr;
  std::unique_ptr<Pool> pool;

  ~Impl() {
    for (auto p : {row_fwd_neg, row_fwd_pos, col_fwd, row_bwd_neg, row_bwd_pos, col_bwd})
      if (p) F::destroy(p);
  }

  cpx* core_row(int gy) { return ext.ptr + static_cast<std::ptrdiff_t>(gy + E) * S + E; }

  void validate_points(std::span<const double> u, std::span<const double> v) const;
  void build(std::span<const double> u, std::span<const double> v, const NufftOptions& opt);
  void check_image_and_accuracy();
  void choose_kernel(const NufftOptions& opt);
  void layout_tiles(int tile_side);
  void bucket_points(std::span<const double> u, std::span<const double> v);
  void allocate(bool portable);
  void make_fft_plans();
  void fill_margins();
  void fold_margins();
};

template <class T>
void NufftPlan<T>::Impl::validate_points(std::span<const double> u, std::span<const double> v) const {
  if (u.size() != v.size())
    throw UsageError(fmt::format("NUFFT: u has {} entries but v has {}", u.size(), v.size()));
  if (u.size() >= kConjugateBit)
    throw UsageError(fmt::format("NUFFT: {} visibilities exceed the plan's limit of {}", u.size(), kConjugateBit - 1));
  const double lim = image.max_uv();
  double worst = 0;
  std::size_t worst_k = 0;
  for (std::size_t k = 0; k < u.size(); ++k) {
    if (!std::isfinite(u[k]) || !std::isfinite(v[k]))
      throw DataError(fmt::format("NUFFT: visibility {} has non-finite uv ({}, {})", k, u[k], v[k]));
    double a = std::max(std::abs(u[k]), std::abs(v[k]));
    if (a > worst) {
      worst = a;
      worst_k = k;
    }
  }
  if (worst > lim)
    throw UsageError(fmt::format(
        "NUFFT: visibility {} has |u| or |v| = {:.6g} kλ, beyond the {:.6g} kλ that a cell of {:.6g} arcsec "
        "resolves (1/(2·cell)); use a cell of at most {:.6g} arcsec",
        worst_k, worst / 1e3, lim / 1e3, image.cell / (std::numbers::pi / 648000.0),
        0.5 / worst / (std::numbers::pi / 648000.0)));
}

template <class T>
void NufftPlan<T>::Impl::build(std::span<const double> u, std::span<const double> v, const NufftOptions& opt) {
  auto t0 = std::chrono::steady_clock::now();
  check_image_and_accuracy();
  validate_points(u, v);
  npts = u.size();
  choose_kernel(opt);
  layout_tiles(opt.tile > 0 ? opt.tile : 16);
  bucket_points(u, v);
  allocate(opt.portable);
  pool = std::make_unique<Pool>(nthreads);
  make_fft_plans();
  plan_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  log().debug("NUFFT plan: {}x{} image, {} points, eps {:g}: W {}, sigma {:.3g}, beta {:.4g}, degree {} "
              "(kernel fit error {:.2g}), FFT {}x{}, {} tiles of {}², {} isa, {:.3f} s",
              nx, ny, npts, eps, kp.support, kp.sigma, kp.beta, poly.degree, poly.max_error, NX, NY,
              tiles_all.size(), tile, kern.isa, plan_s);
}

template <class T>
void NufftPlan<T>::Impl::check_image_and_accuracy() {
  image.validate();
  nx = image.nx;
  ny = image.ny;
  if (nx < 2 || ny < 2) throw UsageError(fmt::format("NUFFT: image {}x{} must be at least 2x2", nx, ny));
  const bool single = std::is_same_v<T, float>;
  const double lo = single ? 1e-5 : 1e-10;
  if (!(eps >= lo && eps <= 1e-1))
    throw UsageError(fmt::format("NUFFT: accuracy epsilon = {:g} is outside the supported range [{:g}, 0.1] for {} "
                                 "precision",
                                 eps, lo, single ? "single" : "double"));
}

// Kernel parameters from ε (or the expert overrides), the kernel polynomial of
// the degree the accuracy table was calibrated with, the padded FFT grid and
// the grid correction 1/ψ̂(p/N), p = x − nx/2 (and likewise in y).
template <class T>
void NufftPlan<T>::Impl::choose_kernel(const NufftOptions& opt) {
  kp = nufft_detail::choose_kernel(eps, std::is_same_v<T, float>, npts, nx, ny);
  if (opt.support) kp.support = opt.support;
  if (opt.sigma > 0) kp.sigma = opt.sigma;
  kp.beta = opt.beta > 0 ? opt.beta : default_beta(kp.sigma);
  if (kp.support < 2 || kp.support > 16)
    throw UsageError(fmt::format("NUFFT: kernel support {} outside 2..16", kp.support));
  if (kp.sigma < 1.2) throw UsageError(fmt::format("NUFFT: oversampling {} below 1.2", kp.sigma));
  const int W = kp.support;
  if (opt.degree && (opt.degree < 4 || opt.degree > 24))
    throw UsageError(fmt::format("NUFFT: kernel polynomial degree {} outside 4..24", opt.degree));
  const int degree = opt.degree ? opt.degree : kernel_degree(W);
  poly = fit_kernel_polynomial(W, kp.beta, lanes_for(W), 0, degree, degree);
  coeffs.assign(poly.coeffs.begin(), poly.coeffs.end());

  NX = next_fft_size(std::max(static_cast<int>(std::ceil(kp.sigma * nx)), 2 * W));
  NY = next_fft_size(std::max(static_cast<int>(std::ceil(kp.sigma * ny)), 2 * W));
  half = NX / 2 + 1;
  ny_neg = ny / 2;
  ny_pos = ny - ny_neg;
  corr_x.resize(nx);
  corr_y.resize(ny);
  for (int x = 0; x < nx; ++x) corr_x[x] = static_cast<T>(1.0 / es_kernel_ft(double(x - nx / 2) / NX, W, kp.beta));
  for (int y = 0; y < ny; ++y) corr_y[y] = static_cast<T>(1.0 / es_kernel_ft(double(y - ny / 2) / NY, W, kp.beta));
}

// Geometry of the extended grid and its tiles.
template <class T>
void NufftPlan<T>::Impl::layout_tiles(int tile_side) {
  const int W = kp.support;
  tile = tile_side;
  if (tile < lanes_for(W) - 1 || tile < W - 1)
    throw UsageError(fmt::format("NUFFT: tile {} smaller than the kernel", tile));
  // The margin and the row stride do not depend on W (nor does anything else the
  // FFTs see), so one FFTW wisdom entry serves every accuracy; both even, so rows
  // keep 16-byte alignment in float too.
  E = 10;  // ≥ W/2 + 1 for W ≤ 16
  tiles_x = (NX / 2 + E) / tile + 1;
  tiles_y = (NY + E) / tile + 1;
  S = (tiles_x * tile + 16 + 1) / 2 * 2;  // ≥ the last tile's local columns (TS + L − 1)
  R = tiles_y * tile + W;
}

// Buckets the points by tile (counting sort, stable: deterministic order),
// reflecting those with a < 0 (V(a, b) = conj V(−a, −b)).
template <class T>
void NufftPlan<T>::Impl::bucket_points(std::span<const double> u, std::span<const double> v) {
  const int ntiles = tiles_x * tiles_y;
  std::vector<std::uint32_t> tile_of(npts);
  std::vector<PointRecord<T>> recs(npts);
  const double halfw = 0.5 * kp.support;
  for (std::size_t k = 0; k < npts; ++k) {
    double a = -u[k] * image.cell, b = v[k] * image.cell;
    std::uint32_t flag = 0;
    if (a < 0) {
      a = -a;
      b = -b;
      flag = kConjugateBit;
    }
    double tx = a * NX, ty = b * NY;
    if (ty < 0) ty += NY;
    if (ty >= NY) ty -= NY;
    int gx0 = static_cast<int>(std::ceil(tx - halfw));
    int gy0 = static_cast<int>(std::ceil(ty - halfw));
    double fx = gx0 - (tx - halfw), fy = gy0 - (ty - halfw);  // ∈ [0, 1)
    int ex = gx0 + E, ey = gy0 + E;
    int tix = ex / tile, tiy = ey / tile;
    tile_of[k] = static_cast<std::uint32_t>(tiy * tiles_x + tix);
    recs[k].zx = static_cast<T>(2 * fx - 1);
    recs[k].zy = static_cast<T>(2 * fy - 1);
    recs[k].index = static_cast<std::uint32_t>(k) | flag;
    recs[k].ox = static_cast<std::uint16_t>(ex - tix * tile);
    recs[k].oy = static_cast<std::uint16_t>(ey - tiy * tile);
  }
  tile_start.assign(ntiles + 1, 0);
  for (std::size_t k = 0; k < npts; ++k) ++tile_start[tile_of[k] + 1];
  for (int t = 0; t < ntiles; ++t) tile_start[t + 1] += tile_start[t];
  points.resize(npts);
  std::vector<std::uint32_t> fill(tile_start.begin(), tile_start.end() - 1);
  for (std::size_t k = 0; k < npts; ++k) points[fill[tile_of[k]]++] = recs[k];
  for (int t = 0; t < ntiles; ++t) {
    if (tile_start[t + 1] == tile_start[t]) continue;
    tiles_all.push_back(t);
    int tix = t % tiles_x, tiy = t / tiles_x;
    tiles_colour[(tiy % 2) * 2 + (tix % 2)].push_back(t);
  }
}

// The grids, the per-thread local buffers, the spreading kernels and their geometry.
template <class T>
void NufftPlan<T>::Impl::allocate(bool portable) {
  const int W = kp.support, L = lanes_for(W);
  ext.reset(static_cast<std::size_t>(S) * R);
  real.reset(static_cast<std::size_t>(ny) * NX);
  geo.support = W;
  geo.lanes = L;
  geo.degree = poly.degree;
  geo.coeffs = coeffs.data();
  geo.tile = tile;
  geo.tiles_x = tiles_x;
  geo.local_stride = (tile + L - 1 + 7) / 8 * 8;
  geo.local_rows = tile + W - 1;
  geo.grid = ext.ptr;
  geo.grid_stride = S;
  geo.points = points.data();
  geo.tile_start = tile_start.data();
  local_size = static_cast<std::size_t>(geo.local_rows) * geo.local_stride;
  local.reset(2 * local_size * nthreads);
  sorted.reset(npts);
  kern = (!portable && cpu_has_avx2_fma()) ? avx2_kernels<T>(W) : generic_kernels<T>(W);
  if (!kern.degrid) throw InternalError(fmt::format("NUFFT: no kernel for support {}", W));
}

template <class T>
void NufftPlan<T>::Impl::make_fft_plans() {
  fftw_init();
  auto t0 = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(fftw_planner_lock());
    F::nthreads(nthreads);
    const unsigned flags = FFTW_MEASURE;
    // Rows with q < 0 go to grid rows NY − ny_neg .. NY − 1, rows q ≥ 0 to 0 .. ny_pos − 1.
    if (ny_neg > 0) {
      row_fwd_neg = F::r2c_rows(NX, ny_neg, real.ptr, NX, core_row(NY - ny_neg), S, flags);
      row_bwd_neg = F::c2r_rows(NX, ny_neg, core_row(NY - ny_neg), S, real.ptr, NX, flags);
    }
    row_fwd_pos = F::r2c_rows(NX, ny_pos, real.ptr + static_cast<std::size_t>(ny_neg) * NX, NX, core_row(0), S, flags);
    row_bwd_pos = F::c2r_rows(NX, ny_pos, core_row(0), S, real.ptr + static_cast<std::size_t>(ny_neg) * NX, NX, flags);
    col_fwd = F::c2c_cols(NY, half, core_row(0), S, FFTW_FORWARD, flags);
    col_bwd = F::c2c_cols(NY, half, core_row(0), S, FFTW_BACKWARD, flags);
    F::nthreads(thread_count());
  }
  for (auto p : {row_fwd_pos, col_fwd, row_bwd_pos, col_bwd})
    if (!p) throw InternalError(fmt::format("NUFFT: FFTW could not plan a {}x{} transform", NX, NY));
  if (ny_neg > 0 && (!row_fwd_neg || !row_bwd_neg))
    throw InternalError(fmt::format("NUFFT: FFTW could not plan a {}x{} transform", NX, NY));
  // MEASURE overwrote the buffers while planning.
  std::memset(static_cast<void*>(ext.ptr), 0, sizeof(cpx) * ext.n);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (s > 0.05) fftw_save_wisdom();  // something new was measured: keep it for next time
}

// Degridding: margins ← core (Hermitian symmetry in x, periodicity in y).
template <class T>
void NufftPlan<T>::Impl::fill_margins() {
  for (int gy = 0; gy < NY; ++gy) {
    cpx* row = core_row(gy) - E;  // ext column 0
    const cpx* mirror = core_row(positive_mod(-gy, NY));
    const cpx* self = core_row(gy);
    for (int ec = 0; ec < S; ++ec) {
      int gx = ec - E;
      if (gx >= 0 && gx < half) continue;
      int g = positive_mod(gx, NX);
      row[ec] = g <= NX / 2 ? self[g] : std::conj(mirror[NX - g]);
    }
  }
  for (int er = 0; er < R; ++er) {
    int gy = er - E;
    if (gy >= 0 && gy < NY) continue;
    std::memcpy(static_cast<void*>(ext.ptr + static_cast<std::ptrdiff_t>(er) * S),
                ext.ptr + static_cast<std::ptrdiff_t>(positive_mod(gy, NY) + E) * S, sizeof(cpx) * S);
  }
}

// Gridding: the exact adjoint of fill_margins, then the Hermitian part of the
// columns gx = 0 and NX/2 (the c2r transform reads only the half-plane).
template <class T>
void NufftPlan<T>::Impl::fold_margins() {
  for (int er = 0; er < R; ++er) {
    int gy = er - E;
    if (gy >= 0 && gy < NY) continue;
    cpx* dst = ext.ptr + static_cast<std::ptrdiff_t>(positive_mod(gy, NY) + E) * S;
    const cpx* src = ext.ptr + static_cast<std::ptrdiff_t>(er) * S;
    for (int ec = 0; ec < S; ++ec) dst[ec] += src[ec];
  }
  for (int gy = 0; gy < NY; ++gy) {
    const cpx* row = core_row(gy) - E;
    cpx* mirror = core_row(positive_mod(-gy, NY));
    cpx* self = core_row(gy);
    for (int ec = 0; ec < S; ++ec) {
      int gx = ec - E;
      if (gx >= 0 && gx < half) continue;
      int g = positive_mod(gx, NX);
      if (g <= NX / 2)
        self[g] += row[ec];
      else
        mirror[NX - g] += std::conj(row[ec]);
    }
  }
  for (int c : {0, NX / 2}) {
    for (int gy = 0; gy <= NY / 2; ++gy) {
      int my = positive_mod(-gy, NY);
      cpx a = core_row(gy)[c], b = core_row(my)[c];
      core_row(gy)[c] = a + std::conj(b);
      if (my != gy) core_row(my)[c] = b + std::conj(a);
    }
  }
}

namespace {
std::atomic<std::int64_t>& nufft_plan_counter() {
  static std::atomic<std::int64_t> count{0};
  return count;
}
}  // namespace

std::int64_t nufft_plans_built() { return nufft_plan_counter().load(std::memory_order_relaxed); }

template <class T>
NufftPlan<T>::NufftPlan(std::span<const double> u, std::span<const double> v, const ImageGrid& grid,
                        double epsilon, int threads)
    : NufftPlan(u, v, grid, epsilon, NufftOptions{}, threads) {}

template <class T>
NufftPlan<T>::NufftPlan(std::span<const double> u, std::span<const double> v, const ImageGrid& grid,
                        double epsilon, const NufftOptions& options, int threads)
    : impl_(std::make_unique<Impl>()) {
  impl_->image = grid;
  impl_->eps = epsilon;
  impl_->nthreads = threads > 0 ? threads : thread_count();
  impl_->build(u, v, options);
  nufft_plan_counter().fetch_add(1, std::memory_order_relaxed);
}

template <class T>
NufftPlan<T>::~NufftPlan() = default;
template <class T>
NufftPlan<T>::NufftPlan(NufftPlan&&) noexcept = default;
template <class T>
NufftPlan<T>& NufftPlan<T>::operator=(NufftPlan&&) noexcept = default;

template <class T>
void NufftPlan<T>::degrid(std::span<const T> image, std::span<std::complex<T>> vis) const {
  Impl& p = *impl_;
  if (image.size() != p.image.size())
    throw UsageError(fmt::format("NUFFT degrid: image has {} pixels; expected {}x{} = {}", image.size(), p.nx, p.ny,
                                 p.image.size()));
  if (vis.size() != p.npts)
    throw UsageError(fmt::format("NUFFT degrid: {} visibilities given; the plan has {}", vis.size(), p.npts));
  const int nx = p.nx, ny = p.ny, NX = p.NX, T0 = p.pool->size();
  // 1. Grid-corrected image rows, zero-padded in x (p = x − nx/2 → column p mod NX).
  p.pool->run([&](int t) {
    for (int y = ny * t / T0; y < ny * (t + 1) / T0; ++y) {
      T* row = p.real.ptr + static_cast<std::size_t>(y) * NX;
      const T* src = image.data() + static_cast<std::size_t>(y) * nx;
      const T cy = p.corr_y[y];
      const int neg = nx / 2, pos = nx - neg;
      for (int x = 0; x < pos; ++x) row[x] = src[neg + x] * p.corr_x[neg + x] * cy;
      std::memset(row + pos, 0, sizeof(T) * (NX - nx));
      for (int x = 0; x < neg; ++x) row[NX - neg + x] = src[x] * p.corr_x[x] * cy;
    }
  });
  // 2. FFT: rows (only the image rows), zero the rest of the core, then columns.
  if (p.row_fwd_neg) Impl::F::execute(p.row_fwd_neg);
  Impl::F::execute(p.row_fwd_pos);
  for (int gy = p.ny_pos; gy < p.NY - p.ny_neg; ++gy)
    std::memset(static_cast<void*>(p.core_row(gy)), 0, sizeof(std::complex<T>) * p.half);
  Impl::F::execute(p.col_fwd);
  p.fill_margins();
  // 3. Interpolate, tile by tile, into point order; then scatter (conjugating
  //    the reflected points).
  std::atomic<std::size_t> next{0};
  const std::size_t n = p.npts;
  p.pool->run([&](int t) {
    T* lre = p.local.ptr + 2 * p.local_size * t;
    T* lim = lre + p.local_size;
    for (std::size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < p.tiles_all.size();)
      p.kern.degrid(p.geo, p.tiles_all[i], lre, lim, p.sorted.ptr);
  });
  p.pool->run([&](int t) {
    const PointRecord<T>* pts = p.points.data();
    const std::complex<T>* src = p.sorted.ptr;
    const std::size_t kb = n * t / T0, ke = n * (t + 1) / T0;
    for (std::size_t k = kb; k < ke; ++k) {
      // Random destinations: prefetch for write well ahead so the misses overlap.
      if (k + kPrefetchAhead < ke) __builtin_prefetch(&vis[pts[k + kPrefetchAhead].index & ~kConjugateBit], 1, 3);
      const std::uint32_t idx = pts[k].index;
      vis[idx & ~kConjugateBit] = (idx & kConjugateBit) ? std::conj(src[k]) : src[k];
    }
  });
}

template <class T>
void NufftPlan<T>::grid(std::span<const std::complex<T>> vis, std::span<T> image) const {
  Impl& p = *impl_;
  if (image.size() != p.image.size())
    throw UsageError(fmt::format("NUFFT grid: image has {} pixels; expected {}x{} = {}", image.size(), p.nx, p.ny,
                                 p.image.size()));
  if (vis.size() != p.npts)
    throw UsageError(fmt::format("NUFFT grid: {} visibilities given; the plan has {}", vis.size(), p.npts));
  const int nx = p.nx, ny = p.ny, NX = p.NX, T0 = p.pool->size();
  // 1. Gather into point order (conjugating the reflected points), spread one
  //    colour of tiles at a time.
  const std::size_t n = p.npts;
  p.pool->run([&](int t) {
    const PointRecord<T>* pts = p.points.data();
    std::complex<T>* dst = p.sorted.ptr;
    const std::size_t kb = n * t / T0, ke = n * (t + 1) / T0;
    for (std::size_t k = kb; k < ke; ++k) {
      if (k + kPrefetchAhead < ke) __builtin_prefetch(&vis[pts[k + kPrefetchAhead].index & ~kConjugateBit], 0, 3);
      const std::uint32_t idx = pts[k].index;
      dst[k] = (idx & kConjugateBit) ? std::conj(vis[idx & ~kConjugateBit]) : vis[idx & ~kConjugateBit];
    }
  });
  p.pool->run([&](int t) {
    for (int er = p.R * t / T0; er < p.R * (t + 1) / T0; ++er)
      std::memset(static_cast<void*>(p.ext.ptr + static_cast<std::ptrdiff_t>(er) * p.S), 0,
                  sizeof(std::complex<T>) * p.S);
  });
  for (const auto& tiles : p.tiles_colour) {
    std::atomic<std::size_t> next{0};
    p.pool->run([&](int t) {
      T* lre = p.local.ptr + 2 * p.local_size * t;
      T* lim = lre + p.local_size;
      for (std::size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < tiles.size();)
        p.kern.grid(p.geo, tiles[i], lre, lim, p.sorted.ptr);
    });
  }
  // 2. Margins into the core, inverse FFT (columns, then only the image rows).
  p.fold_margins();
  Impl::F::execute(p.col_bwd);
  if (p.row_bwd_neg) Impl::F::execute(p.row_bwd_neg);
  Impl::F::execute(p.row_bwd_pos);
  // 3. Crop and grid-correct; ½ because the half-plane held F + conj-mirror(F).
  p.pool->run([&](int t) {
    for (int y = ny * t / T0; y < ny * (t + 1) / T0; ++y) {
      const T* row = p.real.ptr + static_cast<std::size_t>(y) * NX;
      T* dst = image.data() + static_cast<std::size_t>(y) * nx;
      const T cy = T(0.5) * p.corr_y[y];
      const int neg = nx / 2, pos = nx - neg;
      for (int x = 0; x < pos; ++x) dst[neg + x] = row[x] * p.corr_x[neg + x] * cy;
      for (int x = 0; x < neg; ++x) dst[x] = row[NX - neg + x] * p.corr_x[x] * cy;
    }
  });
}

template <class T>
std::size_t NufftPlan<T>::nvis() const {
  return impl_->npts;
}
template <class T>
const ImageGrid& NufftPlan<T>::image_grid() const {
  return impl_->image;
}
template <class T>
OperatorShape NufftPlan<T>::shape() const {
  const ImageGrid& g = impl_->image;
  return {static_cast<std::size_t>(g.ny), static_cast<std::size_t>(g.nx), impl_->npts};
}
template <class T>
double NufftPlan<T>::epsilon() const {
  return impl_->eps;
}
template <class T>
int NufftPlan<T>::support() const {
  return impl_->kp.support;
}
template <class T>
double NufftPlan<T>::oversampling() const {
  return impl_->kp.sigma;
}
template <class T>
int NufftPlan<T>::padded_size() const {
  return std::max(impl_->NX, impl_->NY);
}
template <class T>
double NufftPlan<T>::plan_seconds() const {
  return impl_->plan_s;
}
template <class T>
int NufftPlan<T>::threads() const {
  return impl_->nthreads;
}
template <class T>
const char* NufftPlan<T>::isa() const {
  return impl_->kern.isa;
}

template class NufftPlan<float>;
template class NufftPlan<double>;

}  // namespace penumbra
