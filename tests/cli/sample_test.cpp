// `penumbra sample` end to end on a tiny uvtable built in code (16×16 grid, an
// analytic Gaussian prior so the test needs no trained network): outputs,
// summary fields, --resume without lost or duplicated samples, bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "src/core/image_grid.hpp"
#include "src/core/observation.hpp"
#include "src/core/run_folder.hpp"
#include "src/core/units.hpp"
#include "src/io/fits_image.hpp"
#include "src/io/hdf5_store.hpp"
#include "src/io/uvtable.hpp"
#include "tests/support/paths.hpp"

using namespace penumbra;
using namespace penumbra::test;

namespace {

constexpr int kN = 16;
constexpr double kCellAsec = 0.05;

// Two point sources seen by 400 random baselines inside the grid's resolution
// limit, noise rms 0.01 Jy on Re and Im; writes obs.txt and truth.fits into `dir`.
void make_inputs(const std::filesystem::path& dir, bool nan_row = false) {
  ImageGrid grid{kN, kN, kCellAsec * kArcsec};
  std::vector<double> truth(grid.size(), 0.0);
  truth[8 * kN + 8] = 0.5;
  truth[5 * kN + 10] = 0.3;
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> uv(-0.8 * grid.max_uv(), 0.8 * grid.max_uv());
  std::normal_distribution<double> noise(0.0, 0.01);
  VisibilitySet vs;
  for (int k = 0; k < 400; ++k) {
    double u = uv(rng), v = uv(rng);
    std::complex<double> V = 0;
    for (int y = 0; y < kN; ++y)
      for (int x = 0; x < kN; ++x)
        if (truth[y * kN + x] != 0) {
          double ph = -2 * kPi * (u * grid.l(x) + v * grid.m(y));
          V += truth[y * kN + x] * std::complex<double>(std::cos(ph), std::sin(ph));
        }
    vs.u.push_back(u);
    vs.v.push_back(v);
    vs.vis.push_back(V + std::complex<double>(noise(rng), noise(rng)));
    vs.weight.push_back(1e4);
  }
  write_uvtable(dir / "obs.txt", vs);
  // The writer refuses non-finite values, so the bad row is appended as text.
  if (nan_row) std::ofstream(dir / "obs.txt", std::ios::app) << "1000 2000 nan 0 10000\n";
  FitsImage f;
  f.pixels = truth;
  f.grid = grid;
  f.bunit = "Jy/pixel";
  write_fits_image(dir / "truth.fits", f);
}

std::string base_cmd(const std::filesystem::path& dir, const std::string& out) {
  return penumbra_bin() + " --threads 1 --seed 5 --out " + (dir / out).string() + " sample " +
         (dir / "obs.txt").string() + " --prior gaussian:0,0.1 --size 16 --scale 0.05asec --nsamples 4 --batch 2" +
         " --steps 60 --sampler pc";
}

std::vector<float> read_samples(const std::filesystem::path& f) {
  Hdf5Store s(f, Hdf5Store::Mode::kRead);
  EXPECT_EQ(s.shape("/samples")[0], 4u);
  return s.read_float("/samples").data;
}

}  // namespace

