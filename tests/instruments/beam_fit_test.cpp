#include "instruments/beam_fit.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "src/core/errors.hpp"

using namespace penumbra;

TEST(BeamFit, RecoversAnEllipticalGaussian) {
  ImageGrid g{64, 64, 1e-7};
  const double bmaj = 7.0, bmin = 4.0;  // FWHM in cells
  for (double pa_deg : {30.0, -60.0, 0.0, 90.0}) {
    const double pa = pa_deg * std::numbers::pi / 180;
    std::vector<double> psf(g.size());
    for (int y = 0; y < g.ny; ++y)
      for (int x = 0; x < g.nx; ++x) {
        const double l = g.l(x) / g.cell, m = g.m(y) / g.cell;
        const double a = l * std::sin(pa) + m * std::cos(pa), b = l * std::cos(pa) - m * std::sin(pa);
        psf[y * g.nx + x] = std::exp(-4 * std::numbers::ln2 * (a * a / (bmaj * bmaj) + b * b / (bmin * bmin)));
      }
    auto beam = fit_beam(psf, g);
    EXPECT_NEAR(beam.bmaj / g.cell, bmaj, 1e-6) << pa_deg;
    EXPECT_NEAR(beam.bmin / g.cell, bmin, 1e-6) << pa_deg;
    double dpa = std::remainder(beam.bpa - pa, std::numbers::pi);
    EXPECT_NEAR(dpa, 0.0, 1e-6) << pa_deg;
  }
}

TEST(BeamFit, ClearErrors) {
  ImageGrid g{16, 16, 1e-7};
  // A PSF narrower than a pixel: the cell does not sample the beam.
  std::vector<double> spike(g.size(), 0.0);
  spike[8 * 16 + 8] = 1.0;
  EXPECT_THROW(fit_beam(spike, g), DataError);
  std::vector<double> negative(g.size(), -1.0);
  EXPECT_THROW(fit_beam(negative, g), DataError);
  EXPECT_THROW(fit_beam(std::vector<double>(10, 1.0), g), UsageError);
}

