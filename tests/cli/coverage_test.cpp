// `penumbra coverage` end to end on 8×8 images with the analytic Gaussian
// prior and truths drawn from it: outputs, a calibrated curve, --resume, and
// bad options (exit 64).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "src/core/run_folder.hpp"
#include "tests/support/paths.hpp"

using namespace penumbra::test;

namespace {
const char* kTiny =
    " --sky gaussian-prior --prior gaussian:0,1e-3 --size 8 --scale 80mas --integration 3600s --noise-rms 0.05"
    " --sampler mala --likelihood exact --steps 200 --nsamples 32 --bootstrap 50";
int coverage(const std::string& args, const std::filesystem::path& out, std::string* log = nullptr) {
  return run_command(penumbra_bin() + " --threads 2 --seed 3 --out " + out.string() + " coverage " + args, log);
}
}  // namespace

TEST(CoverageCommand, GaussianPriorStudyIsCalibratedAndResumes) {
  auto dir = scratch_dir("coverage_cli");
  std::string log;
  ASSERT_EQ(coverage(std::string("--n 24") + kTiny, dir / "run", &log), 0) << log;
  for (auto f : {"coverage.png", "coverage.csv", "pixel_coverage.csv", "coverage.json", "run.json"})
    EXPECT_TRUE(std::filesystem::exists(dir / "run" / f)) << f;
  auto j = nlohmann::json::parse(penumbra::read_text(dir / "run" / "coverage.json"));
  EXPECT_EQ(j["n_simulations"], 24);
  EXPECT_EQ(j["simulated_now"], 24);
  double m = j["max_abs_ecp_minus_alpha"].get<double>();
  EXPECT_LT(m, 0.3);  // 24 simulations: KS 95 % ≈ 0.27
  EXPECT_NEAR(j["coverage_68"].get<double>(), 0.68, 0.06);
  EXPECT_GT(j["pixel_coverage_test"]["p_value_95"].get<double>(), 1e-3);  // calibrated: not rejected
  std::ifstream csv(dir / "run" / "coverage.csv");
  std::string header;
  std::getline(csv, header);
  EXPECT_EQ(header, "alpha,ecp,ecp_low,ecp_high,ecp_global,ecp_global_low,ecp_global_high");
  EXPECT_LT(j["max_abs_ecp_minus_alpha_global"].get<double>(), 0.3);  // calibrated under either normalisation

  // scripts/coverage_breakdown.py reads the run folder (Gaussian truths: no background).
  std::string bd;
  if (run_command("/usr/bin/python3 -c 'import h5py, numpy'", &bd) == 0) {
    ASSERT_EQ(run_command(std::string("/usr/bin/python3 ") + PENUMBRA_SOURCE_DIR + "/scripts/coverage_breakdown.py " +
                              (dir / "run").string(),
                          &bd),
              0)
        << bd;
    EXPECT_NE(bd.find("24 simulations, K = 32"), std::string::npos) << bd;
    EXPECT_NE(bd.find("source: median |truth − mean|²"), std::string::npos) << bd;
    EXPECT_NE(bd.find("tarp_f_global rank histogram 0..32"), std::string::npos) << bd;
    EXPECT_NE(run_command(std::string("/usr/bin/python3 ") + PENUMBRA_SOURCE_DIR + "/scripts/coverage_breakdown.py " +
                              dir.string(),
                          &bd),
              0);  // not a coverage run folder
  }

  std::filesystem::remove(dir / "run" / "simulations" / "sim_00005.h5");
  log.clear();
  ASSERT_EQ(coverage(std::string("--n 24 --resume") + kTiny, dir / "run", &log), 0) << log;
  auto j2 = nlohmann::json::parse(penumbra::read_text(dir / "run" / "coverage.json"));
  EXPECT_EQ(j2["simulated_now"], 1);
  EXPECT_EQ(j2["resumed"], 23);
  EXPECT_DOUBLE_EQ(j2["max_abs_ecp_minus_alpha"].get<double>(), m);
  // A larger --n extends the finished study: the 24 are reused, 2 are new.
  log.clear();
  ASSERT_EQ(coverage(std::string("--n 26 --resume") + kTiny, dir / "run", &log), 0) << log;
  auto j3 = nlohmann::json::parse(penumbra::read_text(dir / "run" / "coverage.json"));
  EXPECT_EQ(j3["n_simulations"], 26);
  EXPECT_EQ(j3["simulated_now"], 2);
  EXPECT_EQ(j3["resumed"], 24);
  // --resume with other options is refused.
  EXPECT_EQ(coverage(std::string("--n 24 --resume --steps 200") + kTiny, dir / "run"), 64);
}