TEST(SampleCommand, WritesSamplesSummariesAndReportsTruthMetrics) {
  auto dir = scratch_dir("sample_outputs");
  make_inputs(dir);
  std::string out;
  ASSERT_EQ(run_command(base_cmd(dir, "run") + " --truth " + (dir / "truth.fits").string(), &out), 0) << out;
  auto run = dir / "run";
  for (auto f : {"samples.h5", "mean.fits", "std.fits", "q16.fits", "q50.fits", "q84.fits", "dirty.fits",
                 "residual.fits", "panel.png", "summary.json", "run.json", "chi2_uv.csv", "chi2_uv.png"})
    EXPECT_TRUE(std::filesystem::exists(run / f)) << f;
  EXPECT_NE(out.find("posterior predictive: "), std::string::npos) << out;
  EXPECT_NE(out.find("(on the emission: "), std::string::npos) << out;
  auto s = nlohmann::json::parse(read_text(run / "summary.json"));
  EXPECT_EQ(s["likelihood"], "convolved-gridded");
  EXPECT_EQ(s["nsamples"], 4);
  EXPECT_EQ(s["reduced_chi2"].size(), 4u);
  EXPECT_GT(s["reduced_chi2_mean"].get<double>(), 0.0);
  for (auto k : {"rmse_vs_truth", "coverage_68", "coverage_95", "coverage_emission"}) ASSERT_TRUE(s.contains(k)) << k;
  EXPECT_GT(s["coverage_emission"]["pixels"].get<int>(), 0);
  EXPECT_GE(s["coverage_95"].get<double>(), s["coverage_68"].get<double>());
  // The posterior mean recovers the brighter source: its pixel dominates the mean image.
  auto mean = read_fits_image(run / "mean.fits");
  EXPECT_EQ(mean.bunit, "Jy/pixel");
  auto it = std::max_element(mean.pixels.begin(), mean.pixels.end());
  EXPECT_EQ(it - mean.pixels.begin(), 8 * kN + 8);
  EXPECT_LT(mean.grid.cdelt1_deg(), 0);
}

// The last pc step against the exact NUFFT likelihood (docs/sampling.md): recorded in
// the summary, and the brighter source still dominates the mean.
TEST(SampleCommand, ExactFinalStepIsRecordedAndRecoversTheSource) {
  auto dir = scratch_dir("sample_exact_final");
  make_inputs(dir);
  std::string out;
  ASSERT_EQ(run_command(base_cmd(dir, "run") + " --final-step exact --final-probes 2 --sigma-min 0.05", &out), 0)
      << out;
  auto s = nlohmann::json::parse(read_text(dir / "run" / "summary.json"));
  EXPECT_EQ(s["final_step"], "exact");
  EXPECT_NE(s["sampler"].get<std::string>().find("final=exact(nufft-exact, probes=2)"), std::string::npos)
      << s["sampler"];
  auto mean = read_fits_image(dir / "run" / "mean.fits");
  auto it = std::max_element(mean.pixels.begin(), mean.pixels.end());
  EXPECT_EQ(it - mean.pixels.begin(), 8 * kN + 8);
}

