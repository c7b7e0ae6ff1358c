// `penumbra image` end to end: MS and uvtable input, FITS/PNG/JSON outputs,
// the point source where it belongs, and one-line errors with the right codes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "src/core/run_folder.hpp"
#include "src/core/units.hpp"
#include "src/io/fits_image.hpp"
#include "src/io/measurement_set.hpp"
#include "src/io/uvtable.hpp"
#include "tests/cli/imaging_fixture.hpp"
#include "tests/support/paths.hpp"

using namespace penumbra;
using namespace penumbra::test;

namespace {

ImageGrid test_grid() {
  ImageGrid g;
  g.nx = g.ny = 64;
  g.cell = 0.1 * kArcsec;
  g.ra = 1.0;
  g.dec = -30 * kDeg;
  return g;
}

int image(const std::string& args, const std::filesystem::path& out, std::string* log = nullptr) {
  return run_command(penumbra_bin() + " --threads 1 --out " + out.string() + " image " + args, log);
}

std::filesystem::path write_test_ms(const std::filesystem::path& dir) {
  auto obs = small_observation(test_grid(), {{22, 40, 1.5}, {45, 20, 0.4}});
  auto ms = dir / "point.ms";
  write_measurement_set(ms, obs);
  return ms;
}

TEST(ImageCommand, MeasurementSetGivesFitsPngAndSummary) {
  auto dir = scratch_dir("image_ms");
  auto ms = write_test_ms(dir);
  std::string log;
  ASSERT_EQ(image(ms.string() + " --size 64 --scale 0.1asec --weighting briggs --robust 0.5", dir / "run", &log), 0)
      << log;
  for (auto f : {"dirty.fits", "psf.fits", "dirty.png", "psf.png", "image.json", "run.json", "config.toml"})
    EXPECT_TRUE(std::filesystem::exists(dir / "run" / f)) << f;
  auto dirty = read_fits_image(dir / "run" / "dirty.fits");
  auto psf = read_fits_image(dir / "run" / "psf.fits");
  EXPECT_EQ(dirty.bunit, "Jy/beam");
  EXPECT_EQ(dirty.grid.nx, 64);
  EXPECT_NEAR(dirty.grid.cell, 0.1 * kArcsec, 1e-12 * kArcsec);
  EXPECT_NEAR(dirty.grid.dec, -30 * kDeg, 1e-9);
  EXPECT_NEAR(dirty.freq_hz, 240.25e9, 1.0);
  // PSF peak 1 at the phase centre; the brighter source at its pixel.
  auto at = [](const FitsImage& im, int x, int y) { return im.pixels[static_cast<std::size_t>(y) * im.grid.nx + x]; };
  EXPECT_NEAR(at(psf, 32, 32), 1.0, 1e-5);
  auto j = nlohmann::json::parse(read_text(dir / "run" / "image.json"));
  EXPECT_EQ(j["dirty_peak_pixel"][0], 22);
  EXPECT_EQ(j["dirty_peak_pixel"][1], 40);
  EXPECT_EQ(j["weighting"], "briggs");
  EXPECT_EQ(j["channels"], 2);
  EXPECT_NEAR(at(dirty, 22, 40), j["dirty_peak_jy_per_beam"].get<double>(), 1e-5);
  // Two sources with sidelobes: the peak is close to, not exactly, 1.5 Jy/beam.
  EXPECT_NEAR(at(dirty, 22, 40), 1.5, 0.2);
  // l towards East: pixel x = 22 < 32 is East of centre, so l > 0.
  EXPECT_GT(j["dirty_peak_offset_arcsec"][0].get<double>(), 0);
}

TEST(ImageCommand, UvtableInputAndUniformWeighting) {
  auto dir = scratch_dir("image_uvtable");
  auto obs = small_observation(test_grid(), {{40, 28, 2.0}});
  auto vis = obs.stokes_i();
  write_uvtable(dir / "vis.txt", vis);
  std::string log;
  ASSERT_EQ(image((dir / "vis.txt").string() + " --size 64 --scale 0.1 --weighting uniform --freq 240GHz", dir / "run",
                  &log),
            0)
      << log;
  auto j = nlohmann::json::parse(read_text(dir / "run" / "image.json"));
  EXPECT_EQ(j["dirty_peak_pixel"][0], 40);
  EXPECT_EQ(j["dirty_peak_pixel"][1], 28);
  EXPECT_NEAR(j["dirty_peak_jy_per_beam"].get<double>(), 2.0, 1e-4);  // single source: exactly its flux
  EXPECT_GT(j["noise_factor_vs_natural"].get<double>(), 1.0);
  auto dirty = read_fits_image(dir / "run" / "dirty.fits");
  EXPECT_NEAR(dirty.freq_hz, 240e9, 1.0);
}

TEST(ImageCommand, BadInputGivesOneLineErrorsAndExitCodes) {
  auto dir = scratch_dir("image_errors");
  auto ms = write_test_ms(dir);
  std::string log;
  // Missing input: 66.
  EXPECT_EQ(image((dir / "nope.ms").string() + " --scale 0.1asec", dir / "r1", &log), 66) << log;
  // Bad options: 64.
  EXPECT_EQ(image(ms.string() + " --scale 0.1asec --weighting briggs --robust 3", dir / "r2", &log), 64) << log;
  EXPECT_EQ(image(ms.string() + " --scale 0.1asec --robust 1", dir / "r3", &log), 64) << log;
  EXPECT_NE(log.find("--robust applies to --weighting briggs"), std::string::npos) << log;
  EXPECT_EQ(image(ms.string() + " --scale 0.1asec --weighting superuniform", dir / "r4", &log), 64) << log;
  EXPECT_EQ(image(ms.string() + " --scale 0.1asec --size 0", dir / "r5", &log), 64) << log;
  EXPECT_EQ(image(ms.string() + " --scale -1asec", dir / "r6", &log), 64) << log;
  // Cell too coarse for the longest baseline: names the baseline and a cell that fits.
  EXPECT_EQ(image(ms.string() + " --size 64 --scale 1asec", dir / "r7", &log), 64) << log;
  EXPECT_NE(log.find("baseline"), std::string::npos) << log;
  EXPECT_NE(log.find("--scale"), std::string::npos) << log;
  // All flagged: 65.
  auto obs = small_observation(test_grid(), {{22, 40, 1.0}}, 6, 2);
  std::fill(obs.flag.begin(), obs.flag.end(), std::uint8_t{1});
  write_measurement_set(dir / "flagged.ms", obs);
  EXPECT_EQ(image((dir / "flagged.ms").string() + " --scale 0.1asec", dir / "r8", &log), 65) << log;
  EXPECT_NE(log.find("flagged"), std::string::npos) << log;
  // Non-finite values in a uvtable: 65, naming the line.
  std::ofstream(dir / "nan.txt") << "100 200 1 0 1\n300 -50 nan 0 1\n";
  EXPECT_EQ(image((dir / "nan.txt").string() + " --scale 0.1asec", dir / "r9", &log), 65) << log;
  // Each error is one line.
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 1) << log;
}

}  // namespace
