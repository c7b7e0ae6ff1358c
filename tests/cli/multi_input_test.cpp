// Several MeasurementSets and spectral windows imaged together by
// multi-frequency synthesis (each channel at its own u = uvw·ν/c), checked
// against WSClean on two MSs of two windows each and against the same samples
// written as one uvtable; uv-range selection and averaging on read; and the
// one-line refusals (phase centres, polarisation setups, windows flagged
// everywhere, a cell too coarse, a uv range that keeps nothing).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "src/core/run_folder.hpp"
#include "src/core/units.hpp"
#include "src/io/fits_image.hpp"
#include "src/io/measurement_set.hpp"
#include "src/io/uvtable.hpp"
#include "tests/cli/imaging_fixture.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/wsclean.hpp"

using namespace penumbra;
using namespace penumbra::test;

namespace {

// The two-source grid of the imaging tests at 64² (0.1″ cells).
ImageGrid grid64() {
  ImageGrid g = two_source_grid();
  g.nx = g.ny = 64;
  return g;
}

// One window of the two-source field, observed by the array of `seed`.
Observation window(unsigned seed, const std::vector<double>& freqs, const ImageGrid& g = grid64()) {
  return small_observation(g, {{22, 40, 1.5}, {45, 20, 0.4}}, 24, 4, 300.0, seed, freqs);
}

// a.ms: windows at 240 GHz (2 channels) and 250 GHz (3 channels); b.ms, another
// array: 232 GHz (2 channels) and 246 GHz (2 channels).
struct TwoMs {
  std::filesystem::path a, b;
  std::vector<Observation> windows;  // all four, in reading order
};

TwoMs write_two_ms(const std::filesystem::path& dir) {
  TwoMs t{dir / "a.ms", dir / "b.ms", {}};
  t.windows = {window(1, {240e9, 240.5e9}), window(1, {250e9, 250.5e9, 251e9}), window(2, {232e9, 232.5e9}),
               window(2, {246e9, 246.5e9})};
  write_measurement_set(t.a, std::vector<Observation>{t.windows[0], t.windows[1]});
  write_measurement_set(t.b, std::vector<Observation>{t.windows[2], t.windows[3]});
  return t;
}

int image(const std::string& args, const std::filesystem::path& out, std::string* log = nullptr) {
  return run_command(penumbra_bin() + " --threads 1 --out " + out.string() + " image " + args, log);
}

nlohmann::json summary(const std::filesystem::path& run) {
  return nlohmann::json::parse(read_text(run / "image.json"));
}

// Largest |a − b| relative to the peak of `a`.
double max_rel_diff(const std::vector<double>& a, const std::vector<double>& b) {
  double peak = 0, diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) peak = std::max(peak, std::abs(a[i]));
  for (std::size_t i = 0; i < a.size(); ++i) diff = std::max(diff, std::abs(a[i] - b[i]));
  return diff / peak;
}

std::size_t error_lines(const std::string& log) {
  std::size_t n = 0;
  for (std::size_t p = log.find("error"); p != std::string::npos; p = log.find("error", p + 1)) ++n;
  return n;
}

