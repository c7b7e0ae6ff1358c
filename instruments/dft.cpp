#include "instruments/dft.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <thread>
#include <type_traits>
#include <vector>

#include "src/core/errors.hpp"
#include "src/core/threads.hpp"

namespace penumbra {
namespace {

using cd = std::complex<double>;

// exp(−2πi·t) with t reduced to [−½, ½] first, so large u·l keep full accuracy.
inline cd cis_minus(double t) {
  t -= std::nearbyint(t);
  double a = -2.0 * std::numbers::pi * t;
  return {std::cos(a), std::sin(a)};
}

// Splits [0, n) into `threads` contiguous blocks and runs fn(begin, end) on each.
template <class F>
void parallel_blocks(std::size_t n, int threads, F&& fn) {
  int nt = threads > 0 ? threads : thread_count();
  nt = static_cast<int>(std::min<std::size_t>(std::max(nt, 1), std::max<std::size_t>(n, 1)));
  if (nt <= 1) {
    fn(std::size_t{0}, n);
    return;
  }
  std::vector<std::thread> pool;
  std::vector<std::exception_ptr> errors(nt);
  for (int t = 0; t < nt; ++t) {
    std::size_t b = n * t / nt, e = n * (t + 1) / nt;
    pool.emplace_back([&, t, b, e] {
      try {
        fn(b, e);
      } catch (...) {
        errors[t] = std::current_exception();
      }
    });
  }
  for (auto& th : pool) th.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

void check_sizes(const char* what, std::size_t nu, std::size_t nv, std::size_t nvis, const ImageGrid& grid,
                 std::size_t nimage) {
  grid.validate();
  if (nu != nv || nu != nvis)
    throw UsageError(fmt::format("{}: u, v and visibilities have {}, {} and {} entries; expected equal sizes",
                                 what, nu, nv, nvis));
  if (nimage != grid.size())
    throw UsageError(fmt::format("{}: image has {} pixels; expected {}x{} = {}", what, nimage, grid.nx, grid.ny,
                                 grid.size()));
}

// fn(in, out) on double spans: `in` and `out` themselves in double, widened
// copies in float (the result rounded back).
template <class In, class Out, class Fn>
void in_double(std::span<const In> in, std::span<Out> out, Fn&& fn) {
  using WideIn = std::conditional_t<std::is_floating_point_v<In>, double, std::complex<double>>;
  using WideOut = std::conditional_t<std::is_floating_point_v<Out>, double, std::complex<double>>;
  if constexpr (std::is_same_v<In, WideIn>) {
    fn(in, out);
  } else {
    std::vector<WideIn> a(in.begin(), in.end());
    std::vector<WideOut> b(out.size());
    fn(std::span<const WideIn>(a), std::span<WideOut>(b));
    std::copy(b.begin(), b.end(), out.begin());
  }
}

}  // namespace

void dft_degrid(std::span<const double> u, std::span<const double> v, const ImageGrid& grid,
                std::span<const double> image, std::span<cd> vis, int threads) {
  check_sizes("dft_degrid", u.size(), v.size(), vis.size(), grid, image.size());
  const int nx = grid.nx, ny = grid.ny;
  std::vector<double> l(nx), m(ny);
  for (int x = 0; x < nx; ++x) l[x] = grid.l(x);
  for (int y = 0; y < ny; ++y) m[y] = grid.m(y);
  parallel_blocks(u.size(), threads, [&](std::size_t b, std::size_t e) {
    std::vector<cd> ex(nx);
    for (std::size_t k = b; k < e; ++k) {
      for (int x = 0; x < nx; ++x) ex[x] = cis_minus(u[k] * l[x]);
      cd acc = 0;
      for (int y = 0; y < ny; ++y) {
        const double* row = image.data() + static_cast<std::size_t>(y) * nx;
        double re = 0, im = 0;
        for (int x = 0; x < nx; ++x) {
          re += row[x] * ex[x].real();
          im += row[x] * ex[x].imag();
        }
        acc += cd(re, im) * cis_minus(v[k] * m[y]);
      }
      vis[k] = acc;
    }
  });
}

void dft_grid(std::span<const double> u, std::span<const double> v, const ImageGrid& grid,
              std::span<const cd> vis, std::span<double> image, int threads) {
  check_sizes("dft_grid", u.size(), v.size(), vis.size(), grid, image.size());
  const int nx = grid.nx, ny = grid.ny;
  std::vector<double> l(nx), m(ny);
  for (int x = 0; x < nx; ++x) l[x] = grid.l(x);
  for (int y = 0; y < ny; ++y) m[y] = grid.m(y);
  std::fill(image.begin(), image.end(), 0.0);
  // Parallel over rows: every pixel sums the visibilities in index order
  // whatever the split, so the result is independent of the thread count.
  parallel_blocks(static_cast<std::size_t>(ny), threads, [&](std::size_t b, std::size_t e) {
    std::vector<double> exr(nx), exi(nx);
    for (std::size_t k = 0; k < u.size(); ++k) {
      for (int x = 0; x < nx; ++x) {
        cd c = std::conj(cis_minus(u[k] * l[x]));
        exr[x] = c.real();
        exi[x] = c.imag();
      }
      for (std::size_t y = b; y < e; ++y) {
        // Re(y_k · e^{+2πi v m} · e^{+2πi u l}) = Re(a)·Re(ex) − Im(a)·Im(ex)
        cd a = vis[k] * std::conj(cis_minus(v[k] * m[y]));
        double ar = a.real(), ai = a.imag();
        double* row = image.data() + y * nx;
        for (int x = 0; x < nx; ++x) row[x] += ar * exr[x] - ai * exi[x];
      }
    }
  });
}

template <class T>
DftOperator<T>::DftOperator(std::vector<double> u, std::vector<double> v, const ImageGrid& grid, int threads)
    : u_(std::move(u)), v_(std::move(v)), grid_(grid), threads_(threads) {
  grid_.validate();
  if (u_.size() != v_.size())
    throw UsageError(fmt::format("DFT operator: u has {} entries but v has {}", u_.size(), v_.size()));
}

template <class T>
OperatorShape DftOperator<T>::shape() const {
  return {static_cast<std::size_t>(grid_.ny), static_cast<std::size_t>(grid_.nx), u_.size()};
}

template <class T>
void DftOperator<T>::apply(std::span<const T> image, std::span<std::complex<T>> vis) const {
  in_double(image, vis, [this](auto in, auto out) { dft_degrid(u_, v_, grid_, in, out, threads_); });
}

template <class T>
void DftOperator<T>::adjoint(std::span<const std::complex<T>> vis, std::span<T> image) const {
  in_double(vis, image, [this](auto in, auto out) { dft_grid(u_, v_, grid_, in, out, threads_); });
}

template class DftOperator<float>;
template class DftOperator<double>;

double relative_l2_error(std::span<const cd> a, std::span<const cd> b) {
  if (a.size() != b.size())
    throw UsageError(fmt::format("relative_l2_error: sizes {} and {} differ", a.size(), b.size()));
  double na = 0, nb = 0, nd = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    na += std::norm(a[i]);
    nb += std::norm(b[i]);
    nd += std::norm(a[i] - b[i]);
  }
  double den = std::max(na, nb);
  return den > 0 ? std::sqrt(nd / den) : 0.0;
}

double relative_l2_error(std::span<const double> a, std::span<const double> b) {
  if (a.size() != b.size())
    throw UsageError(fmt::format("relative_l2_error: sizes {} and {} differ", a.size(), b.size()));
  double na = 0, nb = 0, nd = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    na += a[i] * a[i];
    nb += b[i] * b[i];
    nd += (a[i] - b[i]) * (a[i] - b[i]);
  }
  double den = std::max(na, nb);
  return den > 0 ? std::sqrt(nd / den) : 0.0;
}

}  // namespace penumbra
