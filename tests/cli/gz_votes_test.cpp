// penumbra dataset gz-votes: a small file from the CLI read back by the library,
// and one-line errors for bad flags and trees.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "src/datasets/vote_dataset.hpp"
#include "tests/support/paths.hpp"

using namespace penumbra::test;

TEST(GzVotesCommand, WritesAFileTheReaderTakes) {
  auto dir = scratch_dir("gz_votes_cmd");
  std::string out;
  ASSERT_EQ(run_command(penumbra_bin() + " --threads 2 --seed 5 --out " + (dir / "run").string() +
                            " dataset gz-votes --count 20 --size 24 --max-volunteers 12",
                        &out),
            0)
      << out;
  auto d = penumbra::read_vote_dataset(dir / "run" / "gz-votes.h5");
  auto run = nlohmann::json::parse(std::ifstream(dir / "run" / "run.json"));
  EXPECT_EQ(run["results"]["questions"]["smooth-or-featured"]["reached"], 1.0) << run.dump();
  EXPECT_EQ(d.count, 20);
  EXPECT_EQ(d.channels, 3);
  EXPECT_EQ(d.size, 24);
  EXPECT_EQ(d.tree.answer_count(), 36);
  for (std::int64_t i = 0; i < d.count; ++i) {
    int first = d.votes[i * 36] + d.votes[i * 36 + 1] + d.votes[i * 36 + 2];
    EXPECT_GE(first, 5);
    EXPECT_LE(first, 12);
  }
  // --grey and a user tree file (the shipped one, copied).
  std::filesystem::copy_file(penumbra::VoteTree::decals_path(), dir / "tree.json");
  ASSERT_EQ(run_command(penumbra_bin() + " --threads 1 --out " + (dir / "grey").string() +
                            " dataset gz-votes --n 4 --size 16 --grey --tree " + (dir / "tree.json").string() +
                            " --file g.h5",
                        &out),
            0)
      << out;
  EXPECT_EQ(penumbra::read_vote_dataset(dir / "grey" / "g.h5").channels, 1);
  // Bad input: one line each, the flag named.
  EXPECT_EQ(run_command(penumbra_bin() + " --out " + (dir / "bad1").string() +
                            " dataset gz-votes --count 4 --min-volunteers 10 --max-volunteers 5",
                        &out),
            64)
      << out;
  EXPECT_NE(out.find("--max-volunteers must be >= 10, got 5"), std::string::npos) << out;
  std::ofstream(dir / "cycle.json") << R"({"questions": [{"name": "a", "answers": [{"name": "x", "next": "a"}, {"name": "y"}]}]})";
  EXPECT_EQ(run_command(penumbra_bin() + " --out " + (dir / "bad2").string() + " dataset gz-votes --count 4 --tree " +
                            (dir / "cycle.json").string(),
                        &out),
            65)
      << out;
  EXPECT_NE(out.find("cycle (a -> a)"), std::string::npos) << out;
}