TEST(MultiInput, TwoMsTwoWindowsEqualTheSamplesAsOneUvtable) {
  auto dir = scratch_dir("multi_uvtable");
  TwoMs t = write_two_ms(dir);
  std::string log;
  ASSERT_EQ(image(t.a.string() + " " + t.b.string() + " --size 64 --scale 0.1asec --nufft-epsilon 1e-8",
                  dir / "ms", &log),
            0)
      << log;
  auto j = summary(dir / "ms");
  std::size_t nvis = 0;
  double fsum = 0, nchan = 0;
  VisibilitySet all;
  for (const auto& w : t.windows) {
    VisibilitySet s = w.stokes_i();
    nvis += s.size();
    for (double f : w.freq) fsum += f, ++nchan;
    all.u.insert(all.u.end(), s.u.begin(), s.u.end());
    all.v.insert(all.v.end(), s.v.begin(), s.v.end());
    all.vis.insert(all.vis.end(), s.vis.begin(), s.vis.end());
    all.weight.insert(all.weight.end(), s.weight.begin(), s.weight.end());
  }
  EXPECT_EQ(j["visibilities"], nvis);
  EXPECT_EQ(j["channels"], 9);
  EXPECT_NEAR(j["frequency_hz"].get<double>(), fsum / nchan, 1.0);  // the reference frequency: mean channel
  EXPECT_EQ(j["input"], t.a.string() + ", " + t.b.string());
  write_uvtable(dir / "all.txt", all);
  ASSERT_EQ(image((dir / "all.txt").string() + " --size 64 --scale 0.1asec --nufft-epsilon 1e-8 --freq 240GHz",
                  dir / "uvt", &log),
            0)
      << log;
  auto ours = read_fits_image(dir / "ms" / "dirty.fits");
  auto ref = read_fits_image(dir / "uvt" / "dirty.fits");
  EXPECT_LE(max_rel_diff(ref.pixels, ours.pixels), 1e-5);
  EXPECT_NEAR(ours.freq_hz, fsum / nchan, 1.0);

  // One window per MS by number: fewer channels, the same file list.
  ASSERT_EQ(image(t.a.string() + " " + t.b.string() + " --size 64 --scale 0.1asec --spw 1", dir / "spw1", &log), 0)
      << log;
  EXPECT_EQ(summary(dir / "spw1")["channels"], 5);
}

TEST(MultiInput, TwoMsTwoWindowsMatchWsclean) {
  auto launcher = wsclean_launcher();
  if (!launcher)
    GTEST_SKIP() << "wsclean is not installed or cannot start (with OpenMP OpenBLAS it needs libopenblas0-pthread)";
  auto dir = scratch_dir("multi_wsclean");
  TwoMs t = write_two_ms(dir);
  std::string log;
  ASSERT_EQ(image(t.a.string() + " " + t.b.string() + " --size 64 --scale 0.1asec --nufft-epsilon 1e-8", dir / "p",
                  &log),
            0)
      << log;
  // Flags of tests/cli/wsclean_crosscheck_test.cpp; WSClean's default is one MFS image of every window
  // (-reorder: it reads several windows only through its reordered copy).
  ASSERT_EQ(run_command("cd " + dir.string() + " && " + *launcher +
                            "wsclean -quiet -j 1 -reorder -size 64 64 -scale 0.1asec -niter 0 -use-wgridder -no-small-inversion "
                            "-padding 1 -wgridder-accuracy 1e-6 -weighting-rank-filter 0 -weight natural -name ws " +
                            t.a.string() + " " + t.b.string(),
                        &log),
            0)
      << log;
  auto ours = read_fits_image(dir / "p" / "dirty.fits");
  auto theirs = read_fits_image(dir / "ws-dirty.fits");
  std::size_t ia = 0, ib = 0;
  for (std::size_t i = 0; i < ours.pixels.size(); ++i) {
    if (ours.pixels[i] > ours.pixels[ia]) ia = i;
    if (theirs.pixels[i] > theirs.pixels[ib]) ib = i;
  }
  EXPECT_EQ(ia, ib);
  std::vector<double> a = ours.pixels, b = theirs.pixels;
  for (auto& x : a) x /= ours.pixels[ia];
  for (auto& x : b) x /= theirs.pixels[ib];
  const double d = max_rel_diff(a, b);
  std::printf("[ wsclean  ] two MSs x two windows, natural: max |Δ|/peak = %.2e\n", d);
  EXPECT_LE(d, 1e-3);
}