// Split Gibbs (samplers/split_gibbs.hpp) from the CLI: exact likelihood, ρ annealed to
// --sigma-min, --prior-steps denoising levels per iteration; recorded in the summary.
TEST(SampleCommand, SplitGibbsUsesTheExactLikelihoodAndRecoversTheSource) {
  auto dir = scratch_dir("sample_split_gibbs");
  make_inputs(dir);
  std::string cmd = base_cmd(dir, "run") + " --prior-steps 5 --sigma-min 0.05";
  cmd.replace(cmd.find("--sampler pc"), 12, "--sampler split-gibbs");
  std::string out;
  ASSERT_EQ(run_command(cmd, &out), 0) << out;
  auto s = nlohmann::json::parse(read_text(dir / "run" / "summary.json"));
  EXPECT_EQ(s["likelihood"], "nufft-exact");
  const auto sampler = s["sampler"].get<std::string>();
  EXPECT_NE(sampler.find("split-gibbs iterations=12 "), std::string::npos) << sampler;  // 60 steps / 5
  EXPECT_NE(sampler.find("prior_steps=5"), std::string::npos) << sampler;
  EXPECT_GT(s["solver_iterations_per_batch"].get<double>(), 12.0);  // at least one CG iteration per likelihood step
  auto mean = read_fits_image(dir / "run" / "mean.fits");
  auto it = std::max_element(mean.pixels.begin(), mean.pixels.end());
  EXPECT_EQ(it - mean.pixels.begin(), 8 * kN + 8);
  // Its settings are checked before any work.
  std::string bad = cmd;
  bad.replace(bad.find("--prior-steps 5"), 15, "--prior-steps 0");
  EXPECT_EQ(run_command(bad, &out), 64) << out;
  EXPECT_NE(out.find("prior"), std::string::npos) << out;
  EXPECT_EQ(run_command(cmd + " --likelihood-weight 0.5", &out), 64) << out;
  EXPECT_NE(out.find("untempered"), std::string::npos) << out;
  EXPECT_EQ(run_command(cmd + " --anneal-fraction 1.5", &out), 64) << out;
  EXPECT_NE(out.find("--anneal-fraction must be in [0, 1]"), std::string::npos) << out;
  EXPECT_EQ(run_command(cmd + " --cg-tolerance 0", &out), 64) << out;
  EXPECT_NE(out.find("--cg-tolerance must be > 0"), std::string::npos) << out;

  // The tuning options reach the sampler (its description) and the run's fingerprint:
  // a run with another CG cap does not --resume this one.
  auto tuned = dir / "tuned";
  std::string tcmd = cmd;
  tcmd.replace(tcmd.find((dir / "run").string()), (dir / "run").string().size(), tuned.string());
  ASSERT_EQ(run_command(tcmd + " --anneal-fraction 0.5 --cg-max-iterations 7 --cg-tolerance 0.05", &out), 0) << out;
  const auto ts = nlohmann::json::parse(read_text(tuned / "summary.json"))["sampler"].get<std::string>();
  EXPECT_NE(ts.find("anneal=0.5 "), std::string::npos) << ts;
  EXPECT_NE(ts.find("cg<=7 tol=0.05"), std::string::npos) << ts;
  EXPECT_EQ(run_command(tcmd + " --anneal-fraction 0.5 --cg-max-iterations 8 --cg-tolerance 0.05 --resume", &out), 64)
      << out;
}

TEST(SampleCommand, ResumeNeitherLosesNorDuplicatesSamples) {
  auto dir = scratch_dir("sample_resume");
  make_inputs(dir);
  std::string out;
  ASSERT_EQ(run_command(base_cmd(dir, "full"), &out), 0) << out;
  ASSERT_EQ(run_command(base_cmd(dir, "part") + " --stop-after 1", &out), 0) << out;
  EXPECT_FALSE(std::filesystem::exists(dir / "part" / "samples.h5"));
  EXPECT_TRUE(std::filesystem::exists(dir / "part" / "batches" / "batch_00000.h5"));
  ASSERT_EQ(run_command(base_cmd(dir, "part") + " --resume", &out), 0) << out;
  auto s = nlohmann::json::parse(read_text(dir / "part" / "summary.json"));
  EXPECT_EQ(s["resumed_after_batches"], 1);
  EXPECT_EQ(read_samples(dir / "full" / "samples.h5"), read_samples(dir / "part" / "samples.h5"));
  // Resuming with other options is refused.
  EXPECT_EQ(run_command(base_cmd(dir, "part") + " --snr 0.2 --resume", &out), 64) << out;
  EXPECT_NE(out.find("--resume"), std::string::npos) << out;
}

