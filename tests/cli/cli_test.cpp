// The CLI's global conventions: help, exit codes, run folders, config files.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "src/core/run_folder.hpp"
#include "tests/support/paths.hpp"

using namespace penumbra::test;

TEST(Cli, HelpListsSubcommandsAndEachHasHelp) {
  std::string out;
  ASSERT_EQ(run_command(penumbra_bin() + " --help", &out), 0);
  EXPECT_NE(out.find("Subcommands:"), std::string::npos);
  // Every listed subcommand answers --help with exit 0.
  auto pos = out.find("Subcommands:");
  std::istringstream lines(out.substr(pos));
  std::string line;
  std::getline(lines, line);
  int n = 0;
  while (std::getline(lines, line)) {
    std::istringstream w(line);
    std::string name;
    if (!(w >> name)) continue;
    std::string sub;
    EXPECT_EQ(run_command(penumbra_bin() + " " + name + " --help", &sub), 0) << name << ": " << sub;
    ++n;
  }
  EXPECT_GE(n, 1);
}

TEST(Cli, UsageErrorsExit64) {
  EXPECT_EQ(run_command(penumbra_bin()), 64);
  EXPECT_EQ(run_command(penumbra_bin() + " no-such-command"), 64);
  EXPECT_EQ(run_command(penumbra_bin() + " --threads -3 version"), 64);
  EXPECT_EQ(run_command(penumbra_bin() + " --log-level loud version"), 64);
}

TEST(Cli, ConfigFileSetsGlobalOptions) {
  auto dir = scratch_dir("cli_config");
  std::ofstream(dir / "run.toml") << "seed = 7\nlog-level = \"warn\"\n";
  std::string out;
  EXPECT_EQ(run_command(penumbra_bin() + " --config " + (dir / "run.toml").string() + " version", &out), 0) << out;
  EXPECT_EQ(run_command(penumbra_bin() + " --config " + (dir / "missing.toml").string() + " version"), 64);
}

TEST(RunFolder, WritesConfigSeedVersionAndLog) {
  auto dir = scratch_dir("run_folder") / "run";
  {
    penumbra::RunFolder run(dir, "test", 42, 2, "seed = 42\n");
    run.finish({{"answer", 1}});
  }
  auto j = nlohmann::json::parse(penumbra::read_text(dir / "run.json"));
  EXPECT_EQ(j["seed"], 42);
  EXPECT_EQ(j["command"], "test");
  EXPECT_TRUE(j.contains("version"));
  EXPECT_EQ(j["results"]["answer"], 1);
  EXPECT_TRUE(std::filesystem::exists(dir / "config.toml"));
  EXPECT_TRUE(std::filesystem::exists(dir / "run.log"));
}

// main.cpp starts itself again with OMP_WAIT_POLICY=PASSIVE (spinning OpenMP waiters make
// --threads 2 many times slower on a shared machine); a user's own choice is kept.
TEST(Cli, OpenMpWaitersSleepUnlessTheUserChoseOtherwise) {
  auto dir = scratch_dir("omp_wait_policy");
  const std::string cmd = penumbra_bin() + " --threads 2 --out ";
  const std::string tail = " dataset disks --n 2 --size 32";
  std::string out;
  ASSERT_EQ(run_command("env -u OMP_WAIT_POLICY " + cmd + (dir / "default").string() + tail, &out), 0) << out;
  EXPECT_EQ(nlohmann::json::parse(penumbra::read_text(dir / "default" / "run.json"))["omp_wait_policy"], "PASSIVE");
  ASSERT_EQ(run_command("env OMP_WAIT_POLICY=ACTIVE " + cmd + (dir / "active").string() + tail, &out), 0) << out;
  EXPECT_EQ(nlohmann::json::parse(penumbra::read_text(dir / "active" / "run.json"))["omp_wait_policy"], "ACTIVE");
  // One thread has no waiters: no second start.
  ASSERT_EQ(run_command("env -u OMP_WAIT_POLICY " + penumbra_bin() + " --threads 1 --out " + (dir / "one").string() +
                            tail,
                        &out),
            0)
      << out;
  EXPECT_EQ(nlohmann::json::parse(penumbra::read_text(dir / "one" / "run.json"))["omp_wait_policy"], "");
}
