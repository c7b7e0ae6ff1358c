// The direct Fourier transform is the oracle of the NUFFT and the imaging
// operators, so it is checked against closed forms, not against itself.
#include "instruments/dft.hpp"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <functional>
#include <string>
#include <numbers>
#include <random>
#include <vector>

#include "src/core/errors.hpp"
#include "tests/support/dense_operator.hpp"
#include "tests/support/operator_checks.hpp"

namespace penumbra {
namespace {

using cd = std::complex<double>;

struct Points {
  std::vector<double> u, v;
};

Points random_points(std::size_t n, double max_uv, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> d(-max_uv, max_uv);
  Points p;
  for (std::size_t i = 0; i < n; ++i) {
    p.u.push_back(d(rng));
    p.v.push_back(d(rng));
  }
  return p;
}

ImageGrid small_grid(int nx, int ny) {
  ImageGrid g;
  g.nx = nx;
  g.ny = ny;
  g.cell = 1e-6;  // ≈ 0.2 arcsec
  return g;
}

TEST(Dft, OffCentrePointSourceHasAnalyticPhase) {
  ImageGrid g = small_grid(16, 12);
  Points p = random_points(50, g.max_uv(), 1);
  std::vector<double> img(g.size(), 0.0);
  const int px = 3, py = 9;  // East of centre (l > 0) and North (m > 0)
  img[py * g.nx + px] = 2.5;
  ASSERT_GT(g.l(px), 0);
  ASSERT_GT(g.m(py), 0);
  std::vector<cd> vis(p.u.size());
  dft_degrid(p.u, p.v, g, img, vis, 2);
  for (std::size_t k = 0; k < vis.size(); ++k) {
    double phase = -2 * std::numbers::pi * (p.u[k] * g.l(px) + p.v[k] * g.m(py));
    EXPECT_NEAR(vis[k].real(), 2.5 * std::cos(phase), 1e-13);
    EXPECT_NEAR(vis[k].imag(), 2.5 * std::sin(phase), 1e-13);
  }
}

TEST(Dft, GriddingOneVisibilityGivesACosineFringe) {
  ImageGrid g = small_grid(10, 14);
  std::vector<double> u{0.3 * g.max_uv()}, v{-0.7 * g.max_uv()};
  std::vector<cd> vis{cd(0.5, -1.5)};
  std::vector<double> img(g.size());
  dft_grid(u, v, g, vis, img, 1);
  for (int y = 0; y < g.ny; ++y)
    for (int x = 0; x < g.nx; ++x) {
      cd e = std::polar(1.0, 2 * std::numbers::pi * (u[0] * g.l(x) + v[0] * g.m(y)));
      EXPECT_NEAR(img[y * g.nx + x], (vis[0] * e).real(), 1e-13);
    }
}

// The generic operator checks, and agreement with the matrix written out entry
// by entry (the dense test operator, itself checked the same way).
TEST(Dft, PassesTheOperatorChecks) {
  ImageGrid g = small_grid(20, 18);
  Points p = random_points(300, g.max_uv(), 2);
  test::expect_linear_operator(DftOperator<double>(p.u, p.v, g, 2), 3);
  test::expect_linear_operator(DftOperator<float>(p.u, p.v, g, 2), 3);
  ImageGrid small = small_grid(7, 6);
  Points q = random_points(40, small.max_uv(), 5);
  test::DenseOperator<double> dense(test::dense_dft_matrix(q.u, q.v, small), small.ny, small.nx);
  test::expect_linear_operator(dense, 6);
  test::expect_matches_dft(dense, q.u, q.v, small, 1e-13);
  test::DenseOperator<float> dense_f(test::dense_dft_matrix(q.u, q.v, small), small.ny, small.nx);
  test::expect_linear_operator(dense_f, 6);
  test::expect_matches_dft(dense_f, q.u, q.v, small, 1e-6);
}

// The checks themselves catch an adjoint that is 1 % off and a map that is not linear.
template <class Broken>
class Tampered final : public LinearOperator<double> {
 public:
  Tampered(DftOperator<double> op, Broken broken) : op_(std::move(op)), broken_(broken) {}
  void apply(std::span<const double> in, std::span<cd> out) const override {
    op_.apply(in, out);
    broken_(out);
  }
  void adjoint(std::span<const cd> in, std::span<double> out) const override { op_.adjoint(in, out); }
  OperatorShape shape() const override { return op_.shape(); }
  std::string_view name() const override { return "tampered"; }

