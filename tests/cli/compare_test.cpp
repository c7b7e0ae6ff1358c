// `penumbra compare` on a tiny simulated MeasurementSet with a known truth:
// dirty, CLEAN, MAP and a posterior mean sampled on the spot (and WSClean when
// it starts), the table and the figure; bad input exits non-zero.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "src/core/run_folder.hpp"
#include "src/core/units.hpp"
#include "src/io/fits_image.hpp"
#include "src/io/measurement_set.hpp"
#include "tests/cli/imaging_fixture.hpp"
#include "tests/support/paths.hpp"

using namespace penumbra;
using namespace penumbra::test;

namespace {
int compare(const std::string& args, const std::filesystem::path& out, std::string* log = nullptr) {
  return run_command(penumbra_bin() + " --threads 1 --out " + out.string() + " compare " + args, log);
}
struct Case {
  std::filesystem::path ms, truth;
};
Case tiny_case(const std::filesystem::path& dir) {
  std::vector<PointSource> src = {{12, 20, 1.0}, {20, 10, 0.5}};
  auto obs = small_observation(two_source_grid(), src);
  Case c{dir / "obs.ms", dir / "truth.fits"};
  write_measurement_set(c.ms, obs);
  FitsImage t;
  t.grid = two_source_grid();
  t.pixels.assign(t.grid.size(), 0.0);
  for (auto& s : src) t.pixels[static_cast<std::size_t>(s.py) * 32 + s.px] = s.flux;
  t.bunit = "Jy/pixel";
  t.freq_hz = 240e9;
  write_fits_image(c.truth, t);
  return c;
}
}  // namespace

TEST(CompareCommand, TableAndFigureOnATinySimulation) {
  auto dir = scratch_dir("compare_cli");
  auto c = tiny_case(dir);
  std::string log;
  ASSERT_EQ(compare(c.ms.string() + " --truth " + c.truth.string() +
                        " --niter 200 --map-prior l1 --lambda 0.1 --positive --prior gaussian:0,0.05 --sampler mala"
                        " --likelihood exact --steps 100 --nsamples 8 --disk 30deg,40deg",
                    dir / "run", &log),
            0)
      << log;
  for (auto f : {"comparison.csv", "comparison.md", "comparison.png", "compare.json"})
    EXPECT_TRUE(std::filesystem::exists(dir / "run" / f)) << f;
  auto j = nlohmann::json::parse(read_text(dir / "run" / "compare.json"));
  auto rows = j["rows"];
  ASSERT_GE(rows.size(), 4u);
  EXPECT_EQ(rows[0]["method"], "dirty");
  EXPECT_EQ(rows[1]["method"], "clean");
  EXPECT_EQ(rows[2]["method"], "map");
  EXPECT_EQ(rows[3]["method"], "posterior mean");
  // Point sources, noise-free data: the sparsity MAP is closer to the truth than the dirty image.
  EXPECT_LT(rows[2]["rmse"].get<double>(), rows[0]["rmse"].get<double>());
  EXPECT_LT(rows[2]["chi2_reduced"].get<double>(), rows[0]["chi2_reduced"].get<double>());
  // --disk: profiles of every method and the band of the 8 samples.
  EXPECT_TRUE(std::filesystem::exists(dir / "run" / "radial_profile.png"));
  const double band = j["radial_profile"]["band_coverage_68"].get<double>();
  EXPECT_GE(band, 0.0);
  EXPECT_LE(band, 1.0);
  EXPECT_NE(read_text(dir / "run" / "radial_profile.csv").find("posterior mean_jy_sr"), std::string::npos);
  if (rows.size() == 5) EXPECT_EQ(rows[4]["method"], "wsclean");
  else EXPECT_NE(j["wsclean"].get<std::string>().find("skipped"), std::string::npos);
}

TEST(CompareCommand, BadInput) {
  auto dir = scratch_dir("compare_cli_bad");
  auto c = tiny_case(dir);
  // A truth coarser than the images (a finer one is resampled), and a --disk that is no orientation.
  EXPECT_EQ(compare(c.ms.string() + " --truth " + c.truth.string() + " --scale 0.05asec --wsclean off", dir / "a"), 64);
  EXPECT_EQ(compare(c.ms.string() + " --truth " + c.truth.string() + " --disk 95,0 --wsclean off", dir / "a2"), 64);
  // Missing truth file and missing --truth.
  EXPECT_EQ(compare(c.ms.string() + " --truth " + (dir / "none.fits").string(), dir / "b"), 66);
  EXPECT_EQ(compare(c.ms.string(), dir / "c"), 64);
  // A truth in Jy/beam is refused.
  auto t = read_fits_image(c.truth);
  t.bunit = "Jy/beam";
  write_fits_image(dir / "beam.fits", t);
  std::string log;
  EXPECT_EQ(compare(c.ms.string() + " --truth " + (dir / "beam.fits").string(), dir / "d", &log), 65);
  EXPECT_NE(log.find("Jy/pixel"), std::string::npos) << log;
  EXPECT_EQ(compare(c.ms.string() + " --truth " + c.truth.string() + " --wsclean maybe", dir / "e"), 64);
}
