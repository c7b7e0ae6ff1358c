// The planned NUFFT against its oracle (the direct transform), the generic
// operator checks, closed forms, and its bad-input errors.
#include "instruments/nufft.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "instruments/dft.hpp"
#include "instruments/es_kernel.hpp"
#include "src/core/errors.hpp"
#include "tests/support/operator_checks.hpp"

namespace penumbra {
namespace {

using cd = std::complex<double>;

struct Problem {
  ImageGrid grid;
  std::vector<double> u, v;
  std::vector<double> image;
  std::vector<cd> vis;
};

// Random uv over the whole resolvable disc-square (edges included), a random
// image and random visibilities.
Problem make_problem(int nx, int ny, std::size_t n, unsigned seed) {
  Problem p;
  p.grid.nx = nx;
  p.grid.ny = ny;
  p.grid.cell = 2e-7;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> d(-p.grid.max_uv(), p.grid.max_uv());
  std::normal_distribution<double> g;
  for (std::size_t k = 0; k < n; ++k) {
    p.u.push_back(d(rng));
    p.v.push_back(d(rng));
  }
  // A few points exactly on the edges and the axes.
  double m = p.grid.max_uv();
  for (auto [a, b] : {std::pair{m, m}, {-m, -m}, {m, -m}, {0.0, 0.0}, {0.0, m}, {-m, 0.0}}) {
    p.u.push_back(a);
    p.v.push_back(b);
  }
  p.image.resize(p.grid.size());
  for (auto& x : p.image) x = g(rng);
  p.vis.resize(p.u.size());
  for (auto& y : p.vis) y = cd(g(rng), g(rng));
  return p;
}

struct Errors {
  double degrid, grid;
};

Errors errors_vs_dft(const Problem& p, double eps, int threads = 2) {
  NufftPlan<double> plan(p.u, p.v, p.grid, eps, threads);
  std::vector<cd> a(p.u.size()), ref(p.u.size());
  plan.degrid(p.image, a);
  dft_degrid(p.u, p.v, p.grid, p.image, ref, threads);
  std::vector<double> b(p.grid.size()), refb(p.grid.size());
  plan.grid(p.vis, b);
  dft_grid(p.u, p.v, p.grid, p.vis, refb, threads);
  return {relative_l2_error(a, ref), relative_l2_error(b, refb)};
}

TEST(Nufft, MatchesTheDirectTransformAcrossTheAccuracyRange) {
  Problem p = make_problem(48, 40, 2000, 1);
  for (double eps : {1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10}) {
    Errors e = errors_vs_dft(p, eps);
    EXPECT_LE(e.degrid, eps) << "degrid, eps " << eps;
    EXPECT_LE(e.grid, eps) << "grid, eps " << eps;
    EXPECT_GT(e.degrid, 0);  // a real approximation, not the oracle itself
  }
}

TEST(Nufft, OddSizesAndLargerGridsAreAccurate) {
  for (auto [nx, ny] : {std::pair{33, 27}, {64, 64}, {2, 2}}) {
    Problem p = make_problem(nx, ny, 1500, 2);
    Errors e = errors_vs_dft(p, 1e-6);
    EXPECT_LE(e.degrid, 1e-6) << nx << "x" << ny;
    EXPECT_LE(e.grid, 1e-6) << nx << "x" << ny;
  }
}

// The generic operator checks (tests/support/operator_checks.hpp) in both
// precisions: adjointness and linearity to rounding at every accuracy, and the
// achieved error against the direct transform within ε.
template <class T>
void check_plans(const Problem& p, std::initializer_list<double> epsilons, std::uint64_t seed) {
  for (double eps : epsilons) {
    SCOPED_TRACE(eps);
    NufftPlan<T> plan(p.u, p.v, p.grid, eps, 2);
    test::expect_linear_operator(plan, seed);
    test::expect_matches_dft(plan, p.u, p.v, p.grid, eps);
  }
}

TEST(Nufft, PassesTheOperatorChecks) {
  check_plans<double>(make_problem(50, 36, 3000, 4), {1e-3, 1e-6, 1e-10}, 4);
  check_plans<float>(make_problem(40, 48, 2000, 3), {1e-3, 1e-4, 1e-5}, 3);
}

TEST(Nufft, ReportsItsShapeAsAnOperator) {
  Problem p = make_problem(12, 10, 30, 12);
  NufftPlan<float> plan(p.u, p.v, p.grid, 1e-4, 1);
  const LinearOperator<float>& op = plan;
  EXPECT_EQ(op.shape().height, 10u);
  EXPECT_EQ(op.shape().width, 12u);
  EXPECT_EQ(op.output_size(), p.u.size());
  EXPECT_EQ(op.dtype(), Dtype::kFloat32);
  EXPECT_EQ(op.name(), "nufft");
}

// Ties the sign convention to the image orientation: a delta East and North of
// the phase centre gives exp(−2πi(u·l + v·m)) with l, m from ImageGrid.
TEST(Nufft, OffCentrePointSourceHasTheAnalyticPhase) {
  ImageGrid g;
  g.nx = 64;
  g.ny = 64;
  g.cell = 1e-7;
  const int px = 20, py = 45;
  ASSERT_GT(g.l(px), 0);  // East
  ASSERT_GT(g.m(py), 0);  // North
  std::vector<double> img(g.size(), 0.0);
  img[py * g.nx + px] = 1.0;
  std::mt19937_64 rng(6);
  std::uniform_real_distribution<double> d(-g.max_uv(), g.max_uv());
  std::vector<double> u, v;
  for (int k = 0; k < 500; ++k) {
    u.push_back(d(rng));
    v.push_back(d(rng));
  }
  NufftPlan<double> plan(u, v, g, 1e-9, 2);
  std::vector<cd> vis(u.size());
  plan.degrid(img, vis);
  for (std::size_t k = 0; k < vis.size(); ++k) {
    cd expected = std::polar(1.0, -2 * std::numbers::pi * (u[k] * g.l(px) + v[k] * g.m(py)));
    EXPECT_LT(std::abs(vis[k] - expected), 1e-8) << "k " << k;
  }
}

TEST(Nufft, ResultsDoNotDependOnTheThreadCount) {
  Problem p = make_problem(64, 48, 20000, 7);
  std::vector<std::vector<cd>> a;
  std::vector<std::vector<double>> b;
  for (int threads : {1, 2, 3}) {
    NufftPlan<double> plan(p.u, p.v, p.grid, 1e-6, threads);
    EXPECT_EQ(plan.threads(), threads);
    a.emplace_back(p.u.size());
    b.emplace_back(p.grid.size());
    plan.degrid(p.image, a.back());
    plan.grid(p.vis, b.back());
  }
  // The kernels are bitwise deterministic; FFTW's threaded transforms may split
  // sums differently, so allow rounding-level differences.
  for (std::size_t i = 1; i < a.size(); ++i) {
    EXPECT_LE(relative_l2_error(a[i], a[0]), 1e-14);
    EXPECT_LE(relative_l2_error(b[i], b[0]), 1e-14);
  }
}

// The AVX2 and the portable kernels (chosen at run time) compute the same thing.
TEST(Nufft, PortableKernelsAgreeWithTheVectorisedOnes) {
  Problem p = make_problem(40, 40, 3000, 10);
  for (bool single : {false, true}) {
    NufftOptions portable;
    portable.portable = true;
    double eps = single ? 1e-5 : 1e-9;
    if (single) {
      std::vector<float> img(p.image.begin(), p.image.end());
      std::vector<std::complex<float>> y(p.vis.begin(), p.vis.end());
      NufftPlan<float> fast(p.u, p.v, p.grid, eps, 2), slow(p.u, p.v, p.grid, eps, portable, 2);
      EXPECT_STREQ(slow.isa(), "generic");
      std::vector<std::complex<float>> a(y.size()), b(y.size());
      std::vector<float> c(img.size()), d(img.size());
      fast.degrid(img, a);
      slow.degrid(img, b);
      fast.grid(y, c);
      slow.grid(y, d);
      std::vector<cd> ad(a.begin(), a.end()), bd(b.begin(), b.end());
      std::vector<double> cd_(c.begin(), c.end()), dd(d.begin(), d.end());
      EXPECT_LE(relative_l2_error(ad, bd), 1e-6);
      EXPECT_LE(relative_l2_error(cd_, dd), 1e-6);
    } else {
      NufftPlan<double> fast(p.u, p.v, p.grid, eps, 2), slow(p.u, p.v, p.grid, eps, portable, 2);
      EXPECT_STREQ(slow.isa(), "generic");
      std::vector<cd> a(p.vis.size()), b(p.vis.size());
      std::vector<double> c(p.image.size()), d(p.image.size());
      fast.degrid(p.image, a);
      slow.degrid(p.image, b);
      fast.grid(p.vis, c);
      slow.grid(p.vis, d);
      EXPECT_LE(relative_l2_error(a, b), 1e-13);
      EXPECT_LE(relative_l2_error(c, d), 1e-13);
    }
  }
}

TEST(Nufft, ReportsItsParameters) {
  Problem p = make_problem(32, 32, 100, 8);
  NufftPlan<double> plan(p.u, p.v, p.grid, 1e-6, 1);
  EXPECT_EQ(plan.nvis(), p.u.size());
  EXPECT_EQ(plan.epsilon(), 1e-6);
  EXPECT_GE(plan.support(), 4);
  EXPECT_GE(plan.oversampling(), 1.2);
  EXPECT_GE(plan.padded_size(), 32);
  EXPECT_GE(plan.plan_seconds(), 0);
  EXPECT_EQ(plan.image_grid().nx, 32);
}

TEST(Nufft, RejectsBadInput) {
  Problem p = make_problem(32, 32, 10, 9);
  EXPECT_THROW(NufftPlan<double>(p.u, p.v, p.grid, 1e-11), UsageError);
  EXPECT_THROW(NufftPlan<double>(p.u, p.v, p.grid, 0.5), UsageError);
  EXPECT_THROW(NufftPlan<float>(p.u, p.v, p.grid, 1e-6), UsageError);
  EXPECT_THROW(NufftPlan<double>(p.u, p.v, p.grid, std::nan("")), UsageError);
  // A baseline longer than the cell resolves: the message says what would fit.
  auto u = p.u;
  u[3] = 1.5 * p.grid.max_uv();
  try {
    NufftPlan<double> plan(u, p.v, p.grid, 1e-6);
    FAIL() << "no error for a baseline beyond 1/(2 cell)";
  } catch (const UsageError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("visibility 3"), std::string::npos) << what;
    EXPECT_NE(what.find("kλ"), std::string::npos) << what;
    EXPECT_NE(what.find("use a cell of at most"), std::string::npos) << what;
  }
  auto v = p.v;
  v[2] = std::numeric_limits<double>::infinity();
  EXPECT_THROW(NufftPlan<double>(p.u, v, p.grid, 1e-6), DataError);
  v[2] = std::nan("");
  EXPECT_THROW(NufftPlan<double>(p.u, v, p.grid, 1e-6), DataError);
  std::vector<double> shorter(p.u.begin(), p.u.end() - 1);
  EXPECT_THROW(NufftPlan<double>(shorter, p.v, p.grid, 1e-6), UsageError);
  NufftPlan<double> plan(p.u, p.v, p.grid, 1e-6, 1);
  std::vector<double> img(p.grid.size() + 1);
  std::vector<cd> vis(p.u.size());
  EXPECT_THROW(plan.degrid(img, vis), UsageError);
  img.resize(p.grid.size());
  vis.resize(p.u.size() - 1);
  EXPECT_THROW(plan.degrid(img, vis), UsageError);
  EXPECT_THROW(plan.grid(vis, img), UsageError);
}

// ---- the kernel helper --------------------------------------------------------

TEST(EsKernel, FourierTransformQuadratureIsConverged) {
  using namespace nufft_detail;
  for (int w : {4, 8, 16}) {
    double beta = default_beta(2.0);
    for (double k : {0.0, 0.1, 0.25, 0.4}) {
      double a = es_kernel_ft(k, w, beta), b = es_kernel_ft(k, w, beta, 400);
      EXPECT_NEAR(a, b, 1e-14 * es_kernel_ft(0, w, beta)) << "W " << w << " k " << k;
    }
    // ψ̂(0) is the kernel's integral: check against a plain midpoint rule.
    double s = 0;
    const int n = 200000;
    for (int i = 0; i < n; ++i) s += es_kernel(-0.5 * w + (i + 0.5) * w / n, w, beta) * w / n;
    EXPECT_NEAR(es_kernel_ft(0, w, beta), s, 1e-7 * s);
  }
}

TEST(EsKernel, PolynomialFitMeetsItsTolerance) {
  using namespace nufft_detail;
  // Tolerances near each support's own truncation level e^(−βW).
  for (auto [w, tol] : {std::pair{3, 1e-3}, {7, 1e-6}, {12, 1e-10}}) {
    auto p = fit_kernel_polynomial(w, default_beta(1.5), (w + 3) / 4 * 4, tol);
    EXPECT_LE(p.max_error, tol) << "W " << w << " degree " << p.degree;
    EXPECT_LT(p.degree, 24) << "W " << w;
    for (std::size_t i = w; i < static_cast<std::size_t>(p.lanes); ++i)
      for (int d = 0; d <= p.degree; ++d) EXPECT_EQ(p.coeffs[d * p.lanes + i], 0.0);
  }
}

TEST(EsKernel, FftSizesAreSmoothAndEven) {
  using nufft_detail::next_fft_size;
  EXPECT_EQ(next_fft_size(1), 2);
  EXPECT_EQ(next_fft_size(97), 98);
  EXPECT_EQ(next_fft_size(1024), 1024);
  EXPECT_EQ(next_fft_size(1025), 1050);
  EXPECT_EQ(next_fft_size(768), 768);
}

}  // namespace
}  // namespace penumbra