 private:
  DftOperator<double> op_;
  Broken broken_;
};

// Every failure message `check` reports, joined (and not reported).
std::string failures_of(const std::function<void()>& check) {
  ::testing::TestPartResultArray results;
  {
    ::testing::ScopedFakeTestPartResultReporter intercept(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &results);
    check();
  }
  std::string all;
  for (int i = 0; i < results.size(); ++i) all += std::string(results.GetTestPartResult(i).message()) + "\n";
  return all;
}

TEST(Dft, OperatorChecksCatchWrongOperators) {
  ImageGrid g = small_grid(6, 5);
  Points p = random_points(20, g.max_uv(), 7);
  Tampered scaled(DftOperator<double>(p.u, p.v, g), [](std::span<cd> out) {
    for (auto& z : out) z *= 1.01;
  });
  Tampered offset(DftOperator<double>(p.u, p.v, g), [](std::span<cd> out) {
    for (auto& z : out) z += cd(1e-3, 0);
  });
  std::string adjoint = failures_of([&] { test::expect_linear_operator(scaled); });
  EXPECT_NE(adjoint.find("adjointness"), std::string::npos) << adjoint;
  std::string linear = failures_of([&] { test::expect_linear_operator(offset); });
  EXPECT_NE(linear.find("apply is not linear"), std::string::npos) << linear;
  std::string dft = failures_of([&] { test::expect_matches_dft(scaled, p.u, p.v, g, 1e-3); });
  EXPECT_NE(dft.find("apply"), std::string::npos) << dft;
  EXPECT_EQ(failures_of([&] { test::expect_matches_dft(DftOperator<double>(p.u, p.v, g), p.u, p.v, g, 1e-13); }), "");
}

TEST(Dft, ResultsDoNotDependOnTheThreadCount) {
  ImageGrid g = small_grid(16, 16);
  Points p = random_points(101, g.max_uv(), 4);
  std::vector<double> x(g.size());
  for (std::size_t j = 0; j < x.size(); ++j) x[j] = std::sin(0.37 * j);
  std::vector<cd> y(p.u.size());
  for (std::size_t k = 0; k < y.size(); ++k) y[k] = cd(std::cos(0.1 * k), 0.2);
  std::vector<cd> a1(y.size()), a3(y.size());
  std::vector<double> b1(x.size()), b3(x.size());
  dft_degrid(p.u, p.v, g, x, a1, 1);
  dft_degrid(p.u, p.v, g, x, a3, 3);
  dft_grid(p.u, p.v, g, y, b1, 1);
  dft_grid(p.u, p.v, g, y, b3, 3);
  EXPECT_EQ(a1, a3);
  EXPECT_EQ(b1, b3);
}

TEST(Dft, RejectsMismatchedSizes) {
  ImageGrid g = small_grid(8, 8);
  std::vector<double> u(5), v(4), img(g.size());
  std::vector<cd> vis(5);
  EXPECT_THROW(dft_degrid(u, v, g, img, vis), UsageError);
  v.resize(5);
  std::vector<double> wrong(63);
  EXPECT_THROW(dft_grid(u, v, g, vis, wrong), UsageError);
}

TEST(Dft, RelativeL2ErrorFollowsTheReferenceDefinition) {
  std::vector<cd> a{cd(3, 0), cd(0, 4)}, b{cd(3, 0), cd(0, 5)};
  // Σ|a−b|² = 1, max(Σ|a|², Σ|b|²) = 34
  EXPECT_NEAR(relative_l2_error(a, b), std::sqrt(1.0 / 34.0), 1e-15);
  std::vector<cd> z(2);
  EXPECT_EQ(relative_l2_error(z, z), 0.0);
}

}  // namespace
}  // namespace penumbra