// pc with the convolved likelihood stopped at a --sigma-min as large as the
// posterior's width: the Tweedie mean leaves the samples too narrow (68 % coverage
// 0.54 measured), the exact final draw against the NUFFT likelihood puts the spread
// back (nominal 0.68: the rank estimator of diagnostics/interval_coverage.hpp). The json records how it was run.
TEST(CoverageCommand, ExactFinalStepRestoresCoverageAtLargeSigmaMin) {
  auto dir = scratch_dir("coverage_cli_exact_final");
  const std::string args =
      " --n 16 --sky gaussian-prior --prior gaussian:0,1e-3 --size 8 --scale 80mas --integration 3600s"
      " --noise-rms 0.05 --sampler pc --likelihood convolved --pad 2 --steps 200 --nsamples 32 --bootstrap 50"
      " --final-probes 4 --sigma-min 0.5 --final-step ";
  const double nominal = 0.68;
  std::string log;
  ASSERT_EQ(coverage(args + "exact", dir / "exact", &log), 0) << log;
  ASSERT_EQ(coverage(args + "mean", dir / "mean", &log), 0) << log;
  auto j = nlohmann::json::parse(penumbra::read_text(dir / "exact" / "coverage.json"));
  auto jm = nlohmann::json::parse(penumbra::read_text(dir / "mean" / "coverage.json"));
  EXPECT_EQ(j["final_step"], "exact");
  EXPECT_EQ(j["final_probes"], 4);
  EXPECT_DOUBLE_EQ(j["sigma_min"].get<double>(), 0.5);
  EXPECT_EQ(j["pad"], 2);
  double c_exact = j["coverage_68"].get<double>(), c_mean = jm["coverage_68"].get<double>();
  std::printf("sigma_min 0.5: coverage_68 exact %.3f, mean %.3f (nominal %.3f); global TARP %.3f vs %.3f\n", c_exact,
              c_mean, nominal, j["max_abs_ecp_minus_alpha_global"].get<double>(),
              jm["max_abs_ecp_minus_alpha_global"].get<double>());
  EXPECT_NEAR(c_exact, nominal, 0.06);
  EXPECT_LT(c_mean, nominal - 0.08);
  EXPECT_LT(j["max_abs_ecp_minus_alpha_global"].get<double>(), 0.2);
}

TEST(CoverageCommand, BadOptionsExit64) {
  auto dir = scratch_dir("coverage_cli_bad");
  std::string log;
  EXPECT_EQ(coverage("--n 0 --prior gaussian:0,1 --size 8 --scale 80mas", dir / "a", &log), 64) << log;
  EXPECT_EQ(coverage("--n 2 --prior gaussian:0,-1 --size 8 --scale 80mas", dir / "b"), 64);
  EXPECT_EQ(coverage("--n 2 --sky gaussian-prior --prior laplace:0,1 --size 8 --scale 80mas", dir / "c"), 64);
  log.clear();
  EXPECT_EQ(coverage("--n 2 --prior gaussian:0,1 --sampler gibbs --size 8 --scale 80mas", dir / "d", &log), 64);
  EXPECT_NE(log.find("--sampler"), std::string::npos) << log;
  EXPECT_EQ(coverage("--n 2 --size 8 --scale 80mas", dir / "e"), 64);  // no --prior
  EXPECT_EQ(coverage("--n 2 --prior " + (dir / "none.ckpt").string() + " --size 8 --scale 80mas", dir / "f"), 66);
  log.clear();
  EXPECT_EQ(coverage("--n 2 --sky prior-disk --flux-scale 0 --prior gaussian:0,1 --size 8 --scale 80mas", dir / "g", &log),
            64);
  EXPECT_NE(log.find("--flux-scale must be > 0"), std::string::npos) << log;
  const std::string g = " --prior gaussian:0,1 --size 8 --scale 80mas";
  log.clear();
  EXPECT_EQ(coverage("--n 2 --final-step last" + g, dir / "h", &log), 64);
  EXPECT_NE(log.find("--final-step must be auto, mean, spread or exact"), std::string::npos) << log;
  log.clear();
  EXPECT_EQ(coverage("--n 2 --sampler mala --final-step exact" + g, dir / "i", &log), 64);
  EXPECT_NE(log.find("applies to the pc sampler"), std::string::npos) << log;
  EXPECT_EQ(coverage("--n 2 --final-step spread --final-probes 0" + g, dir / "j"), 64);
  EXPECT_EQ(coverage("--n 2 --pad 0" + g, dir / "k"), 64);
}
