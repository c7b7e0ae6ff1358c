// --likelihood-anneal from the command line: it reaches the sampler of a real run
// (validate-sampling, whose cases are full `sample` runs; the run records it),
// `none` gives the samples of a run without the flag bit for bit, and every command
// that samples a posterior (sample, coverage, validate-sampling, compare) takes the
// flag and refuses a bad value or a sampler it cannot act on in one line.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "src/core/run_folder.hpp"
#include "src/io/hdf5_store.hpp"
#include "tests/support/paths.hpp"

using namespace penumbra;
using namespace penumbra::test;

namespace {

const char* kTinyStudy =
    " validate-sampling --n 1 --prior gaussian:0,2e-3 --size 16 --scale 10mas --steps 40 --nsamples 4 --batch 4"
    " --integration 600s --ha-max 30min";

std::string study(const std::filesystem::path& out, const std::string& extra) {
  return penumbra_bin() + " --threads 1 --seed 4 --out " + out.string() + kTinyStudy + extra;
}

struct CaseSamples {
  std::vector<float> pixels;
  std::string posterior;  // Posterior::describe() of the run
};

CaseSamples case_samples(const std::filesystem::path& run) {
  Hdf5Store s(run / "cases/case_00000/samples.h5", Hdf5Store::Mode::kRead);
  return {s.read_float("/samples").data, s.attr_string("/samples", "posterior")};
}

}  // namespace

TEST(LikelihoodAnnealCommand, ReachesTheSamplerAndNoneChangesNothing) {
  auto dir = scratch_dir("likelihood_anneal_cli");
  std::string log;
  ASSERT_EQ(run_command(study(dir / "plain", ""), &log), 0) << log;
  ASSERT_EQ(run_command(study(dir / "none", " --likelihood-anneal none"), &log), 0) << log;
  ASSERT_EQ(run_command(study(dir / "linear", " --likelihood-anneal linear --likelihood-anneal-start 0.1"), &log), 0)
      << log;
  auto plain = case_samples(dir / "plain"), none = case_samples(dir / "none"), linear = case_samples(dir / "linear");
  EXPECT_EQ(plain.pixels, none.pixels);
  EXPECT_EQ(plain.posterior, none.posterior);
  EXPECT_EQ(plain.posterior.find(" anneal="), std::string::npos) << plain.posterior;
  EXPECT_NE(linear.posterior.find(" anneal=linear(start=0.1, sigma=["), std::string::npos) << linear.posterior;
  EXPECT_NE(plain.pixels, linear.pixels);
  // The setting is in the study's and the case's records.
  auto record = [](const std::filesystem::path& f) {
    return nlohmann::json::parse(read_text(f))["likelihood_anneal"].get<std::string>();
  };
  EXPECT_EQ(record(dir / "plain" / "validation.json"), "none");
  // The study records the setting, a run the schedule resolved for its prior (no σ left at 0).
  EXPECT_EQ(record(dir / "linear" / "validation.json"), "linear(start=0.1, sigma=[sigma_min, sigma_max])");
  const std::string run = record(dir / "linear" / "cases/case_00000/summary.json");
  EXPECT_EQ(run.rfind("linear(start=0.1, sigma=[", 0), 0u) << run;
  EXPECT_EQ(run.find("sigma_m"), std::string::npos) << run;
}

TEST(LikelihoodAnnealCommand, EveryPosteriorCommandTakesTheFlagAndRefusesBadValues) {
  auto dir = scratch_dir("likelihood_anneal_cli_bad");
  const std::string head = penumbra_bin() + " --threads 1 --out " + (dir / "x").string();
  for (const std::string command : {" sample", " coverage", " validate-sampling", " compare"}) {
    std::string log;
    EXPECT_EQ(run_command(head + command + " --likelihood-anneal cosine", &log), 64) << command << log;
    EXPECT_NE(log.find("--likelihood-anneal"), std::string::npos) << command << log;
  }
  std::string log;
  EXPECT_EQ(run_command(study(dir / "mala", " --likelihood-anneal sigma --sampler mala"), &log), 64) << log;
  EXPECT_NE(log.find("--sampler with a likelihood anneal must be pc, ald or em, got 'mala'"), std::string::npos)
      << log;
  EXPECT_EQ(run_command(study(dir / "start", " --likelihood-anneal linear --likelihood-anneal-start 2"), &log), 64)
      << log;
  EXPECT_NE(log.find("--likelihood-anneal-start must be in [0, 1], got 2"), std::string::npos) << log;
  EXPECT_EQ(run_command(study(dir / "late", " --likelihood-anneal linear --sigma-min 0.02 --likelihood-anneal-sigma "
                                            "0.01"),
                        &log),
            64)
      << log;
  EXPECT_NE(log.find("--likelihood-anneal-sigma must be >= the smallest noise level 0.02, got 0.01"),
            std::string::npos)
      << log;
}
