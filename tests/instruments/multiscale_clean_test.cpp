#include "instruments/multiscale_clean.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <random>

#include "instruments/clean.hpp"
#include "instruments/image_convolution.hpp"
#include "src/core/errors.hpp"
#include "tests/instruments/clean_fixture.hpp"

using namespace penumbra;

namespace {

// A circular Gaussian of `flux` Jy and FWHM `fwhm` pixels at (x0, y0), Jy/pixel.
std::vector<double> gaussian_source(const ImageGrid& g, double x0, double y0, double fwhm, double flux) {
  std::vector<double> img(g.size());
  double sum = 0;
  for (int y = 0; y < g.ny; ++y)
    for (int x = 0; x < g.nx; ++x) {
      double r2 = (x - x0) * (x - x0) + (y - y0) * (y - y0);
      img[y * g.nx + x] = std::exp(-4 * std::log(2.0) * r2 / (fwhm * fwhm));
      sum += img[y * g.nx + x];
    }
  for (double& v : img) v *= flux / sum;
  return img;
}

double rms(const std::vector<double>& a) {
  return std::sqrt(std::inner_product(a.begin(), a.end(), a.begin(), 0.0) / a.size());
}

double rmse(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += (a[i] - b[i]) * (a[i] - b[i]);
  return std::sqrt(s / a.size());
}

}  // namespace

TEST(ScaleKernel, UnitSumAndHalfMaximumAtHalfTheScale) {
  for (ScaleShape shape : {ScaleShape::TaperedParaboloid, ScaleShape::Gaussian}) {
    ScaleKernel k = make_scale_kernel(8, shape);
    const int h = k.half_width, side = 2 * h + 1;
    EXPECT_NEAR(std::accumulate(k.values.begin(), k.values.end(), 0.0), 1.0, 1e-12);
    const double centre = k.values[h * side + h];
    EXPECT_NEAR(k.values[h * side + h + 4] / centre, 0.5, 1e-9) << scale_shape_name(shape);  // r = s/2 = 4 px
    EXPECT_NEAR(k.values[(h - 4) * side + h] / centre, 0.5, 1e-9) << scale_shape_name(shape);
  }
  EXPECT_EQ(make_scale_kernel(0, ScaleShape::Gaussian).values, std::vector<double>{1.0});
  EXPECT_THROW(make_scale_kernel(0.5, ScaleShape::Gaussian), UsageError);
  EXPECT_THROW(make_scale_kernel(-2, ScaleShape::TaperedParaboloid), UsageError);
  EXPECT_THROW(make_scale_kernel(NAN, ScaleShape::TaperedParaboloid), UsageError);
  EXPECT_THROW(parse_scale_shape("square"), UsageError);
}

TEST(ScaleKernel, ScalesAreNormalisedAndBoundedByTheImage) {
  ImageGrid g{64, 64, 1e-7};
  EXPECT_EQ(normalise_scales({8, 2, 8}, g, ScaleShape::TaperedParaboloid), (std::vector<double>{0, 2, 8}));
  EXPECT_THROW(normalise_scales({20}, g, ScaleShape::Gaussian), UsageError);  // 61-pixel kernel in a 64² image
  Beam b{3 * g.cell, 3 * g.cell, 0};
  EXPECT_EQ(default_scales(b, g), (std::vector<double>{0, 6}));  // 12 > 64/8
}

TEST(FftConvolver, MatchesTheDirectLinearConvolution) {
  const int nx = 23, ny = 17;
  std::mt19937_64 rng(5);
  std::normal_distribution<double> n01;
  std::vector<double> img(nx * ny), k(7 * 7);
  for (double& v : img) v = n01(rng);
  for (double& v : k) v = n01(rng);
  FftConvolver conv(nx, ny, 4);
  int id = conv.add_kernel(k, 3);
  std::vector<double> out(img.size());
  conv.convolve(img, id, out);
  double worst = 0;
  for (int y = 0; y < ny; ++y)
    for (int x = 0; x < nx; ++x) {
      double ref = 0;
      for (int dy = -3; dy <= 3; ++dy)
        for (int dx = -3; dx <= 3; ++dx) {
          int sy = y - dy, sx = x - dx;
          if (sy >= 0 && sy < ny && sx >= 0 && sx < nx) ref += k[(dy + 3) * 7 + dx + 3] * img[sy * nx + sx];
        }
      worst = std::max(worst, std::abs(out[y * nx + x] - ref));
    }
  EXPECT_LT(worst, 1e-12);
  EXPECT_THROW(conv.add_kernel(std::vector<double>(11 * 11, 1.0), 5), UsageError);  // wider than declared
  EXPECT_THROW(conv.add_kernel(std::vector<double>(5, 1.0), 1), UsageError);
}

