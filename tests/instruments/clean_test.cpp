#include "instruments/clean.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "instruments/beam_fit.hpp"
#include "instruments/dft.hpp"
#include "src/core/errors.hpp"
#include "src/core/units.hpp"
#include "tests/instruments/clean_fixture.hpp"

using namespace penumbra;

namespace {

VisibilitySet point_sources(const ImageGrid& g, const std::vector<std::tuple<int, int, double>>& sources, int nvis,
                            unsigned seed) {
  std::vector<double> image(g.size(), 0.0);
  for (auto [x, y, f] : sources) image[static_cast<std::size_t>(y) * g.nx + x] = f;
  return test::observe_image(g, image, nvis, seed);
}

}  // namespace

// A PSF made by restore(): the restore and the beam fit agree.
TEST(CleanBeam, RestoreAndBeamFitAgree) {
  ImageGrid g{64, 64, 1e-7};
  Beam truth{9 * g.cell, 5 * g.cell, 30 * kDeg};
  std::vector<double> model(g.size(), 0.0), psf(g.size(), 0.0);
  model[32 * 64 + 32] = 1.0;
  restore(model, truth, g, psf);
  Beam b = fit_beam(psf, g);
  EXPECT_NEAR(b.bmaj / truth.bmaj, 1.0, 0.01);
  EXPECT_NEAR(b.bmin / truth.bmin, 1.0, 0.01);
  EXPECT_NEAR(b.bpa / kDeg, 30.0, 0.5);
}

TEST(Clean, CottonSchwabAndHogbomRecoverPointSourceFluxes) {
  ImageGrid g{48, 48, 2e-8};
  std::vector<std::tuple<int, int, double>> src = {{24, 24, 1.0}, {30, 17, 0.4}, {12, 33, -0.2}};
  VisibilitySet vis = point_sources(g, src, 3000, 1);
  std::vector<double> w(vis.size(), 1.0);
  for (bool cs : {true, false}) {
    CleanOptions o;
    o.niter = 2000;
    o.gain = 0.2;
    o.threshold = 1e-3;
    o.cotton_schwab = cs;
    CleanResult r = clean(vis, w, g, o);
    for (auto [x, y, f] : src) {
      // Flux may land in a neighbouring pixel only through numerical noise: sum a 3×3 box.
      double got = 0;
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx) got += r.model[static_cast<std::size_t>(y + dy) * g.nx + x + dx];
      EXPECT_NEAR(got, f, 0.01) << "cotton_schwab=" << cs << " source at " << x << "," << y;
    }
    EXPECT_LT(r.final_peak, 0.02);
    if (cs) EXPECT_GE(r.major_cycles, 1);
    // The restored image peaks at the bright source with ≈ its flux (beam peak 1).
    std::size_t p = std::max_element(r.restored.begin(), r.restored.end()) - r.restored.begin();
    EXPECT_EQ(p, 24u * 48 + 24);
    EXPECT_NEAR(r.restored[p], 1.0, 0.03);
  }
}

TEST(Clean, BadOptionsAreUsageErrors) {
  ImageGrid g{16, 16, 2e-8};
  VisibilitySet vis = point_sources(g, {{8, 8, 1.0}}, 100, 2);
  std::vector<double> w(vis.size(), 1.0);
  CleanOptions o;
  o.gain = 0;
  EXPECT_THROW(clean(vis, w, g, o), UsageError);
  o = {};
  EXPECT_THROW(clean(vis, std::vector<double>(3, 1.0), g, o), UsageError);
}
