// `penumbra simulate --preset dsharp-as209` at a small fraction of its
// integrations (the same blocks, windows and truth in a few seconds): one MS per
// execution block with four windows of four channels, the visibility count of
// the plan, the 3 mas truth with AS 209's flux and rings, and `penumbra image` of
// all the MSs together showing the disk where the truth has it. Bad input of the
// preset gets one line before any work.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numeric>

#include "src/core/run_folder.hpp"
#include "src/core/units.hpp"
#include "src/datasets/as209_model.hpp"
#include "src/datasets/radial_profile.hpp"
#include "src/io/fits_image.hpp"
#include "src/io/measurement_set.hpp"
#include "tests/support/paths.hpp"

using namespace penumbra;
using namespace penumbra::test;

namespace {

constexpr double kMas = 1e-3 * kArcsec;

int penumbra_run(const std::string& args, std::string* log = nullptr) {
  return run_command(penumbra_bin() + " --threads 2 " + args, log);
}

DiskOrientation as209_orientation() {
  const ProtoplanetaryDisk d = as209_disk();
  return {d.inclination, d.position_angle, 0, 0};
}

// The preset at 0.1 of its integrations (6 of 30 s per block), made once per process, in a
// folder named after the first test that asks (ctest runs each test in its own process, in parallel).
const std::filesystem::path& small_preset() {
  static const std::filesystem::path dir = [] {
    const std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    auto d = scratch_dir("dsharp-preset-" + test) / "sim";
    std::string log;
    EXPECT_EQ(penumbra_run("--seed 3 --out " + d.string() + " simulate --preset dsharp-as209 --preset-fraction 0.1",
                           &log),
              0)
        << log;
    return d;
  }();
  return dir;
}

const char* kBlocks[] = {"as209_eb1_compact", "as209_eb2_long", "as209_eb3_long"};

TEST(DsharpPreset, WritesOneMsPerBlockWithFourWindowsOfFourChannels) {
  const auto& dir = small_preset();
  const auto s = nlohmann::json::parse(read_text(dir / "summary.json"));
  ASSERT_EQ(s["blocks"].size(), 3u);
  std::size_t total = 0;
  for (std::size_t b = 0; b < 3; ++b) {
    const auto& block = s["blocks"][b];
    EXPECT_EQ(block["file"], std::string(kBlocks[b]) + ".ms");
    EXPECT_EQ(block["integrations"], 6);
    const std::vector<MsWindow> windows = read_measurement_set_windows(dir / block["file"].get<std::string>(), {});
    ASSERT_EQ(windows.size(), 4u);
    std::size_t block_vis = 0;
    for (std::size_t w = 0; w < 4; ++w) {
      const Observation& o = windows[w].obs;
      EXPECT_EQ(windows[w].spw, static_cast<int>(w));
      EXPECT_EQ(o.nchan, 4u);
      EXPECT_EQ(o.nrow, 780u * 6u);  // baselines × integrations
      const double centre = std::accumulate(o.freq.begin(), o.freq.end(), 0.0) / 4;
      EXPECT_NEAR(centre, (std::array{233e9, 235e9, 245e9, 247e9})[w], 1.0);
      EXPECT_NEAR(o.freq[1] - o.freq[0], 468.75e6, 1.0);
      block_vis += o.stokes_i().size();
    }
    // Visibilities = baselines × integrations × channels (16), all unflagged.
    EXPECT_EQ(block_vis, 780u * 6u * 16u);
    EXPECT_EQ(block["visibilities"], block_vis);
    total += block_vis;
  }
  EXPECT_EQ(s["visibilities"], total);
  // The compact block is the built-in layout × 0.2; the long ones reach 12.6 km.
  EXPECT_NEAR(s["blocks"][0]["max_baseline_m"].get<double>(), 2520.0, 1.0);
  EXPECT_NEAR(s["blocks"][1]["max_baseline_m"].get<double>(), 12600.0, 1.0);
  // Radiometer noise of one 468.75 MHz channel over 30 s: SEFD 2900 Jy, η 0.88.
  const double sigma_i = 2900 / (0.88 * std::sqrt(2 * 468.75e6 * 30)) / std::sqrt(2.0);
  EXPECT_NEAR(s["blocks"][0]["noise"]["rms_stokes_i_jy"].get<double>(), sigma_i, 1e-6 * sigma_i);
  EXPECT_TRUE(std::filesystem::exists(dir / "README.txt"));
  EXPECT_TRUE(std::filesystem::exists(dir / "truth.png"));
}

TEST(DsharpPreset, TruthIsAs209AtThreeMas) {
  const FitsImage truth = read_fits_image(small_preset() / "truth.fits");
  EXPECT_EQ(truth.grid.nx, 1200);
  EXPECT_NEAR(truth.grid.cell / kMas, 3.0, 1e-9);
  EXPECT_NEAR(std::accumulate(truth.pixels.begin(), truth.pixels.end(), 0.0), 0.3, 1e-4);
  const RadialProfile p =
      deprojected_radial_profile(truth.pixels, truth.grid, as209_orientation(), truth.grid.cell, 1.8 * kArcsec);
  EXPECT_NEAR(profile_extremum(p, 0.55 * kArcsec, 0.70 * kArcsec, true) / kArcsec, 0.62, 0.006);
  EXPECT_NEAR(profile_extremum(p, 0.93 * kArcsec, 1.08 * kArcsec, true) / kArcsec, 1.00, 0.006);
}

TEST(DsharpPreset, DirtyImageOfAllMsShowsTheDiskAndItsRings) {
  const auto& dir = small_preset();
  const auto out = dir.parent_path() / "dirty";
  std::string inputs, log;
  for (const char* b : kBlocks) inputs += (dir / (std::string(b) + ".ms")).string() + " ";
  const std::string grid = "--size 1024 --scale 4mas --weighting briggs --robust -0.5";
  ASSERT_EQ(penumbra_run("--out " + out.string() + " image " + inputs + grid, &log), 0) << log;
  const FitsImage dirty = read_fits_image(out / "dirty.fits");
  const auto peak = std::max_element(dirty.pixels.begin(), dirty.pixels.end()) - dirty.pixels.begin();
  // The bright inner disk at the phase centre (pixel 512, 512), within a beam (≈ 9 pixels).
  EXPECT_NEAR(peak % 1024, 512, 3);
  EXPECT_NEAR(peak / 1024, 512, 3);
  // The deprojected profile of the dirty image (Briggs −0.5, as DSHARP imaged AS 209): bright rings near
  // 0.62″ and 1.0″, several times the gaps inside them (16× and 12× at this seed).
  const RadialProfile p =
      deprojected_radial_profile(dirty.pixels, dirty.grid, as209_orientation(), 4 * kMas, 1.8 * kArcsec);
  const double ring1 = profile_extremum(p, 0.55 * kArcsec, 0.70 * kArcsec, true);
  const double ring2 = profile_extremum(p, 0.93 * kArcsec, 1.08 * kArcsec, true);
  EXPECT_NEAR(ring1 / kArcsec, 0.62, 0.02);
  EXPECT_NEAR(ring2 / kArcsec, 1.00, 0.02);
  auto at = [&](double r) { return p.mean[static_cast<std::size_t>(r / p.bin_width)]; };
  EXPECT_GT(at(ring1), 3 * at(profile_extremum(p, 0.45 * kArcsec, 0.56 * kArcsec, false)));
  EXPECT_GT(at(ring2), 3 * at(profile_extremum(p, 0.82 * kArcsec, 0.92 * kArcsec, false)));
  // A cell too coarse for the 12.6 km baselines: one line naming a cell and a --uv-max that would do.
  ASSERT_EQ(penumbra_run("--out " + (out.string() + "-coarse") + " image " + inputs + "--size 256 --scale 20mas", &log),
            64);
  EXPECT_NE(log.find("--uv-max"), std::string::npos) << log;
}

TEST(DsharpPreset, CompareFindsTheRingsAndGapsAgainstTheThreeMasTruth) {
  // compare on all three MSs at 12 mas (uv ≤ 4000 kλ): the 3 mas truth resampled onto the grid, and
  // the radial profiles of --disk: AS 209's outer rings and gaps found in the truth
  // and placed by CLEAN within a quarter beam.
  const auto& dir = small_preset();
  const auto out = dir.parent_path() / "compare";
  std::string inputs, log;
  for (const char* b : kBlocks) inputs += (dir / (std::string(b) + ".ms")).string() + " ";
  ASSERT_EQ(penumbra_run("--out " + out.string() + " compare " + inputs + "--truth " + (dir / "truth.fits").string() +
                             " --size 224 --scale 12mas --uv-max 4000klambda --weighting briggs --robust 0.5"
                             " --niter 2000 --map-iterations 10 --wsclean off --disk 35deg,86deg",
                         &log),
            0)
      << log;
  EXPECT_NE(log.find("resampled (flux-conserving) onto 224x224"), std::string::npos) << log;
  const auto j = nlohmann::json::parse(read_text(out / "compare.json"));
  const auto& rp = j["radial_profile"];
  const double beam = rp["beam_fwhm_arcsec"].get<double>();
  EXPECT_GT(beam, 0.04);
  EXPECT_LT(beam, 0.12);
  // Each of the truth's outer features (gaps 0.501″ and 0.865″, rings 0.618″ and 0.997″), the
  // bright rings placed by CLEAN within a quarter beam.
  for (double r : {0.501, 0.618, 0.865, 0.997}) {
    bool found = false;
    for (const auto& f : rp["features"]) {
      if (std::abs(f["truth_radius_arcsec"].get<double>() - r) > 0.5 * beam) continue;
      found = true;
      EXPECT_EQ(f["kind"], r == 0.618 || r == 0.997 ? "ring" : "gap");
      if (f["kind"] == "ring") EXPECT_LT(std::abs(f["clean"]["error_beams"].get<double>()), 0.25) << f.dump();
    }
    EXPECT_TRUE(found) << r << " in " << rp.dump();
  }
  EXPECT_TRUE(std::filesystem::exists(out / "radial_profile.png"));
  // A truth coarser than the images cannot be compared pixel by pixel: one line, before reading.
  ASSERT_EQ(penumbra_run("--out " + (out.string() + "-fine") + " compare " + inputs + "--truth " +
                             (dir / "truth.fits").string() + " --size 512 --scale 2mas --wsclean off",
                         &log),
            64);
  EXPECT_NE(log.find("coarser than the images"), std::string::npos) << log;
}

TEST(DsharpPreset, RealCycle4LayoutsReplaceTheBuiltInLongBaselineOnes) {
  PENUMBRA_REQUIRE_SHARED(c8, "alma/alma.cycle4.8.layout.txt");
  PENUMBRA_REQUIRE_SHARED(c9, "alma/alma.cycle4.9.layout.txt");
  const auto dir = scratch_dir("dsharp-preset-cycle4");
  std::string log;
  ASSERT_EQ(penumbra_run("--out " + dir.string() + " simulate --preset dsharp-as209 --preset-fraction 0.02 --layout " +
                             c8.string() + "," + c9.string(),
                         &log),
            0)
      << log;
  const auto s = nlohmann::json::parse(read_text(dir / "summary.json"));
  EXPECT_NEAR(s["blocks"][0]["max_baseline_m"].get<double>(), 2520.0, 1.0);  // the compact block stays built in
  EXPECT_NEAR(s["blocks"][1]["max_baseline_m"].get<double>(), 6855.0, 5.0);  // C40-8
  EXPECT_NEAR(s["blocks"][2]["max_baseline_m"].get<double>(), 12645.0, 5.0);  // C40-9
  EXPECT_NE(s["blocks"][2]["configuration"].get<std::string>().find("alma.cycle4.9.layout.txt"), std::string::npos);
  EXPECT_EQ(s["blocks"][1]["integrations"], 1);
}

TEST(DsharpPreset, BadInputGivesOneLineBeforeAnyWork) {
  const auto dir = scratch_dir("dsharp-preset-bad");
  struct Case {
    std::string args, expected;
  };
  const Case cases[] = {
      {"--preset dsharp-hd163296", "preset"},
      {"--preset dsharp-as209 --size 64", "--size is fixed by --preset dsharp-as209"},
      {"--preset dsharp-as209 --freq 100GHz", "--freq is fixed"},
      {"--preset dsharp-as209 --preset-fraction 0", "--preset-fraction must"},
      {"--preset dsharp-as209 --preset-fraction 1.5", "--preset-fraction must"},
      {"--preset-fraction 0.5", "--preset-fraction applies to --preset only"},
      {"--preset dsharp-as209 --layout " + (dir / "missing.cfg").string(), "missing.cfg"},
  };
  int k = 0;
  for (const Case& c : cases) {
    const auto out = dir / std::to_string(k++);
    std::string log;
    const int rc = penumbra_run("--out " + out.string() + " simulate " + c.args, &log);
    EXPECT_NE(rc, 0) << c.args;
    EXPECT_NE(log.find(c.expected), std::string::npos) << c.args << ": " << log;
    EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 1) << c.args << ": " << log;
    EXPECT_FALSE(std::filesystem::exists(out / "truth.fits")) << c.args;
  }
}

}  // namespace
