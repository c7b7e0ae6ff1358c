// `penumbra clean` end to end on a tiny uvtable: point and multiscale minor
// cycles write their images and clean.json, and bad options exit 64.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "src/core/run_folder.hpp"
#include "src/io/fits_image.hpp"
#include "tests/cli/imaging_fixture.hpp"
#include "tests/support/paths.hpp"

using namespace penumbra;
using namespace penumbra::test;

namespace {
int clean(const std::string& args, const std::filesystem::path& out, std::string* log = nullptr) {
  return run_command(penumbra_bin() + " --threads 1 --out " + out.string() + " clean " + args, log);
}
}  // namespace

TEST(CleanCommand, PointAndMultiscaleOnATinyUvtable) {
  auto dir = scratch_dir("clean_cli");
  auto uvt = two_source_uvtable(dir).string() + " --size 32 --scale 0.1asec --niter 300 --threshold 1e-3";
  for (std::string extra : {"", " --multiscale --scales 0,2,4", " --algorithm hogbom --multiscale --scale-shape gaussian"}) {
    std::string log;
    auto out = dir / ("run" + std::to_string(extra.size()));
    ASSERT_EQ(clean(uvt + extra, out, &log), 0) << extra << "\n" << log;
    for (auto f : {"model.fits", "residual.fits", "restored.fits", "psf.fits", "restored.png", "clean.json"})
      EXPECT_TRUE(std::filesystem::exists(out / f)) << extra << " " << f;
    auto j = nlohmann::json::parse(read_text(out / "clean.json"));
    EXPECT_NEAR(j["model_flux_jy"].get<double>(), 1.5, 0.05) << extra;
    EXPECT_EQ(j["multiscale"].get<bool>(), !extra.empty() && extra.find("--multiscale") != std::string::npos);
    if (j["multiscale"].get<bool>()) {
      ASSERT_TRUE(j.contains("scales")) << extra;
      EXPECT_EQ(j["scales"][0]["scale_px"].get<double>(), 0.0);
      // Point sources: the flux stays in the point scale.
      EXPECT_NEAR(j["scales"][0]["flux_jy"].get<double>(), 1.5, 0.05) << extra;
    }
    auto restored = read_fits_image(out / "restored.fits");
    ASSERT_TRUE(restored.beam.has_value());
    auto it = std::max_element(restored.pixels.begin(), restored.pixels.end());
    EXPECT_EQ(static_cast<int>(it - restored.pixels.begin()), 20 * 32 + 12) << extra;
  }
}

TEST(CleanCommand, BadOptionsExit64) {
  auto dir = scratch_dir("clean_cli_bad");
  auto uvt = two_source_uvtable(dir).string() + " --size 32 --scale 0.1asec";
  std::string log;
  EXPECT_EQ(clean(uvt + " --scales 0,2", dir / "a", &log), 64);
  EXPECT_NE(log.find("--scales needs --multiscale"), std::string::npos) << log;
  log.clear();
  EXPECT_EQ(clean(uvt + " --multiscale --scale-shape square", dir / "b", &log), 64);
  EXPECT_NE(log.find("paraboloid or gaussian"), std::string::npos) << log;
  log.clear();
  EXPECT_EQ(clean(uvt + " --multiscale --scales 0,20", dir / "d", &log), 64);  // wider than half the image
  EXPECT_NE(log.find("more than half"), std::string::npos) << log;
  EXPECT_EQ(clean(uvt + " --multiscale --scale-bias 1", dir / "e"), 64);
  EXPECT_EQ(clean(uvt + " --algorithm fancy", dir / "f"), 64);
}