TEST(MultiInput, UvRangeAndAveragingOnRead) {
  auto dir = scratch_dir("multi_select");
  TwoMs t = write_two_ms(dir);
  const std::string both = t.a.string() + " " + t.b.string() + " --size 64 --scale 0.1asec";
  std::string log;
  ASSERT_EQ(image(both, dir / "all", &log), 0) << log;
  auto full = summary(dir / "all");
  ASSERT_EQ(image(both + " --uv-min 100klambda --uv-max 0.4Mlambda", dir / "uv", &log), 0) << log;
  auto uv = summary(dir / "uv");
  EXPECT_LT(uv["visibilities"].get<int>(), full["visibilities"].get<int>());
  EXPECT_LE(uv["max_uv_lambda"].get<double>(), 0.4e6);
  EXPECT_NE(log.find("uv range 100 kλ – 400 kλ dropped"), std::string::npos) << log;
  // Metres: the projected baseline, the same at every channel.
  ASSERT_EQ(image(both + " --uv-max 400m", dir / "m", &log), 0) << log;
  EXPECT_LT(summary(dir / "m")["visibilities"].get<int>(), full["visibilities"].get<int>());
  // 4 times 60 s apart into 2 bins; channels in pairs (3 → 2 in the 250 GHz window).
  ASSERT_EQ(image(both + " --average-time 120s --average-channels 2", dir / "avg", &log), 0) << log;
  auto avg = summary(dir / "avg");
  EXPECT_EQ(avg["rows"].get<int>() * 2, full["rows"].get<int>());
  EXPECT_EQ(avg["channels"], 5);
  EXPECT_NE(log.find("smearing at the field edge"), std::string::npos) << log;
  EXPECT_NE(log.find("120 s integrations"), std::string::npos) << log;
  // Bad options fail before any data are read.
  EXPECT_EQ(image(both + " --average-channels 0", dir / "b1", &log), 64) << log;
  EXPECT_EQ(image(both + " --average-time -3s", dir / "b2", &log), 64) << log;
  EXPECT_EQ(image(both + " --uv-max 3parsec", dir / "b3", &log), 64) << log;
  EXPECT_EQ(image(both + " --uv-min 2Mlambda --uv-max 1Mlambda", dir / "b4", &log), 64) << log;
  EXPECT_EQ(image(both + " --spw first", dir / "b5", &log), 64) << log;
  EXPECT_EQ(error_lines(log), 1u) << log;
}

