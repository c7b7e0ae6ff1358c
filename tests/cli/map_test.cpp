// `penumbra map` end to end on a tiny uvtable: outputs, χ² falls from the
// starting image, and bad options exit 64.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "src/core/run_folder.hpp"
#include "src/core/units.hpp"
#include "src/io/fits_image.hpp"
#include "tests/cli/imaging_fixture.hpp"
#include "tests/support/paths.hpp"

using namespace penumbra;
using namespace penumbra::test;

namespace {
int map(const std::string& args, const std::filesystem::path& out, std::string* log = nullptr) {
  return run_command(penumbra_bin() + " --threads 1 --out " + out.string() + " map " + args, log);
}
}  // namespace

TEST(MapCommand, TvAndMemOnATinyUvtable) {
  auto dir = scratch_dir("map_cli");
  auto uvt = two_source_uvtable(dir);
  for (std::string prior : {"tv", "mem", "l1"}) {
    std::string log;
    auto out = dir / ("run_" + prior);
    ASSERT_EQ(map(uvt.string() + " --size 32 --scale 0.1asec --prior " + prior + " --lambda 0.1 --positive", out, &log),
              0)
        << log;
    for (auto f : {"map.fits", "map.png", "residual.fits", "residual.png", "start.fits", "convergence.png", "map.json"})
      EXPECT_TRUE(std::filesystem::exists(out / f)) << prior << " " << f;
    auto j = nlohmann::json::parse(read_text(out / "map.json"));
    EXPECT_GT(j["iterations"].get<int>(), 0);
    EXPECT_LT(j["chi2_reduced"].get<double>(), j["chi2_reduced_start"].get<double>()) << prior;
    auto img = read_fits_image(out / "map.fits");
    EXPECT_EQ(img.bunit, "Jy/pixel");
    // The brighter source is the brightest MAP pixel.
    auto it = std::max_element(img.pixels.begin(), img.pixels.end());
    auto idx = static_cast<int>(it - img.pixels.begin());
    EXPECT_EQ(idx % 32, 12) << prior;
    EXPECT_EQ(idx / 32, 20) << prior;
  }
}

TEST(MapCommand, BadOptionsExit64) {
  auto dir = scratch_dir("map_cli_bad");
  auto uvt = two_source_uvtable(dir);
  std::string log;
  EXPECT_EQ(map(uvt.string() + " --size 32 --scale 0.1asec --prior maxent", dir / "a", &log), 64);
  EXPECT_NE(log.find("--prior must be mem, tv or l1"), std::string::npos) << log;
  log.clear();
  EXPECT_EQ(map(uvt.string() + " --size 32 --scale 0.1asec --prior tv --lambda -1", dir / "b", &log), 64);
  EXPECT_NE(log.find("--lambda"), std::string::npos) << log;
  EXPECT_EQ(map(uvt.string() + " --size 32 --scale 0.1asec --start middle", dir / "c"), 64);
  EXPECT_EQ(map((dir / "missing.txt").string() + " --size 32 --scale 0.1asec", dir / "d"), 66);
}
