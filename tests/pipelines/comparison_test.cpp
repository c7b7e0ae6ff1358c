#include "src/pipelines/comparison.hpp"
#include "src/pipelines/planned_observation.hpp"

#include <gtest/gtest.h>

#include "src/core/errors.hpp"
#include "src/core/units.hpp"
#include "src/pipelines/coverage_study.hpp"

using namespace penumbra;

namespace {
SimulatedObservation tiny_disk() {
  CoverageStudyOptions o;
  o.n = 1;
  o.size = 32;
  o.cell = 8e-3 * kArcsec;  // every alma-long baseline fits; the beam spans ~4 pixels
  o.sky = "disk";
  o.prior = "gaussian:0,1";
  o.integration = 1200;
  o.noise_rms = 0.02;
  o.seed = 5;
  auto uv = study_uv_coverage(o);
  return simulate_study_observation(o, uv, 0);
}
}  // namespace

TEST(Comparison, BaselinesOnATinyDisk) {
  auto s = tiny_disk();
  BaselineOptions b;
  b.clean.niter = 300;
  b.map.prior = "tv";
  b.map.lambda = 1.0;
  b.map.positive = true;
  auto rows = compare_baselines(PlannedObservation(s.vis, s.grid, b.map.nufft_epsilon), s.truth, b);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].method, "dirty");
  EXPECT_EQ(rows[1].method, "clean");
  EXPECT_EQ(rows[2].method, "map");
  for (auto& r : rows) {
    EXPECT_EQ(r.image.size(), s.grid.size());
    EXPECT_TRUE(std::isfinite(r.rmse) && r.rmse > 0);
    EXPECT_LE(r.ssim, 1.0);
    EXPECT_GT(r.chi2, 0.0);
  }
  // Deconvolution fits the data better than the dirty image does and is closer to the truth.
  EXPECT_LT(rows[2].chi2, rows[0].chi2);
  EXPECT_LT(rows[1].chi2, rows[0].chi2);
  EXPECT_LT(rows[2].rmse, rows[0].rmse);
  // The truth itself: RMSE 0, SSIM 1, χ² ≈ 1 (noise only).
  auto t = score_image("truth", s.truth, s.truth, PlannedObservation(s.vis, s.grid, 1e-8));
  EXPECT_DOUBLE_EQ(t.rmse, 0.0);
  EXPECT_NEAR(t.ssim, 1.0, 1e-12);
  EXPECT_NEAR(t.chi2, 1.0, 0.1);

  double peak = *std::max_element(s.truth.begin(), s.truth.end());
  auto csv = comparison_csv(rows, peak);
  EXPECT_EQ(csv.rfind("method,rmse_jy_per_pixel", 0), 0u);
  EXPECT_NE(comparison_markdown(rows, peak).find("| map |"), std::string::npos);
}

TEST(Comparison, WrongSizesThrow) {
  auto s = tiny_disk();
  std::vector<double> small(10, 0.0);
  EXPECT_THROW(score_image("x", small, s.truth, PlannedObservation(s.vis, s.grid, 1e-8)), UsageError);
}
