// `penumbra info` on MeasurementSets and uvtables (synthetic and the real
// files in ../shared/data), text and --json, and its exit codes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "src/io/measurement_set.hpp"
#include "src/io/uvtable.hpp"
#include "tests/io/synthetic_ms.hpp"
#include "tests/support/paths.hpp"

using namespace penumbra;
using namespace penumbra::test;

namespace {

// Runs `penumbra info --json` and parses the JSON object it prints.
nlohmann::json info_json(const std::filesystem::path& file, int* rc_out = nullptr) {
  std::string out;
  int rc = run_command(penumbra_bin() + " info --json " + file.string(), &out);
  if (rc_out) *rc_out = rc;
  EXPECT_EQ(rc, 0) << out;
  auto brace = out.find('{');
  if (brace == std::string::npos) {
    ADD_FAILURE() << "no JSON in: " << out;
    return {};
  }
  return nlohmann::json::parse(out.substr(brace));
}

std::filesystem::path untar_test_ms(const std::filesystem::path& tgz, const std::string& name) {
  auto dir = scratch_dir(name);
  std::string out;
  EXPECT_EQ(run_command("tar xzf " + tgz.string() + " -C " + dir.string(), &out), 0) << out;
  return dir / "mssel_test_small.ms";
}

}  // namespace

TEST(InfoCommand, SyntheticMeasurementSetTextAndJson) {
  auto dir = scratch_dir("info_synth_ms");
  SyntheticMsOptions o;
  o.flag_fraction = 0.25;
  Observation obs = synthetic_observation(o);
  write_measurement_set(dir / "s.ms", obs);
  std::string out;
  ASSERT_EQ(run_command(penumbra_bin() + " info " + (dir / "s.ms").string(), &out), 0) << out;
  EXPECT_NE(out.find("MeasurementSet"), std::string::npos) << out;
  EXPECT_NE(out.find(std::to_string(obs.nrow)), std::string::npos) << out;
  EXPECT_NE(out.find("kλ"), std::string::npos) << out;
  EXPECT_NE(out.find("XX YY"), std::string::npos) << out;

  auto j = info_json(dir / "s.ms");
  EXPECT_EQ(j["format"], "MeasurementSet");
  EXPECT_EQ(j["rows"], obs.nrow);
  EXPECT_EQ(j["channels"], 4);
  EXPECT_EQ(j["correlations"], nlohmann::json({"XX", "YY"}));
  EXPECT_NEAR(j["flagged_fraction"].get<double>(), obs.flagged_fraction(), 1e-12);
  EXPECT_EQ(j["weight"]["min"], 2.0);
  EXPECT_EQ(j["weight"]["max"], 2.25);
  EXPECT_NEAR(j["frequency_range_hz"][0].get<double>(), 230e9, 1);
  EXPECT_NEAR(j["phase_centre"]["ra_rad"].get<double>(), obs.ra, 1e-15);
  // uv range: the extremes over unflagged cross-correlations of |uv|·ν/c.
  double hi = 0;
  for (std::size_t r = 0; r < obs.nrow; ++r)
    hi = std::max(hi, std::hypot(obs.uvw[3 * r], obs.uvw[3 * r + 1]) * obs.freq.back() / kSpeedOfLight);
  EXPECT_LE(j["uv_range_klambda"][1].get<double>(), hi / 1e3 * (1 + 1e-12));
  EXPECT_GT(j["uv_range_klambda"][1].get<double>(), 0.8 * hi / 1e3);
}

TEST(InfoCommand, SyntheticUvtable) {
  auto dir = scratch_dir("info_synth_uvtable");
  VisibilitySet s;
  for (int k = 1; k <= 10; ++k) {
    s.u.push_back(1000.0 * k);
    s.v.push_back(0);
    s.vis.emplace_back(1, 0);
    s.weight.push_back(k);
  }
  write_uvtable(dir / "t.txt.gz", s);
  auto j = info_json(dir / "t.txt.gz");
  EXPECT_EQ(j["format"], "uvtable");
  EXPECT_EQ(j["rows"], 10);
  EXPECT_DOUBLE_EQ(j["uv_range_klambda"][0].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(j["uv_range_klambda"][1].get<double>(), 10.0);
  EXPECT_EQ(j["weight"]["min"], 1.0);
  EXPECT_EQ(j["weight"]["median"], 6.0);
  EXPECT_EQ(j["weight"]["max"], 10.0);
}

TEST(InfoCommand, ExitCodesForBadInput) {
  auto dir = scratch_dir("info_bad");
  std::string out;
  EXPECT_EQ(run_command(penumbra_bin() + " info " + (dir / "missing.ms").string(), &out), 66) << out;
  EXPECT_NE(out.find("missing.ms"), std::string::npos) << out;
  std::ofstream(dir / "x.xyz") << "?";
  EXPECT_EQ(run_command(penumbra_bin() + " info " + (dir / "x.xyz").string(), &out), 65) << out;
  EXPECT_NE(out.find("unsupported file type"), std::string::npos) << out;
  std::ofstream(dir / "bad.txt") << "1 2 3 4 5\n1 2 3 oops 5\n";
  EXPECT_EQ(run_command(penumbra_bin() + " info " + (dir / "bad.txt").string(), &out), 65) << out;
  EXPECT_NE(out.find("bad.txt:2:"), std::string::npos) << out;
  EXPECT_EQ(run_command(penumbra_bin() + " info", &out), 64) << out;
}

TEST(InfoCommandReal, CasacoreTestMs) {
  PENUMBRA_REQUIRE_SHARED(tgz, "ms/mssel_test_small.ms.tgz");
  auto ms = untar_test_ms(tgz, "info_real_ms");
  std::string out;
  ASSERT_EQ(run_command(penumbra_bin() + " info " + ms.string(), &out), 0) << out;
  EXPECT_NE(out.find("1058"), std::string::npos) << out;
  EXPECT_NE(out.find("XX XY YX YY"), std::string::npos) << out;
  auto j = info_json(ms);
  EXPECT_EQ(j["rows"], 1058);
  EXPECT_EQ(j["channels"], 64);
  EXPECT_NEAR(j["frequency_range_hz"][0].get<double>(), 84.32e9, 0.01e9);
  EXPECT_NEAR(j["frequency_range_hz"][1].get<double>(), 86.29e9, 0.01e9);
  EXPECT_NEAR(j["flagged_fraction"].get<double>(), 0.348, 0.005);
  EXPECT_EQ(j["fields"].size(), 2u);
  EXPECT_EQ(j["spectral_windows"].size(), 2u);  // DDIDs 1 and 2 have rows
  EXPECT_EQ(j["spectral_windows"][0]["channels"], 64);
  EXPECT_GT(j["weight"]["median"].get<double>(), 0);
  EXPECT_GT(j["uv_range_klambda"][1].get<double>(), j["uv_range_klambda"][0].get<double>());
}

TEST(InfoCommandReal, FrankUvtable) {
  auto path = shared_data("uvtables/multi_ring_C43_6.txt.bz2");
  if (path.empty()) path = shared_data("uvtables/frank_mock_multi_ring_C43_6.txt.bz2");
  if (path.empty()) GTEST_SKIP() << "../shared/data/uvtables/*multi_ring_C43_6.txt.bz2 not present";
  std::string out;
  ASSERT_EQ(run_command(penumbra_bin() + " info " + path.string(), &out), 0) << out;
  EXPECT_NE(out.find("54180"), std::string::npos) << out;
  EXPECT_NE(out.find("11.6"), std::string::npos) << out;
  EXPECT_NE(out.find("1916"), std::string::npos) << out;
}
