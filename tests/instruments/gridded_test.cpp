// Gridded visibilities: per-cell statistics against a direct computation, and
// the documented correspondence between the grid and the operator A (an
// unnormalised forward DFT of the ifftshifted image, u mirrored), and the
// gridded operator that evaluates A on those cells.
#include "instruments/gridded_visibilities.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <limits>
#include <map>
#include <numbers>
#include <random>
#include <vector>

#include "instruments/dft.hpp"
#include "instruments/gridded_operator.hpp"
#include "src/core/errors.hpp"
#include "tests/support/operator_checks.hpp"

namespace penumbra {
namespace {

using cd = std::complex<double>;

ImageGrid grid_of(int nx, int ny, double cell) {
  ImageGrid g;
  g.nx = nx;
  g.ny = ny;
  g.cell = cell;
  return g;
}

int wrap(int k, int n) { return ((k % n) + n) % n; }

TEST(GriddedVisibilities, CellStatisticsMatchADirectComputation) {
  ImageGrid g = grid_of(8, 6, 2e-6);
  const double du = 1.0 / (8 * 2e-6), dv = 1.0 / (6 * 2e-6);
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<int> fx(-4, 3), fy(-3, 2);
  std::uniform_real_distribution<double> jitter(-0.4, 0.4), wd(0.5, 3.0), vd(-2, 2);
  VisibilitySet vs;
  std::vector<int> px, py;  // signed frequency indices by construction
  for (int k = 0; k < 60; ++k) {
    int a = fx(rng), b = fy(rng);
    px.push_back(a);
    py.push_back(b);
    vs.u.push_back(-(a + jitter(rng)) * du);  // kx = round(−u/Δu)
    vs.v.push_back((b + jitter(rng)) * dv);
    vs.vis.emplace_back(vd(rng), vd(rng));
    vs.weight.push_back(wd(rng));
  }
  auto gv = grid_visibilities(vs, g);
  ASSERT_EQ(gv.nx, 8);
  ASSERT_EQ(gv.ny, 6);
  EXPECT_DOUBLE_EQ(gv.du, du);
  EXPECT_DOUBLE_EQ(gv.dv, dv);

  // Direct: every cell, every visibility and every Hermitian copy.
  for (int ky = 0; ky < 6; ++ky) {
    for (int kx = 0; kx < 8; ++kx) {
      cd sum = 0;
      double wsum = 0;
      long count = 0;
      const bool self = wrap(-kx, 8) == kx && wrap(-ky, 6) == ky;
      for (std::size_t k = 0; k < vs.size(); ++k) {
        const bool here = wrap(px[k], 8) == kx && wrap(py[k], 6) == ky;
        const bool mirror = wrap(-px[k], 8) == kx && wrap(-py[k], 6) == ky;
        if (self) {
          if (here) sum += vs.weight[k] * vs.vis[k].real(), wsum += vs.weight[k], ++count;
          continue;
        }
        if (here) sum += vs.weight[k] * vs.vis[k], wsum += vs.weight[k], ++count;
        if (mirror) sum += vs.weight[k] * std::conj(vs.vis[k]), wsum += vs.weight[k], ++count;
      }
      const std::size_t c = gv.index(ky, kx);
      EXPECT_EQ(gv.count[c], count) << ky << "," << kx;
      EXPECT_NEAR(gv.weight[c], wsum, 1e-12);
      if (wsum > 0) {
        EXPECT_NEAR(std::abs(gv.mean[c] - sum / wsum), 0.0, 1e-12);
        EXPECT_NEAR(gv.variance[c], 1.0 / wsum, 1e-12);
      } else {
        EXPECT_EQ(gv.mean[c], cd(0));
        EXPECT_EQ(gv.variance[c], std::numeric_limits<double>::infinity());
      }
      EXPECT_EQ(gv.self_conjugate(ky, kx), self);
      if (self && wsum > 0) EXPECT_EQ(gv.mean[c].imag(), 0.0);
      // Hermitian symmetry of the whole grid.
      const std::size_t cc = gv.index(wrap(-ky, 6), wrap(-kx, 8));
      EXPECT_NEAR(std::abs(gv.mean[cc] - std::conj(gv.mean[c])), 0.0, 1e-12);
    }
  }
}

TEST(GriddedVisibilities, GridEqualsTheForwardDftOfTheShiftedImage) {
  // Visibilities exactly on grid points, made by the operator A (the DFT
  // oracle), must equal F[ky][kx] = Σ x'[y][x] exp(−2πi(ky·y/ny + kx·x/nx)).
  const int nx = 8, ny = 6;
  ImageGrid g = grid_of(nx, ny, 3e-6);
  std::mt19937_64 rng(11);
  std::normal_distribution<double> nd;
  std::vector<double> img(g.size());
  for (double& p : img) p = nd(rng);
  GriddedVisibilities probe;
  probe.nx = nx;
  probe.ny = ny;
  probe.du = 1.0 / (nx * g.cell);
  probe.dv = 1.0 / (ny * g.cell);
  VisibilitySet vs;
  for (int ky = 0; ky < ny; ++ky)
    for (int kx = 0; kx < nx; ++kx) {
      vs.u.push_back(probe.u_of(kx));
      vs.v.push_back(probe.v_of(ky));
    }
  vs.vis.resize(vs.u.size());
  vs.weight.assign(vs.u.size(), 1.0);
  dft_degrid(vs.u, vs.v, g, img, vs.vis, 1);
  auto gv = grid_visibilities(vs, g);
  for (int ky = 0; ky < ny; ++ky)
    for (int kx = 0; kx < nx; ++kx) {
      cd f = 0;
      for (int y = 0; y < ny; ++y)
        for (int x = 0; x < nx; ++x) {
          // x' = image rolled so the phase centre (nx/2, ny/2) is at (0, 0).
          double val = img[static_cast<std::size_t>(wrap(y + ny / 2, ny)) * nx + wrap(x + nx / 2, nx)];
          double ph = -2 * std::numbers::pi * (double(ky) * y / ny + double(kx) * x / nx);
          f += val * cd(std::cos(ph), std::sin(ph));
        }
      EXPECT_NEAR(std::abs(gv.mean[gv.index(ky, kx)] - f), 0.0, 1e-9 * (1 + std::abs(f))) << ky << "," << kx;
      // Every cell got its own sample and the mirror of its partner's (same value for a real image).
      EXPECT_EQ(gv.count[gv.index(ky, kx)], gv.self_conjugate(ky, kx) ? 1 : 2);
    }
}

// The gridded operator on padded, unpadded and odd grids: the generic operator
// checks, and exactly the direct transform at its cell centres.
TEST(GriddedOperator, PassesTheOperatorChecks) {
  for (auto [n, m] : {std::pair{8, 16}, {8, 12}, {6, 6}, {5, 9}}) {
    SCOPED_TRACE(testing::Message() << n << " on " << m);
    ImageGrid g = grid_of(n, n + 1, 1e-6);
    GriddedOperator<double> op(g, m, m + 2);
    EXPECT_EQ(op.output_size(), static_cast<std::size_t>(m * (m + 2)));
    test::expect_linear_operator(op, 7);
    auto cells = op.cell_centres();
    test::expect_matches_dft(op, cells.u, cells.v, g, 1e-12);
    GriddedOperator<float> opf(g, m, m + 2);
    test::expect_linear_operator(opf, 7);
    test::expect_matches_dft(opf, cells.u, cells.v, g, 1e-6);
  }
  EXPECT_THROW(GriddedOperator<double>(grid_of(8, 8, 1e-6), 6, 8), UsageError);
}

// Its cells are the cells of grid_visibilities on the same uv grid.
TEST(GriddedOperator, CellsAreTheGriddedVisibilitiesCells) {
  ImageGrid g = grid_of(6, 6, 2e-6);
  const int m = 12;
  GriddedOperator<double> op(g, m, m);
  GriddedVisibilities probe = grid_visibilities(VisibilitySet{{0.0}, {0.0}, {cd(1, 0)}, {1.0}}, grid_of(m, m, g.cell));
  auto cells = op.cell_centres();
  for (int ky = 0; ky < m; ++ky)
    for (int kx = 0; kx < m; ++kx) {
      EXPECT_DOUBLE_EQ(cells.u[probe.index(ky, kx)], probe.u_of(kx));
      EXPECT_DOUBLE_EQ(cells.v[probe.index(ky, kx)], probe.v_of(ky));
    }
}

TEST(GriddedVisibilities, SelfConjugateCellCountsEachVisibilityOnce) {
  ImageGrid g = grid_of(4, 4, 1e-6);
  VisibilitySet vs;
  vs.u = {100.0, -50.0};  // both round to the DC cell (Δu = 250000 λ)
  vs.v = {20.0, 10.0};
  vs.vis = {cd(1.0, 5.0), cd(3.0, -1.0)};
  vs.weight = {1.0, 3.0};
  auto gv = grid_visibilities(vs, g);
  EXPECT_TRUE(gv.self_conjugate(0, 0));
  EXPECT_DOUBLE_EQ(gv.weight[0], 4.0);
  EXPECT_DOUBLE_EQ(gv.variance[0], 0.25);
  EXPECT_DOUBLE_EQ(gv.mean[0].real(), (1.0 * 1 + 3.0 * 3) / 4.0);
  EXPECT_DOUBLE_EQ(gv.mean[0].imag(), 0.0);
  EXPECT_EQ(gv.count[0], 2);
  EXPECT_EQ(gv.occupied_cells(), 1u);
}

TEST(GriddedVisibilities, RejectsEmptyAndNonFiniteInput) {
  ImageGrid g = grid_of(4, 4, 1e-6);
  VisibilitySet empty;
  EXPECT_THROW(grid_visibilities(empty, g), DataError);
  VisibilitySet bad;
  bad.u = {0};
  bad.v = {0};
  bad.vis = {cd(std::nan(""), 0)};
  bad.weight = {1};
  EXPECT_THROW(grid_visibilities(bad, g), DataError);
}

}  // namespace
}  // namespace penumbra
