// Dirty image and PSF: normalisation (PSF peak 1, a point source shows its flux
// in Jy/beam at its own pixel), agreement with the direct transform, and the
// bad-input errors.
#include "instruments/dirty_image.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <numbers>
#include <random>
#include <vector>

#include "instruments/dft.hpp"
#include "instruments/weighting.hpp"
#include "src/core/errors.hpp"

namespace penumbra {
namespace {

using cd = std::complex<double>;

ImageGrid grid_of(int n, double cell) {
  ImageGrid g;
  g.nx = g.ny = n;
  g.cell = cell;
  return g;
}

// A point source of `flux` at pixel (px, py), visibilities in the internal convention.
VisibilitySet point_source(const ImageGrid& g, int px, int py, double flux, std::size_t m, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> nd(0.0, 0.12 / g.cell);
  std::uniform_real_distribution<double> wd(0.5, 2.0);
  VisibilitySet vs;
  while (vs.size() < m) {
    double u = nd(rng), v = nd(rng);
    if (std::max(std::abs(u), std::abs(v)) >= 0.49 / g.cell) continue;
    double ph = -2 * std::numbers::pi * (u * g.l(px) + v * g.m(py));
    vs.u.push_back(u);
    vs.v.push_back(v);
    vs.vis.push_back(flux * cd(std::cos(ph), std::sin(ph)));
    vs.weight.push_back(wd(rng));
  }
  return vs;
}

TEST(DirtyImage, PointSourceShowsItsFluxAtItsPixelAndPsfPeaksAtOne) {
  ImageGrid g = grid_of(64, 2e-7);
  const int px = 20, py = 41;  // East and North of centre
  auto vs = point_source(g, px, py, 0.75, 2000, 1);
  for (auto scheme : {WeightingScheme::kNatural, WeightingScheme::kUniform, WeightingScheme::kBriggs}) {
    WeightingOptions wo;
    wo.scheme = scheme;
    auto iw = compute_imaging_weights(vs, g, wo);
    auto d = make_dirty_image(vs, iw.weight, g);
    auto sd = image_stats(d.dirty, g.nx, g.ny);
    auto sp = image_stats(d.psf, g.nx, g.ny);
    EXPECT_EQ(sd.peak_x, px);
    EXPECT_EQ(sd.peak_y, py);
    EXPECT_NEAR(sd.peak, 0.75, 1e-6);
    EXPECT_EQ(sp.peak_x, g.nx / 2);
    EXPECT_EQ(sp.peak_y, g.ny / 2);
    EXPECT_NEAR(sp.peak, 1.0, 1e-6);
    EXPECT_NEAR(d.weight_sum, iw.sum, 1e-9 * iw.sum);
  }
}

TEST(DirtyImage, AgreesWithTheDirectTransform) {
  ImageGrid g = grid_of(48, 3e-7);
  auto vs = point_source(g, 10, 30, 1.0, 700, 2);
  std::mt19937_64 rng(5);
  std::normal_distribution<double> nd(0.0, 0.3);
  for (auto& v : vs.vis) v += cd(nd(rng), nd(rng));  // something that is not a single source
  WeightingOptions wo;
  wo.scheme = WeightingScheme::kBriggs;
  wo.robust = 0.5;
  auto iw = compute_imaging_weights(vs, g, wo);
  auto d = make_dirty_image(vs, iw.weight, g, {.epsilon = 1e-9});
  std::vector<cd> wv(vs.size()), w(vs.size());
  for (std::size_t k = 0; k < vs.size(); ++k) {
    wv[k] = iw.weight[k] * vs.vis[k];
    w[k] = iw.weight[k];
  }
  std::vector<double> ref(g.size()), refpsf(g.size());
  dft_grid(vs.u, vs.v, g, wv, ref, 1);
  dft_grid(vs.u, vs.v, g, w, refpsf, 1);
  for (auto& p : ref) p /= iw.sum;
  for (auto& p : refpsf) p /= iw.sum;
  EXPECT_LT(relative_l2_error(d.dirty, ref), 1e-8);
  EXPECT_LT(relative_l2_error(d.psf, refpsf), 1e-8);
}

TEST(DirtyImage, ZeroWeightVisibilitiesAreIgnored) {
  ImageGrid g = grid_of(32, 3e-7);
  auto vs = point_source(g, 10, 12, 1.0, 300, 3);
  std::vector<double> w(vs.size(), 1.0);
  auto a = make_dirty_image(vs, w, g);
  // Add garbage with zero imaging weight: nothing changes.
  vs.u.push_back(1000);
  vs.v.push_back(-2000);
  vs.vis.push_back({1e6, 1e6});
  vs.weight.push_back(1.0);
  w.push_back(0.0);
  auto b = make_dirty_image(vs, w, g);
  EXPECT_EQ(b.nvis, a.nvis);
  EXPECT_LT(relative_l2_error(a.dirty, b.dirty), 1e-12);
}

TEST(DirtyImage, ClearErrorsForBadInput) {
  ImageGrid g = grid_of(32, 3e-7);
  auto vs = point_source(g, 10, 12, 1.0, 50, 4);
  std::vector<double> zero(vs.size(), 0.0);
  EXPECT_THROW(make_dirty_image(vs, zero, g), DataError);
  EXPECT_THROW(make_dirty_image(vs, std::vector<double>(3, 1.0), g), UsageError);
  VisibilitySet empty;
  EXPECT_THROW(make_dirty_image(empty, {}, g), DataError);
  // A baseline too long for the cell: the message names it and a cell that fits.
  auto far = vs;
  far.u[7] = 0.8 / g.cell;
  std::vector<double> ones(far.size(), 1.0);
  try {
    make_dirty_image(far, ones, g);
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("visibility 7"), std::string::npos) << msg;
    EXPECT_NE(msg.find("use a cell"), std::string::npos) << msg;
  }
  auto nan = vs;
  nan.vis[3] = {std::nan(""), 0};
  EXPECT_THROW(make_dirty_image(nan, std::vector<double>(nan.size(), 1.0), g), DataError);
}

}  // namespace
}  // namespace penumbra
