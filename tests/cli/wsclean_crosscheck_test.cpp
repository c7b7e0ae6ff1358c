// Cross-check of `penumbra image` against an independent imager: WSClean
// (Debian's 3.1) on the same MeasurementSet written by Penumbra, with the
// flags that make its definitions ours (docs/imaging.md):
//   -niter 0 -use-wgridder -no-small-inversion -padding 1 -wgridder-accuracy 1e-6
//   -weighting-rank-filter 0 -weight natural | uniform | briggs R
// (-padding 1: WSClean's weight cells are those of its padded grid;
// -weighting-rank-filter 0: its default clips large uniform weights, which
// CASA's definition, and ours, do not).
// After peak normalisation the dirty images agree to ≤ 1e-3 of the peak, with
// the peak in the same pixel. Skipped when wsclean is not installed or cannot
// start (tests/support/wsclean.hpp).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "src/core/units.hpp"
#include "src/io/fits_image.hpp"
#include "src/io/measurement_set.hpp"
#include "tests/cli/imaging_fixture.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/wsclean.hpp"

using namespace penumbra;
using namespace penumbra::test;

namespace {

struct Case {
  std::string name, penumbra_args, wsclean_args;
};

class WscleanCrossCheck : public ::testing::TestWithParam<Case> {};

TEST_P(WscleanCrossCheck, DirtyImagesAgreeAfterPeakNormalisation) {
  auto launcher = wsclean_launcher();
  if (!launcher)
    GTEST_SKIP() << "wsclean is not installed or cannot start (with OpenMP OpenBLAS it needs libopenblas0-pthread)";
  const Case& c = GetParam();
  auto dir = scratch_dir("wsclean_" + c.name);
  ImageGrid g;
  g.nx = g.ny = 64;
  g.cell = 0.1 * kArcsec;
  g.ra = 1.0;
  g.dec = -30 * kDeg;
  // An off-centre point source, a fainter second one, 24 antennas (276
  // baselines) × 4 times × 2 channels: small enough for a test, with enough
  // structure in the weights and sidelobes to tell definitions apart.
  auto obs = small_observation(g, {{22, 40, 1.5}, {45, 20, 0.4}});
  auto ms = dir / "x.ms";
  write_measurement_set(ms, obs);

  std::string log;
  ASSERT_EQ(run_command(penumbra_bin() + " --threads 1 --out " + (dir / "penumbra").string() + " image " + ms.string() +
                            " --size 64 --scale 0.1asec --nufft-epsilon 1e-8 " + c.penumbra_args,
                        &log),
            0)
      << log;
  ASSERT_EQ(run_command("cd " + dir.string() + " && " + *launcher +
                            "wsclean -quiet -j 1 -size 64 64 -scale 0.1asec -niter 0 -use-wgridder -no-small-inversion "
                            "-padding 1 -wgridder-accuracy 1e-6 -weighting-rank-filter 0 -make-psf -name ws " +
                            c.wsclean_args + " " + ms.string(),
                        &log),
            0)
      << log;
  auto ours = read_fits_image(dir / "penumbra" / "dirty.fits");
  auto theirs = read_fits_image(dir / "ws-dirty.fits");
  auto our_psf = read_fits_image(dir / "penumbra" / "psf.fits");
  auto their_psf = read_fits_image(dir / "ws-psf.fits");
  ASSERT_EQ(theirs.grid.nx, 64);
  ASSERT_EQ(theirs.grid.ny, 64);
  EXPECT_NEAR(theirs.grid.cell, g.cell, 1e-6 * g.cell);

  auto compare = [&](const FitsImage& a, const FitsImage& b, const char* what) {
    std::size_t ia = 0, ib = 0;
    for (std::size_t i = 0; i < a.pixels.size(); ++i) {
      if (a.pixels[i] > a.pixels[ia]) ia = i;
      if (b.pixels[i] > b.pixels[ib]) ib = i;
    }
    EXPECT_EQ(ia, ib) << what << ": peaks at pixel " << ia << " (penumbra) and " << ib << " (wsclean)";
    double max_diff = 0;
    for (std::size_t i = 0; i < a.pixels.size(); ++i)
      max_diff = std::max(max_diff, std::abs(a.pixels[i] / a.pixels[ia] - b.pixels[i] / b.pixels[ib]));
    EXPECT_LE(max_diff, 1e-3) << what;
    // Recorded in docs/imaging.md.
    std::printf("[ wsclean  ] %s %s: peak %.6f (penumbra) %.6f (wsclean) Jy/beam, max |Δ|/peak = %.2e\n",
                c.name.c_str(), what, a.pixels[ia], b.pixels[ib], max_diff);
  };
  compare(ours, theirs, "dirty");
  compare(our_psf, their_psf, "psf");
  // Fitted beams: both imagers fit the same PSF main lobe by different methods
  // and the test PSF has only ~3 pixels per beam, so the sizes agree to ~10 %
  // (up to 20 % allowed); the position-angle convention must agree closely.
  ASSERT_TRUE(ours.beam.has_value());
  if (theirs.beam) {
    std::printf("[ wsclean  ] %s beam: %.1f x %.1f mas PA %.1f deg (penumbra), %.1f x %.1f mas PA %.1f deg (wsclean)\n",
                c.name.c_str(), ours.beam->bmaj / kArcsec * 1e3, ours.beam->bmin / kArcsec * 1e3,
                ours.beam->bpa / kDeg, theirs.beam->bmaj / kArcsec * 1e3, theirs.beam->bmin / kArcsec * 1e3,
                theirs.beam->bpa / kDeg);
    EXPECT_NEAR(ours.beam->bmaj / theirs.beam->bmaj, 1.0, 0.2);
    EXPECT_NEAR(ours.beam->bmin / theirs.beam->bmin, 1.0, 0.2);
    EXPECT_NEAR(std::remainder(ours.beam->bpa - theirs.beam->bpa, kPi), 0.0, 5 * kDeg);
  }
}

INSTANTIATE_TEST_SUITE_P(Weightings, WscleanCrossCheck,
                         ::testing::Values(Case{"natural", "--weighting natural", "-weight natural"},
                                           Case{"uniform", "--weighting uniform", "-weight uniform"},
                                           Case{"briggs_m05", "--weighting briggs --robust -0.5", "-weight briggs -0.5"},
                                           Case{"briggs_1", "--weighting briggs --robust 1", "-weight briggs 1"}),
                         [](const auto& info) { return info.param.name; });

}  // namespace