TEST(MultiInput, BadInputGivesOneLine) {
  auto dir = scratch_dir("multi_bad");
  TwoMs t = write_two_ms(dir);
  std::string log;
  // Another phase centre.
  ImageGrid other = grid64();
  other.dec += 10 * kArcsec;
  write_measurement_set(dir / "c.ms", window(3, {240e9}, other));
  EXPECT_EQ(image(t.a.string() + " " + (dir / "c.ms").string() + " --scale 0.1asec", dir / "r1", &log), 65) << log;
  EXPECT_NE(log.find("differs from " + t.a.string() + "'s"), std::string::npos) << log;
  EXPECT_EQ(error_lines(log), 1u) << log;
  // Windows of different polarisation setups.
  Observation rl = window(1, {250e9});
  rl.corr = {int(Corr::RR), int(Corr::LL)};
  write_measurement_set(dir / "pol.ms", std::vector<Observation>{t.windows[0], rl});
  EXPECT_EQ(image((dir / "pol.ms").string() + " --scale 0.1asec", dir / "r2", &log), 65) << log;
  EXPECT_NE(log.find("different polarisation setups (XX YY vs RR LL)"), std::string::npos) << log;
  EXPECT_EQ(image((dir / "pol.ms").string() + " --scale 0.1asec --spw 1", dir / "r2b", &log), 0) << log;
  // A window flagged everywhere: skipped with a warning under --spw all, an error when asked for.
  Observation flagged = t.windows[1];
  for (auto& f : flagged.flag) f = 1;
  write_measurement_set(dir / "flag.ms", std::vector<Observation>{t.windows[0], flagged});
  EXPECT_EQ(image((dir / "flag.ms").string() + " --scale 0.1asec", dir / "r3", &log), 0) << log;
  EXPECT_NE(log.find("spw 1: every channel is flagged in every row; skipped"), std::string::npos) << log;
  EXPECT_EQ(image((dir / "flag.ms").string() + " --scale 0.1asec --spw 1", dir / "r4", &log), 65) << log;
  EXPECT_NE(log.find("every channel is flagged in every row; choose other windows with --spw"), std::string::npos)
      << log;
  // One channel flagged in every row of a window with data: dropped, and said.
  Observation dead = t.windows[1];
  for (std::size_t r = 0; r < dead.nrow; ++r)
    for (std::size_t c = 0; c < dead.ncorr; ++c) dead.flag[dead.index(r, 1, c)] = 1;
  write_measurement_set(dir / "dead.ms", std::vector<Observation>{t.windows[0], dead});
  EXPECT_EQ(image((dir / "dead.ms").string() + " --scale 0.1asec", dir / "r3b", &log), 0) << log;
  EXPECT_NE(log.find("spw 1: channel(s) 1 flagged in every row; dropped"), std::string::npos) << log;
  EXPECT_EQ(log.find("spw 0: channel(s)"), std::string::npos) << log;
  // Every window flagged: the one error line, no warnings before it.
  Observation flagged0 = t.windows[0];
  for (auto& f : flagged0.flag) f = 1;
  write_measurement_set(dir / "flag2.ms", std::vector<Observation>{flagged0, flagged});
  EXPECT_EQ(image((dir / "flag2.ms").string() + " --scale 0.1asec", dir / "r4b", &log), 65) << log;
  EXPECT_NE(log.find("all 11040 samples are flagged"), std::string::npos) << log;
  EXPECT_EQ(log.find("skipped"), std::string::npos) << log;
  // A cell too coarse: the message offers --uv-max, and that value works.
  EXPECT_EQ(image(t.a.string() + " --size 64 --scale 1asec", dir / "r5", &log), 64) << log;
  auto p = log.find("--uv-max ");
  ASSERT_NE(p, std::string::npos) << log;
  const std::string uvmax = log.substr(p + 9, log.find_first_of(" \n", p + 9) - p - 9);
  EXPECT_EQ(image(t.a.string() + " --size 64 --scale 1asec --uv-max " + uvmax, dir / "r6", &log), 0) << log;
  // A uv range that keeps nothing.
  EXPECT_EQ(image(t.a.string() + " --scale 0.1asec --uv-min 1Glambda", dir / "r7", &log), 65) << log;
  EXPECT_NE(log.find("no unflagged visibilities within the uv range"), std::string::npos) << log;
  // Windows are MS things; time averaging needs rows.
  write_uvtable(dir / "vis.txt", t.windows[0].stokes_i());
  EXPECT_EQ(image((dir / "vis.txt").string() + " --scale 0.1asec --spw 0", dir / "r8", &log), 64) << log;
  EXPECT_EQ(image((dir / "vis.txt").string() + " --scale 0.1asec --average-time 60s", dir / "r9", &log), 65) << log;
  EXPECT_EQ(error_lines(log), 1u) << log;
}

}  // namespace

namespace {

// sample, clean and map read through the same options as image.
TEST(MultiInput, EveryCommandTakesTheInputOptions) {
  auto dir = scratch_dir("multi_commands");
  TwoMs t = write_two_ms(dir);
  const std::string inputs = " " + t.a.string() + " " + t.b.string();
  auto cmd = [&](const std::string& name) {
    return penumbra_bin() + " --threads 1 --seed 5 --out " + (dir / name).string() + " " + name + inputs;
  };
  std::string log;
  ASSERT_EQ(run_command(cmd("sample") +
                            " --prior gaussian:0,0.1 --size 16 --scale 0.4asec --nsamples 2 --batch 2 --steps 20 "
                            "--sampler pc --uv-max 250klambda --average-time 120s",
                        &log),
            0)
      << log;
  EXPECT_NE(log.find("uv range 0 – 250 kλ dropped"), std::string::npos) << log;
  EXPECT_NE(log.find("120 s integrations"), std::string::npos) << log;
  ASSERT_EQ(run_command(cmd("clean") + " --size 64 --scale 0.1asec --spw 0 --average-channels 2", &log), 0) << log;
  ASSERT_EQ(run_command(cmd("map") + " --size 32 --scale 0.1asec --uv-min 50klambda", &log), 0) << log;
  EXPECT_NE(log.find("uv range 50 kλ – ∞ dropped"), std::string::npos) << log;
}

}  // namespace