// Every bad input named in the issue: exit code and ONE line on stderr naming the problem.
TEST(SampleCommand, BadInputGivesOneClearLine) {
  auto dir = scratch_dir("sample_bad");
  make_inputs(dir);
  std::string out;
  auto expect_one_line = [&](const std::string& cmd, std::vector<int> codes, const std::string& needle) {
    int rc = run_command(cmd, &out);
    EXPECT_NE(std::find(codes.begin(), codes.end(), rc), codes.end()) << "exit " << rc << ": " << out;
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
    EXPECT_NE(out.find(needle), std::string::npos) << out;
  };
  // Cell too coarse for the longest baseline.
  std::string coarse = base_cmd(dir, "coarse");
  coarse.replace(coarse.find("0.05asec"), 8, "0.20asec");
  expect_one_line(coarse, {64}, "cell");
  // A file that is not a prior checkpoint (the library test
  // CheckpointTest.RoundTripAndEveryKindOfBadFile covers a valid container with another header).
  std::ofstream(dir / "not_a_prior.pt") << "hello\n";
  std::string bad = base_cmd(dir, "badprior");
  bad.replace(bad.find("gaussian:0,0.1"), 14, (dir / "not_a_prior.pt").string());
  expect_one_line(bad, {64, 65}, "not_a_prior.pt");
  // A prior trained on another image size than --size: the shipped 64×64 prior with --size 16.
  std::string wrong_size = base_cmd(dir, "priorsize");
  wrong_size.replace(wrong_size.find(" --prior gaussian:0,0.1"), 23, "");
  expect_one_line(wrong_size, {64}, "64x64 images but the image size is 16");
  // A truth at a finer cell than --scale is resampled onto the grid (flux-conserving).
  std::string coarser_grid = base_cmd(dir, "resampled") + " --truth " + (dir / "truth.fits").string();
  coarser_grid.replace(coarser_grid.find("0.05asec"), 8, "0.06asec --uv-max 1000klambda");
  EXPECT_EQ(run_command(coarser_grid, &out), 0) << out;
  EXPECT_NE(out.find("resampled (flux-conserving) onto 16x16"), std::string::npos) << out;
  EXPECT_NE(out.find("coverage 68%"), std::string::npos) << out;
  // Non-finite data.
  auto nan_dir = scratch_dir("sample_nan");
  make_inputs(nan_dir, true);
  expect_one_line(base_cmd(nan_dir, "nan"), {65}, "obs.txt");
  // A flux scale for an analytic prior (already in Jy/pixel).
  expect_one_line(base_cmd(dir, "fluxscale") + " --flux-scale 0.1", {64}, "--flux-scale");
  // The exact final step samples the untempered posterior only.
  expect_one_line(base_cmd(dir, "tempered") + " --final-step exact --likelihood-weight 0.5", {64}, "untempered");
  expect_one_line(base_cmd(dir, "probes") + " --final-step spread --final-probes 0", {64}, "--final-probes");
  // Every argument is checked before any work or log line; the message names the flag.
  expect_one_line(base_cmd(dir, "cold") + " --temperature -1", {64}, "--temperature must be > 0, got -1");
  expect_one_line(base_cmd(dir, "zeroflux") + " --flux-scale 0", {64}, "--flux-scale must be > 0, got 0");
  // A truth image on coarser pixels than --scale.
  std::string cell = base_cmd(dir, "cell") + " --truth " + (dir / "truth.fits").string();
  cell.replace(cell.find("0.05asec"), 8, "0.04asec");
  expect_one_line(cell, {64}, "coarser than the images");
  std::string gibbs = base_cmd(dir, "sampler");
  gibbs.replace(gibbs.find("--sampler pc"), 12, "--sampler gibbs");
  expect_one_line(gibbs, {64}, "--sampler must be pc, ald, em, mala, hmc or");
}

// Renamed flags keep working for one release, with one deprecation line each.
TEST(SampleCommand, DeprecatedFlagsStillWork) {
  auto dir = scratch_dir("sample_deprecated");
  make_inputs(dir);
  std::string cmd = base_cmd(dir, "old");
  cmd.replace(cmd.find(" sample "), 8, " sample --uvtable ");
  std::string out;
  ASSERT_EQ(run_command(cmd + " --epsilon 0", &out), 0) << out;
  EXPECT_NE(out.find("--uvtable is deprecated and will be removed; use the positional INPUT"), std::string::npos)
      << out;
  EXPECT_NE(out.find("--epsilon is deprecated and will be removed; use --step-size"), std::string::npos) << out;
  EXPECT_TRUE(std::filesystem::exists(dir / "old" / "samples.h5"));
}