// An extended source: multiscale CLEAN removes more of it in the same number of
// components, and its model is closer to the truth.
TEST(MultiscaleClean, ExtendedSourceCleansDeeperThanPointClean) {
  ImageGrid g{64, 64, 2e-8};
  std::vector<double> truth = gaussian_source(g, 32, 30, 8.0, 1.0);
  VisibilitySet vis = test::observe_image(g, truth, 3000, 11);
  std::vector<double> w(vis.size(), 1.0);
  CleanOptions o;
  o.niter = 150;
  o.gain = 0.1;
  CleanResult point = clean(vis, w, g, o);
  o.multiscale = true;
  o.scales = {0, 4, 8, 12};
  CleanResult ms = clean(vis, w, g, o);
  EXPECT_EQ(point.iterations, 150);
  EXPECT_LE(ms.iterations, 150);
  EXPECT_LT(rms(ms.residual), 0.25 * rms(point.residual));
  EXPECT_LT(ms.final_peak, 0.25 * point.final_peak);
  EXPECT_LT(rmse(ms.model, truth), 0.5 * rmse(point.model, truth));
  // Most of the flux went into the extended scales.
  ASSERT_EQ(ms.scales, (std::vector<double>{0, 4, 8, 12}));
  ASSERT_EQ(ms.scale_components.size(), 4u);
  EXPECT_GT(ms.scale_flux[1] + ms.scale_flux[2] + ms.scale_flux[3], 0.8);
  EXPECT_NEAR(std::accumulate(ms.model.begin(), ms.model.end(), 0.0), 1.0, 0.05);

  // To the same threshold, multiscale needs far fewer components.
  o.niter = 5000;
  o.threshold = 0.005;
  CleanResult ms_deep = clean(vis, w, g, o);
  o.multiscale = false;
  CleanResult point_deep = clean(vis, w, g, o);
  EXPECT_LE(ms_deep.final_peak, 0.005);
  EXPECT_LT(ms_deep.iterations, point_deep.iterations / 3);
}

TEST(MultiscaleClean, PointSourcesStayPoints) {
  ImageGrid g{48, 48, 2e-8};
  std::vector<double> truth(g.size(), 0.0);
  truth[24 * 48 + 24] = 1.0;
  truth[17 * 48 + 30] = 0.4;
  VisibilitySet vis = test::observe_image(g, truth, 3000, 1);
  std::vector<double> w(vis.size(), 1.0);
  for (ScaleShape shape : {ScaleShape::TaperedParaboloid, ScaleShape::Gaussian}) {
    CleanOptions o;
    o.niter = 2000;
    o.gain = 0.2;
    o.threshold = 1e-3;
    o.multiscale = true;
    o.scales = {0, 3, 6};
    o.scale_shape = shape;
    CleanResult r = clean(vis, w, g, o);
    for (auto [x, y, f] : {std::tuple{24, 24, 1.0}, std::tuple{30, 17, 0.4}}) {
      double got = 0;
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx) got += r.model[(y + dy) * g.nx + x + dx];
      EXPECT_NEAR(got, f, 0.01) << scale_shape_name(shape) << " source at " << x << "," << y;
    }
    EXPECT_LT(r.final_peak, 0.02);
    EXPECT_NEAR(r.scale_flux[0], 1.4, 0.02) << "the point scale carries the flux";
    std::size_t p = std::max_element(r.restored.begin(), r.restored.end()) - r.restored.begin();
    EXPECT_EQ(p, 24u * 48 + 24);
    EXPECT_NEAR(r.restored[p], 1.0, 0.03);
  }
}

TEST(MultiscaleClean, BadScaleOptionsAreUsageErrors) {
  ImageGrid g{32, 32, 2e-8};
  std::vector<double> truth(g.size(), 0.0);
  truth[16 * 32 + 16] = 1.0;
  VisibilitySet vis = test::observe_image(g, truth, 200, 2);
  std::vector<double> w(vis.size(), 1.0);
  CleanOptions o;
  o.multiscale = true;
  o.scales = {0, 40};
  EXPECT_THROW(clean(vis, w, g, o), UsageError);
  o.scales = {0, 2};
  o.scale_bias = 1.5;
  EXPECT_THROW(clean(vis, w, g, o), UsageError);
}
