#include "src/pipelines/coverage_study.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "src/core/errors.hpp"
#include "src/core/run_folder.hpp"
#include "src/core/units.hpp"
#include "tests/support/paths.hpp"

using namespace penumbra;

namespace {
// 8×8 images, prior N(0, (1 mJy)²) per pixel, 50 mJy noise: the likelihood and
// the prior carry comparable information, so MALA mixes in a few hundred steps.
CoverageStudyOptions tiny_gaussian_study(int n) {
  CoverageStudyOptions o;
  o.n = n;
  o.size = 8;
  o.cell = 80e-3 * kArcsec;
  o.sky = "gaussian-prior";
  o.prior = "gaussian:0,1e-3";
  o.posterior.sampler.sampler = "mala";
  o.posterior.sampler.steps = 300;
  o.posterior.likelihood.likelihood = "exact";
  o.nsamples = 32;
  o.batch = 32;
  o.integration = 3600;  // 2 dumps, ~470 visibilities
  o.noise_rms = 0.05;
  o.seed = 11;
  o.n_bootstrap = 50;
  return o;
}
}  // namespace

TEST(CoverageStudy, SimulationsAreDeterministicAndDistinct) {
  CoverageStudyOptions o = tiny_gaussian_study(2);
  o.sky = "disk";
  o.size = 16;
  o.cell = 40e-3 * kArcsec;
  auto uv = study_uv_coverage(o);
  ASSERT_GT(uv.u.size(), 10u);
  EXPECT_GT(uv.dropped, 0u);  // alma-long has baselines a 40 mas cell cannot represent
  auto a = simulate_study_observation(o, uv, 0), b = simulate_study_observation(o, uv, 0),
       c = simulate_study_observation(o, uv, 1);
  EXPECT_EQ(a.truth, b.truth);
  EXPECT_EQ(a.vis.vis, b.vis.vis);
  EXPECT_NE(a.truth, c.truth);
  for (double u : uv.u) EXPECT_LT(std::abs(u) * o.cell, 0.49 + 1e-12);
}

// prior-sample: truths are draws of the sampling prior itself (here the analytic
// N(0, 1) through the reverse SDE), times the flux scale; seeded per simulation.
TEST(CoverageStudy, PriorSampleTruthsAreDrawsOfThePriorTimesTheScale) {
  CoverageStudyOptions o;
  o.size = 16;
  o.cell = 40e-3 * kArcsec;
  o.sky = "prior-sample";
  o.prior = "gaussian:0,1";
  o.flux_scale = 2e-3;
  o.seed = 4;
  auto uv = study_uv_coverage(o);
  auto prior = load_pipeline_prior(o.prior, o.size);
  EXPECT_THROW(simulate_study_observation(o, uv, 0), UsageError);  // no prior to draw from
  std::vector<double> all;
  for (int j = 0; j < 4; ++j) {
    auto s = simulate_study_observation(o, uv, j, 1, &prior);
    EXPECT_NE(s.sky.find("prior-sample of gaussian"), std::string::npos) << s.sky;
    all.insert(all.end(), s.truth.begin(), s.truth.end());
  }
  double m = 0, v = 0;
  for (double x : all) m += x;
  m /= all.size();
  for (double x : all) v += (x - m) * (x - m);
  double sd = std::sqrt(v / (all.size() - 1));
  EXPECT_NEAR(m, 0.0, 4 * o.flux_scale / std::sqrt(static_cast<double>(all.size())));
  EXPECT_NEAR(sd, o.flux_scale, 0.1 * o.flux_scale);  // 1024 pixels: sd of the sd ≈ 2 %
  EXPECT_EQ(simulate_study_observation(o, uv, 1, 1, &prior).truth, simulate_study_observation(o, uv, 1, 1, &prior).truth);
  EXPECT_NE(simulate_study_observation(o, uv, 0, 1, &prior).truth, simulate_study_observation(o, uv, 1, 1, &prior).truth);
  auto fp = o.fingerprint();
  o.flux_scale = 3e-3;
  EXPECT_NE(o.fingerprint(), fp);
  o.flux_scale = 0;
  EXPECT_THROW(o.validate(), UsageError);
}

TEST(CoverageStudy, PriorDisksAreTrainingSetDrawsTimesTheKnownScale) {
  CoverageStudyOptions o;
  o.size = 32;
  o.cell = 10e-3 * kArcsec;
  o.sky = "prior-disk";
  o.flux_scale = 2e-3;
  auto uv = study_uv_coverage(o);
  for (int j = 0; j < 4; ++j) {
    auto s = simulate_study_observation(o, uv, j);
    // The training set's peak range U(0.5, 1) in prior units, times the scale.
    double peak = *std::max_element(s.truth.begin(), s.truth.end());
    EXPECT_GE(peak, 0.5 * o.flux_scale * (1 - 1e-9)) << s.sky;
    EXPECT_LE(peak, 1.0 * o.flux_scale * (1 + 1e-9)) << s.sky;
    EXPECT_NE(s.sky.find("prior-disk"), std::string::npos);
    EXPECT_NE(s.sky.find("× 0.002 Jy/pixel"), std::string::npos) << s.sky;
  }
  EXPECT_NE(simulate_study_observation(o, uv, 0).truth, simulate_study_observation(o, uv, 1).truth);
  // The fingerprint (what --resume compares) holds the scale for this sky only.
  auto fp = o.fingerprint();
  o.flux_scale = 3e-3;
  EXPECT_NE(o.fingerprint(), fp);
  o.sky = "disk";
  EXPECT_EQ(o.fingerprint().find("flux_scale"), std::string::npos);
  o.sky = "prior-disk";
  o.flux_scale = 0;
  EXPECT_THROW(o.validate(), UsageError);
}

