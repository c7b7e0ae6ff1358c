// `penumbra validate-sampling` end to end on 16×16 images with an analytic prior:
// every case is a full `sample` run on its own random disk and array, the report
// pools them, --resume reruns only what is missing, and bad options are one line.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "src/core/run_folder.hpp"
#include "tests/support/paths.hpp"

using namespace penumbra::test;

namespace {
const char* kTiny =
    " validate-sampling --n 2 --prior gaussian:0,2e-3 --size 16 --scale 10mas --steps 40 --nsamples 4 --batch 4"
    " --integration 600s --ha-max 30min";
std::string cmd(const std::filesystem::path& out, const std::string& extra = "") {
  return penumbra_bin() + " --threads 1 --seed 4 --out " + out.string() + kTiny + extra;
}
}  // namespace

TEST(ValidateSamplingCommand, PoolsFreshCasesAndResumesOnlyWhatIsMissing) {
  auto dir = scratch_dir("validate_sampling");
  std::string log;
  ASSERT_EQ(run_command(cmd(dir / "run"), &log), 0) << log;
  const auto run = dir / "run";
  for (auto f : {"validation.json", "validation.csv", "study.json", "cases/case_00000/summary.json",
                 "cases/case_00001/samples.h5", "cases/case_00001/case.json"})
    EXPECT_TRUE(std::filesystem::exists(run / f)) << f;
  auto j = nlohmann::json::parse(penumbra::read_text(run / "validation.json"));
  ASSERT_EQ(j["cases"].size(), 2u);
  EXPECT_EQ(j["final_step"], "exact");
  EXPECT_EQ(j["likelihood_weight"], 1.0);
  // Each case is its own disk and array configuration.
  EXPECT_NE(j["cases"][0]["sky"], j["cases"][1]["sky"]);
  EXPECT_NE(j["cases"][0]["array"], j["cases"][1]["array"]);
  for (const auto& c : j["cases"]) {
    EXPECT_GT(c["chi2"].get<double>(), 0.0);
    EXPECT_GE(c["coverage_95"].get<double>(), c["coverage_68"].get<double>());
    EXPECT_GE(c["coverage_95_emission"].get<double>(), c["coverage_68_emission"].get<double>());
  }
  const double mean = (j["cases"][0]["chi2"].get<double>() + j["cases"][1]["chi2"].get<double>()) / 2;
  EXPECT_NEAR(j["chi2"]["mean"].get<double>(), mean, 1e-12);
  EXPECT_NE(log.find("coverage 68%"), std::string::npos) << log;

  // An interrupted study: case 1 lost its summary; --resume reruns it alone, to the same numbers.
  std::filesystem::remove(run / "cases" / "case_00001" / "summary.json");
  ASSERT_EQ(run_command(cmd(run, " --resume"), &log), 0) << log;
  auto r = nlohmann::json::parse(penumbra::read_text(run / "validation.json"));
  EXPECT_EQ(r["resumed"], 1);
  EXPECT_EQ(r["simulated_now"], 1);
  for (auto* x : {&r, &j})
    for (auto& c : (*x)["cases"]) c.erase("seconds");
  EXPECT_EQ(r["cases"], j["cases"]);
  // Other options with --resume: refused.
  EXPECT_EQ(run_command(cmd(run, " --resume --noise-max 20mJy"), &log), 64) << log;
}

TEST(ValidateSamplingCommand, BadOptionsAreOneLine) {
  auto dir = scratch_dir("validate_sampling_bad");
  std::string out;
  auto one_line = [&](const std::string& extra, const std::string& needle) {
    std::string c = cmd(dir / "x", extra);
    if (extra.find("--n ") != std::string::npos) c.replace(c.find(" --n 2"), 6, "");
    EXPECT_EQ(run_command(c, &out), 64) << out;
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
    EXPECT_NE(out.find(needle), std::string::npos) << out;
  };
  one_line(" --noise-min 5mJy --noise-max 1mJy", "--noise-max");
  one_line(" --layout-scale-min 2", "--layout-scale-min");
  one_line(" --n 0", "--n");
  one_line(" --likelihood-weight 0.5 --final-step exact", "untempered");
}
