// The scaling study's grid mechanics with a stand-in trainer (a known power
// law): outputs, resume, interrupted cells, the fingerprint, and curves with
// too few sizes. The CLI test trains real cells on a tiny vote dataset.
#include "src/pipelines/scaling_study.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "src/core/errors.hpp"
#include "src/core/run_folder.hpp"

using namespace penumbra;
namespace fs = std::filesystem;

namespace {

// L = 3·N^(−0.5)·(1 + 8/w) + 0.4 with a small seed-dependent wobble.
struct PowerLawTrainer {
  int calls = 0;
  std::string fail_on;  // cell name that throws (an interrupted run)
  ScalingCellResult operator()(const ScalingCell& c, const fs::path& dir) {
    ++calls;
    EXPECT_TRUE(fs::exists(dir / "config.toml"));
    if (c.name() == fail_on) throw std::runtime_error("interrupted");
    ScalingCellResult r;
    double wobble = 1 + 0.002 * static_cast<double>(c.seed(0) % 7);
    r.heldout_nll = 3 * std::pow(static_cast<double>(c.data_size), -0.5) * (1 + 8.0 / c.model_size) * wobble + 0.4;
    r.heldout_nll_se = 0.002;
    r.parameters = 100 * c.model_size * c.model_size;
    r.steps = 10;
    r.wall_seconds = 0.5;
    return r;
  }
};

ScalingStudyOptions options() {
  ScalingStudyOptions o;
  o.data = "votes.h5";
  o.data_sizes = {100, 300, 1000, 3000};
  o.model_sizes = {8, 16};
  o.epochs = 1;
  o.bootstrap = 50;
  return o;
}

fs::path fresh_dir(const std::string& name) {
  auto d = fs::temp_directory_path() / ("penumbra_scaling_" + name);
  fs::remove_all(d);
  return d;
}

ScalingStudyResult run(const ScalingStudyOptions& o, const fs::path& dir, bool resume, PowerLawTrainer& t) {
  auto r = run_scaling_study(o, dir, resume, [&](const ScalingCell& c, const fs::path& d) { return t(c, d); });
  write_scaling_report(dir, r);
  return r;
}

}  // namespace

TEST(ScalingStudy, WritesTheGridAndFitsTheDataExponent) {
  auto dir = fresh_dir("grid");
  PowerLawTrainer t;
  auto r = run(options(), dir, false, t);
  EXPECT_EQ(t.calls, 8);
  EXPECT_EQ(r.cells.size(), 8u);
  EXPECT_DOUBLE_EQ(r.cell_seconds, 4.0);
  ASSERT_EQ(r.curves.size(), 6u);  // L(N) at w = 8, 16; L(P) at 4 data sizes
  for (const auto& c : r.curves) {
    if (c.versus_data) {
      ASSERT_TRUE(c.fit) << c.skipped;
      EXPECT_NEAR(c.fit->alpha, 0.5, 0.05);
      EXPECT_NEAR(c.fit->c, 0.4, 0.02);
    } else {
      EXPECT_FALSE(c.fit);
      EXPECT_EQ(c.skipped, "a power law needs 3 or more model sizes, the grid has 2");
    }
  }
  for (auto f : {"study.json", "scaling.csv", "fits.json", "scaling_data.png", "scaling_parameters.png",
                 "cells/n300_w16_s0/config.toml", "cells/n300_w16_s0/result.json"})
    EXPECT_TRUE(fs::exists(dir / f)) << f;
  auto fits = nlohmann::json::parse(read_text(dir / "fits.json"));
  EXPECT_EQ(fits["loss_vs_data"].size(), 2u);
  EXPECT_EQ(fits["loss_vs_data"][0]["model_size"], 8);
  EXPECT_TRUE(fits["loss_vs_parameters"][0].contains("skipped"));
  auto csv = read_text(dir / "scaling.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 9);
}

TEST(ScalingStudy, ResumeSkipsFinishedCellsAndGivesIdenticalFits) {
  auto dir = fresh_dir("resume");
  PowerLawTrainer t;
  run(options(), dir, false, t);
  auto fits = read_text(dir / "fits.json");
  PowerLawTrainer again;
  auto r = run(options(), dir, true, again);
  EXPECT_EQ(again.calls, 0);
  EXPECT_EQ(r.reused, 8);
  EXPECT_EQ(read_text(dir / "fits.json"), fits);
  // Extending the grid trains only the new cells.
  auto o = options();
  o.model_sizes = {8, 16, 32};
  PowerLawTrainer more;
  r = run(o, dir, true, more);
  EXPECT_EQ(more.calls, 4);
  for (const auto& c : r.curves) EXPECT_TRUE(c.fit) << c.skipped;  // now 3 model sizes for L(P)
}

TEST(ScalingStudy, AnInterruptedCellIsDetectedAndTrainedAgain) {
  auto dir = fresh_dir("interrupted");
  PowerLawTrainer t;
  t.fail_on = "n1000_w8_s0";
  EXPECT_THROW(run(options(), dir, false, t), std::runtime_error);
  EXPECT_TRUE(fs::exists(dir / "cells/n1000_w8_s0/config.toml"));
  EXPECT_FALSE(fs::exists(dir / "cells/n1000_w8_s0/result.json"));
  PowerLawTrainer rest;
  auto r = run(options(), dir, true, rest);
  EXPECT_EQ(r.interrupted, 1);
  EXPECT_EQ(r.reused, 4);
  EXPECT_EQ(rest.calls, 4);
}

TEST(ScalingStudy, RefusesAnExistingStudyWithoutResumeAndOtherSettingsWithIt) {
  auto dir = fresh_dir("refuse");
  PowerLawTrainer t;
  run(options(), dir, false, t);
  EXPECT_THROW(run(options(), dir, false, t), UsageError);
  auto o = options();
  o.lr = 0.01;
  try {
    run(o, dir, true, t);
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("other training settings"), std::string::npos);
  }
}

TEST(ScalingStudy, BadOptionsAreOneLine) {
  auto o = options();
  o.steps = 5;  // and epochs = 1
  EXPECT_THROW(o.validate(), UsageError);
  o = options();
  o.data_sizes = {100, 100};
  EXPECT_THROW(o.validate(), UsageError);
  o = options();
  o.model_sizes = {2};
  EXPECT_THROW(o.validate(), UsageError);
}