TEST(CoverageStudy, GaussianPriorDrawsAreCalibratedAndResumeIsExact) {
  auto dir = test::scratch_dir("coverage_study_gauss");
  CoverageStudyOptions o = tiny_gaussian_study(30);
  auto r = run_coverage_study(o, dir, false);
  EXPECT_EQ(r.simulated, 30);
  // 30 simulations: the ECDF of 30 uniforms stays within KS 95 % ≈ 1.36/√30 = 0.25 of
  // the diagonal. Pooled pixel coverage (the rank estimator, nominal for any number
  // of samples) is tighter.
  EXPECT_LT(r.tarp.max_abs_ecp_minus_alpha, 0.25);
  EXPECT_NEAR(r.coverage_68, 0.68, 0.04);
  EXPECT_NEAR(r.coverage_95, 0.95, 0.03);

  // Interrupted study: remove two finished simulations and resume.
  std::filesystem::remove(dir / "simulations" / "sim_00003.h5");
  std::filesystem::remove(dir / "simulations" / "sim_00017.h5");
  auto r2 = run_coverage_study(o, dir, true);
  EXPECT_EQ(r2.simulated, 2);
  EXPECT_EQ(r2.resumed, 28);
  EXPECT_EQ(r2.tarp.ecp, r.tarp.ecp);
  EXPECT_DOUBLE_EQ(r2.coverage_68, r.coverage_68);

  // Other options with --resume: refused.
  o.nsamples = 16;
  EXPECT_THROW(run_coverage_study(o, dir, true), UsageError);
}

// Extending a finished study with --resume and a larger N gives exactly the
// study that N simulations from scratch give: old files untouched, new ones
// with their own seeds.
TEST(CoverageStudy, ResumeWithLargerNExtendsTheStudyExactly) {
  auto extended = test::scratch_dir("coverage_study_extend"), fresh = test::scratch_dir("coverage_study_fresh");
  CoverageStudyOptions o = tiny_gaussian_study(3);
  o.posterior.sampler.steps = 60;
  o.nsamples = o.batch = 8;
  o.n_bootstrap = 20;
  o.workers = 1;  // the same threads per simulation in every run, whatever N
  run_coverage_study(o, extended, false);
  const auto sim1 = read_text(extended / "simulations" / "sim_00001.h5");
  const auto mtime = std::filesystem::last_write_time(extended / "simulations" / "sim_00001.h5");
  o.n = 5;
  auto grown = run_coverage_study(o, extended, true);
  EXPECT_EQ(grown.resumed, 3);
  EXPECT_EQ(grown.simulated, 2);
  EXPECT_EQ(std::filesystem::last_write_time(extended / "simulations" / "sim_00001.h5"), mtime);
  EXPECT_EQ(read_text(extended / "simulations" / "sim_00001.h5"), sim1);
  auto scratch = run_coverage_study(o, fresh, false);
  EXPECT_EQ(scratch.simulated, 5);
  EXPECT_EQ(grown.tarp.ecp, scratch.tarp.ecp);
  EXPECT_EQ(grown.rmse, scratch.rmse);
  EXPECT_DOUBLE_EQ(grown.coverage_68, scratch.coverage_68);
  // A smaller N measures the first simulations only.
  o.n = 2;
  auto shrunk = run_coverage_study(o, extended, true);
  EXPECT_EQ(shrunk.resumed, 2);
  EXPECT_EQ(shrunk.simulated, 0);
  EXPECT_EQ(shrunk.rmse, std::vector<double>(scratch.rmse.begin(), scratch.rmse.begin() + 2));
}

TEST(CoverageStudy, MisspecifiedPriorIsDetected) {
  auto dir = test::scratch_dir("coverage_study_wide");
  CoverageStudyOptions o = tiny_gaussian_study(20);
  o.posterior.sampler.steps = 200;
  o.truth_scale = 3.0;  // truths 3× wider than the prior: over-confident posteriors
  auto r = run_coverage_study(o, dir, false);
  EXPECT_LT(r.coverage_68, 0.55);
  EXPECT_LT(r.coverage_test_68.p_value, 1e-3);
  EXPECT_EQ(r.coverage_test_68.per_simulation.size(), 20u);
  EXPECT_GT(r.tarp.max_abs_ecp_minus_alpha, 0.25);
}

TEST(CoverageStudy, BadOptionsThrow) {
  CoverageStudyOptions o = tiny_gaussian_study(2);
  o.sky = "galaxy";
  EXPECT_THROW(o.validate(), UsageError);
  o = tiny_gaussian_study(2);
  o.prior = "laplace:0,1";  // gaussian-prior sky needs a Gaussian prior
  EXPECT_THROW(o.validate(), UsageError);
  o = tiny_gaussian_study(0);
  EXPECT_THROW(o.validate(), UsageError);
  o = tiny_gaussian_study(2);
  o.posterior.sampler.sampler = "gibbs";
  EXPECT_THROW(o.validate(), UsageError);
  o = tiny_gaussian_study(2);
  o.cell = 100 * kArcsec;  // every baseline too long for the cell
  o.sky = "disk";
  EXPECT_THROW(study_uv_coverage(o), UsageError);
}
