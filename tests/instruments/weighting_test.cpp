// Imaging weights against hand-built cases and an independent brute-force
// computation of the CASA/WSClean formulas (REFERENCE.md §1).
#include "instruments/weighting.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <numbers>
#include <random>
#include <utility>
#include <vector>

#include "src/core/errors.hpp"

namespace penumbra {
namespace {

ImageGrid grid_of(int n, double cell) {
  ImageGrid g;
  g.nx = g.ny = n;
  g.cell = cell;
  return g;
}

TEST(Weighting, NaturalKeepsThermalWeights) {
  ImageGrid g = grid_of(32, 1e-6);
  std::vector<double> u{100, -2000, 5000}, v{0, 3000, -7000}, w{1, 2, 0.5};
  auto iw = compute_imaging_weights(u, v, w, g, {});
  EXPECT_EQ(iw.weight, w);
  EXPECT_DOUBLE_EQ(iw.sum, 3.5);
  EXPECT_DOUBLE_EQ(iw.noise_factor, 1.0);
}

TEST(Weighting, UniformDividesByCellSumWithHermitianFolding) {
  ImageGrid g = grid_of(32, 1e-6);
  const double du = 1.0 / (32 * 1e-6);  // 31250 λ
  // a and b share a cell; c is (−u, −v) of a point in that cell, so it folds
  // onto it too; d is alone. e sits just across a cell edge from a.
  std::vector<double> u{0.2 * du, 0.7 * du, -0.5 * du, 5.5 * du, 1.01 * du};
  std::vector<double> v{2.1 * du, 2.9 * du, -2.5 * du, 1.5 * du, 2.1 * du};
  std::vector<double> w{1.0, 3.0, 4.0, 2.0, 1.0};
  WeightingOptions opt;
  opt.scheme = WeightingScheme::kUniform;
  auto iw = compute_imaging_weights(u, v, w, g, opt);
  EXPECT_NEAR(iw.weight[0], 1.0 / 8.0, 1e-15);
  EXPECT_NEAR(iw.weight[1], 3.0 / 8.0, 1e-15);
  EXPECT_NEAR(iw.weight[2], 4.0 / 8.0, 1e-15);
  EXPECT_NEAR(iw.weight[3], 1.0, 1e-15);
  EXPECT_NEAR(iw.weight[4], 1.0, 1e-15);
  EXPECT_EQ(iw.occupied_cells, 3u);
  EXPECT_EQ(iw.outside, 0u);
  EXPECT_GT(iw.noise_factor, 1.0);
}

TEST(Weighting, CellsHaveTheirCornerOnTheGridLines) {
  // floor binning as WSClean: −0.4Δu and +0.4Δu are in different cells.
  ImageGrid g = grid_of(16, 2e-6);
  const double du = 1.0 / (16 * 2e-6);
  std::vector<double> u{-0.4 * du, 0.4 * du, 0.45 * du}, v{0.5 * du, 0.5 * du, 0.6 * du}, w{1, 1, 1};
  WeightingOptions opt;
  opt.scheme = WeightingScheme::kUniform;
  auto iw = compute_imaging_weights(u, v, w, g, opt);
  EXPECT_DOUBLE_EQ(iw.weight[0], 1.0);
  EXPECT_DOUBLE_EQ(iw.weight[1], 0.5);
  EXPECT_DOUBLE_EQ(iw.weight[2], 0.5);
}

// Independent evaluation of the Briggs formula from a map of cells.
std::vector<double> briggs_reference(const std::vector<double>& u, const std::vector<double>& v,
                                     const std::vector<double>& w, double du, double robust) {
  std::map<std::pair<long, long>, double> cells;
  auto key = [&](std::size_t k) {
    double uu = u[k], vv = v[k];
    if (vv < 0) uu = -uu, vv = -vv;
    return std::make_pair(static_cast<long>(std::floor(uu / du)), static_cast<long>(std::floor(vv / du)));
  };
  double total = 0;
  for (std::size_t k = 0; k < u.size(); ++k) {
    cells[key(k)] += w[k];
    total += w[k];
  }
  double s2 = 0;
  for (auto& [c, s] : cells) s2 += s * s;
  double f2 = std::pow(5.0 * std::pow(10.0, -robust), 2) / (s2 / total);
  std::vector<double> out(u.size());
  for (std::size_t k = 0; k < u.size(); ++k) out[k] = w[k] / (1.0 + cells[key(k)] * f2);
  return out;
}

TEST(Weighting, BriggsMatchesTheFormulaAndItsLimits) {
  ImageGrid g = grid_of(64, 1e-6);
  const double du = 1.0 / (64 * 1e-6);
  std::mt19937_64 rng(7);
  std::normal_distribution<double> nd(0.0, 6 * du);
  std::uniform_real_distribution<double> wd(0.5, 2.0);
  std::vector<double> u, v, w;
  for (int k = 0; k < 3000; ++k) {
    u.push_back(nd(rng));
    v.push_back(nd(rng));
    w.push_back(wd(rng));
  }
  for (double r : {-2.0, -0.5, 0.0, 0.5, 2.0}) {
    WeightingOptions opt;
    opt.scheme = WeightingScheme::kBriggs;
    opt.robust = r;
    auto iw = compute_imaging_weights(u, v, w, g, opt);
    auto ref = briggs_reference(u, v, w, du, r);
    for (std::size_t k = 0; k < u.size(); ++k) ASSERT_NEAR(iw.weight[k], ref[k], 1e-12 * ref[k]) << "R=" << r;
  }
  // R = −2 ≈ uniform, R = +2 ≈ natural (up to a common factor).
  WeightingOptions uni, nat, lo, hi;
  uni.scheme = WeightingScheme::kUniform;
  lo.scheme = hi.scheme = WeightingScheme::kBriggs;
  lo.robust = -2;
  hi.robust = 2;
  auto wu = compute_imaging_weights(u, v, w, g, uni).weight;
  auto wl = compute_imaging_weights(u, v, w, g, lo).weight;
  auto wh = compute_imaging_weights(u, v, w, g, hi).weight;
  double max_dev_lo = 0, max_dev_hi = 0;
  const double sl = wl[0] / wu[0], sh = wh[0] / w[0];
  for (std::size_t k = 0; k < u.size(); ++k) {
    max_dev_lo = std::max(max_dev_lo, std::abs(wl[k] / wu[k] / sl - 1));
    max_dev_hi = std::max(max_dev_hi, std::abs(wh[k] / w[k] / sh - 1));
  }
  EXPECT_LT(max_dev_lo, 0.05);
  EXPECT_LT(max_dev_hi, 0.05);
}

TEST(Weighting, GaussianTaperIsHalfAtTheFwhmConjugate) {
  ImageGrid g = grid_of(32, 1e-6);
  const double theta = 5e-6;
  const double rho = 2 * std::numbers::ln2 / (std::numbers::pi * theta);  // half-power uv radius
  std::vector<double> u{0, rho, rho / std::sqrt(2.0)}, v{0, 0, -rho / std::sqrt(2.0)}, w{2, 2, 2};
  WeightingOptions opt;
  opt.taper_fwhm = theta;
  auto iw = compute_imaging_weights(u, v, w, g, opt);
  EXPECT_DOUBLE_EQ(iw.weight[0], 2.0);
  EXPECT_NEAR(iw.weight[1], 1.0, 1e-12);
  EXPECT_NEAR(iw.weight[2], 1.0, 1e-12);
}

TEST(Weighting, OutsideTheGridGetsZeroUniformWeight) {
  ImageGrid g = grid_of(16, 1e-6);
  std::vector<double> u{1000, 0.6 / 1e-6}, v{0, 0}, w{1, 1};
  WeightingOptions opt;
  opt.scheme = WeightingScheme::kUniform;
  auto iw = compute_imaging_weights(u, v, w, g, opt);
  EXPECT_EQ(iw.outside, 1u);
  EXPECT_EQ(iw.weight[1], 0.0);
}

TEST(Weighting, RejectsBadOptionsAndData) {
  ImageGrid g = grid_of(16, 1e-6);
  std::vector<double> u{0}, v{0}, w{1};
  WeightingOptions opt;
  opt.scheme = WeightingScheme::kBriggs;
  opt.robust = 2.5;
  EXPECT_THROW(compute_imaging_weights(u, v, w, g, opt), UsageError);
  opt.robust = 0;
  opt.taper_fwhm = -1;
  EXPECT_THROW(compute_imaging_weights(u, v, w, g, opt), UsageError);
  std::vector<double> bad{std::nan("")};
  EXPECT_THROW(compute_imaging_weights(u, v, bad, g, {}), DataError);
  EXPECT_THROW(parse_weighting("superuniform"), UsageError);
  EXPECT_EQ(parse_weighting("Briggs"), WeightingScheme::kBriggs);
}

}  // namespace
}  // namespace penumbra
