// penumbra scaling end to end on a tiny vote dataset (40 galaxies, 16 px): the
// grid's outputs, a resume that trains nothing and writes the same fits, and
// one-line refusals.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "src/core/run_folder.hpp"
#include "src/datasets/vote_dataset.hpp"
#include "tests/support/paths.hpp"

using namespace penumbra::test;
namespace fs = std::filesystem;

namespace scaling_cmd_test {

fs::path tiny_votes(const fs::path& dir) {
  penumbra::GzVoteOptions o;
  o.count = 40;
  o.galaxy.size = 16;
  auto path = dir / "votes.h5";
  penumbra::write_vote_dataset(path, o, penumbra::VoteTree::decals(), 3, "scaling test", 1);
  return path;
}

std::string scaling(const fs::path& out, const fs::path& data, const std::string& extra) {
  return penumbra_bin() + " --threads 1 --seed 2 --out " + out.string() + " scaling --data " + data.string() +
         " --heldout 10 --batch 8 --bootstrap 20 " + extra;
}

}  // namespace scaling_cmd_test
using namespace scaling_cmd_test;

TEST(ScalingCommand, TrainsTheGridWritesFitsAndResumesWithoutTraining) {
  auto dir = scratch_dir("scaling_cmd");
  auto data = tiny_votes(dir);
  const auto out = dir / "study";
  const std::string grid = "--data-sizes 10,20,30 --model-sizes 4,8 --steps 3";
  std::string log;
  ASSERT_EQ(run_command(scaling(out, data, grid), &log), 0) << log;
  EXPECT_NE(log.find("6 cells (6 trained now, 0 reused)"), std::string::npos) << log;
  EXPECT_NE(log.find("L(N) at width 4: alpha ="), std::string::npos) << log;
  EXPECT_NE(log.find("L(P) at N = 10: no fit (a power law needs 3 or more model sizes, the grid has 2)"),
            std::string::npos)
      << log;
  for (auto f : {"scaling.csv", "fits.json", "scaling_data.png", "scaling_parameters.png", "run.json",
                 "cells/n20_w8_s0/config.toml", "cells/n20_w8_s0/result.json"})
    EXPECT_TRUE(fs::exists(out / f)) << f;
  auto fits = nlohmann::json::parse(penumbra::read_text(out / "fits.json"));
  ASSERT_EQ(fits["loss_vs_data"].size(), 2u);
  EXPECT_TRUE(fits["loss_vs_data"][0]["alpha"].is_number());
  EXPECT_EQ(fits["loss_vs_parameters"].size(), 3u);
  auto cell = nlohmann::json::parse(penumbra::read_text(out / "cells/n20_w8_s0/result.json"));
  EXPECT_GT(cell["parameters"].get<int>(), 1000);
  EXPECT_GT(cell["heldout_nll"].get<double>(), 0);
  EXPECT_EQ(cell["steps"], 3);
  const auto before = penumbra::read_text(out / "fits.json");

  ASSERT_EQ(run_command(scaling(out, data, grid + " --resume"), &log), 0) << log;
  EXPECT_NE(log.find("6 cells (0 trained now, 6 reused)"), std::string::npos) << log;
  EXPECT_EQ(penumbra::read_text(out / "fits.json"), before);
  // A cell whose training was checkpointed but never scored (interrupted) continues
  // from its checkpoint and scores the same.
  fs::remove(out / "cells/n20_w8_s0/result.json");
  ASSERT_EQ(run_command(scaling(out, data, grid + " --resume"), &log), 0) << log;
  EXPECT_NE(log.find("1 trained now, 5 reused, 1 interrupted and trained again"), std::string::npos) << log;
  EXPECT_NE(log.find("cell n20_w8_s0 continues from its checkpoint"), std::string::npos) << log;
  auto again = nlohmann::json::parse(penumbra::read_text(out / "fits.json"));  // its wall time differs
  EXPECT_EQ(again["loss_vs_data"], fits["loss_vs_data"]);
  EXPECT_EQ(again["loss_vs_parameters"], fits["loss_vs_parameters"]);
  // Without --resume the folder is refused rather than overwritten.
  ASSERT_EQ(run_command(scaling(out, data, grid), &log), 64) << log;
  EXPECT_NE(log.find("pass --resume"), std::string::npos) << log;
}

TEST(ScalingCommand, BadOptionsAreOneLine) {
  auto dir = scratch_dir("scaling_cmd_bad");
  auto data = tiny_votes(dir);
  struct Case {
    std::string args, expect;
  } cases[] = {
      {"--data-sizes 10,40 --model-sizes 4 --steps 1", "--data-sizes: 40 training galaxies and 10 held out need 50"},
      {"--data-sizes 10 --model-sizes 4 --steps 1 --epochs 1", "exactly one of epochs and steps"},
      {"--data-sizes 10 --model-sizes 2 --steps 1", "--model-sizes must be in [4, 64], got 2"},
      {"--data-sizes 10,10 --model-sizes 4 --steps 1", "--data-sizes must not repeat"},
  };
  for (const auto& c : cases) {
    std::string log;
    EXPECT_EQ(run_command(scaling(dir / "out", data, c.args), &log), 64) << c.args << "\n" << log;
    EXPECT_NE(log.find(c.expect), std::string::npos) << c.args << "\n" << log;
    EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 1) << log;
    EXPECT_FALSE(fs::exists(dir / "out" / "study.json")) << c.args;
  }
}

// Cells dealt over 2 ranks give the one-rank table and fits (seeds depend on the cell alone).
TEST(ScalingCommand, TwoRanksGiveTheOneRankResults) {
  if (run_command("command -v mpirun") != 0) GTEST_SKIP() << "no mpirun on PATH";
  auto dir = scratch_dir("scaling_cmd_mpi");
  auto data = tiny_votes(dir);
  const std::string grid = "--data-sizes 10,20,30 --model-sizes 4,8 --steps 2";
  std::string log;
  ASSERT_EQ(run_command(scaling(dir / "one", data, grid), &log), 0) << log;
  ASSERT_EQ(run_command("OMP_NUM_THREADS=1 mpirun --oversubscribe --allow-run-as-root -n 2 " +
                            scaling(dir / "two", data, grid),
                        &log),
            0)
      << log;
  auto table = [](const fs::path& csv) {  // without the wall-time column
    std::string s = penumbra::read_text(csv), out;
    for (std::size_t at = 0, end; at < s.size(); at = end + 1) {
      end = s.find('\n', at);
      auto line = s.substr(at, end - at);
      out += line.substr(0, line.rfind(',')) + "\n";
    }
    return out;
  };
  EXPECT_EQ(table(dir / "one" / "scaling.csv"), table(dir / "two" / "scaling.csv"));
  auto one = nlohmann::json::parse(penumbra::read_text(dir / "one" / "fits.json"));
  auto two = nlohmann::json::parse(penumbra::read_text(dir / "two" / "fits.json"));
  EXPECT_EQ(one["loss_vs_data"], two["loss_vs_data"]);
}
