// The communication layer's contract, valid for any rank count: the binary runs
// serially under ctest and as 2 and 3 ranks under mpirun (Parallel.MpiRun*).
#include <gtest/gtest.h>

#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "src/core/errors.hpp"
#include "src/parallel/communicator.hpp"
#include "src/parallel/job_checks.hpp"

using namespace penumbra;
using namespace penumbra::parallel;

TEST(Communicator, RankIsWithinSizeAndMatchesTheLauncher) {
  EXPECT_GE(size(), 1);
  EXPECT_GE(rank(), 0);
  EXPECT_LT(rank(), size());
  EXPECT_GE(ranks_on_node(), 1);
  EXPECT_LE(ranks_on_node(), size());
  if (compiled_with_mpi()) {
    EXPECT_EQ(size(), launcher_world_size());
  }
}

TEST(Communicator, BroadcastReplacesEveryBlobByTheRoots) {
  std::string blob = is_root() ? std::string("root\0bytes", 10) : std::string(1000, 'x');
  broadcast(blob);
  EXPECT_EQ(blob, std::string("root\0bytes", 10));
  std::string from_last = rank() == size() - 1 ? "last" : "";
  broadcast(from_last, size() - 1);
  EXPECT_EQ(from_last, "last");
}

TEST(Communicator, GatherCollectsBlobsOfEveryLengthInRankOrder) {
  std::string mine(static_cast<std::size_t>(rank()), static_cast<char>('a' + rank()));  // rank 0 sends nothing
  auto all = gather(mine);
  if (!is_root()) {
    EXPECT_TRUE(all.empty());
    return;
  }
  ASSERT_EQ(all.size(), static_cast<std::size_t>(size()));
  for (int r = 0; r < size(); ++r)
    EXPECT_EQ(all[static_cast<std::size_t>(r)], std::string(static_cast<std::size_t>(r), static_cast<char>('a' + r)));
}

TEST(Communicator, AllreduceSumsFloatsAndDoublesOnEveryRank) {
  std::vector<double> d = {1.0, static_cast<double>(rank()), 0.5};
  std::vector<float> f = {2.0f, static_cast<float>(rank() + 1)};
  allreduce_sum(d);
  allreduce_sum(f);
  const double n = size(), ranks_sum = n * (n - 1) / 2;
  EXPECT_DOUBLE_EQ(d[0], n);
  EXPECT_DOUBLE_EQ(d[1], ranks_sum);
  EXPECT_DOUBLE_EQ(d[2], 0.5 * n);
  EXPECT_FLOAT_EQ(f[0], static_cast<float>(2 * n));
  EXPECT_FLOAT_EQ(f[1], static_cast<float>(ranks_sum + n));
  allreduce_sum(std::span<double>{});  // nothing to send is not an error
}

TEST(Communicator, SharesCoverEveryItemOnceForAnyRankCount) {
  std::vector<int> items(7);
  std::iota(items.begin(), items.end(), 100);
  auto mine = my_share(items);
  for (std::size_t k = 0; k < mine.size(); ++k)  // position i of items belongs to rank i mod size
    EXPECT_EQ(mine[k], 100 + rank() + static_cast<int>(k) * size());
  std::string blob;
  for (int v : mine) blob += std::to_string(v) + ",";
  auto all = gather(blob);
  if (is_root()) {
    std::multiset<std::string> seen;
    for (const auto& b : all)
      for (std::size_t s = 0, e; (e = b.find(',', s)) != std::string::npos; s = e + 1) seen.insert(b.substr(s, e - s));
    EXPECT_EQ(seen.size(), items.size());
    for (int v : items) EXPECT_EQ(seen.count(std::to_string(v)), 1u);
  }
  barrier();
}

TEST(Communicator, AProblemOnOneRankStopsEveryRankWithTheSameLine) {
  EXPECT_NO_THROW(agree_or_throw(""));
  const std::string problem = rank() == size() - 1 ? "scale must be positive, got -1" : "";
  try {
    agree_or_throw(problem);
    FAIL() << "no rank threw";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()), "scale must be positive, got -1");
  }
}

TEST(Communicator, RankZeroDecidesForEveryRank) {
  int calls = 0;
  auto decided = decide_on_root([&] {
    ++calls;
    return std::string("[0,3,4]");
  });
  EXPECT_EQ(decided, "[0,3,4]");
  EXPECT_EQ(calls, is_root() ? 1 : 0);
  auto fails = [] { return decide_on_root([]() -> std::string { throw DataError("study.json: not JSON"); }); };
  if (size() == 1) {
    EXPECT_THROW(fails(), DataError);  // one process keeps the error's own type and exit code
  } else {
    try {
      fails();
      FAIL() << "no rank threw";
    } catch (const UsageError& e) {
      EXPECT_EQ(std::string(e.what()), "study.json: not JSON");
    }
  }
}

TEST(JobChecks, EveryRankRunsTheSameBuild) {
  EXPECT_NE(build_id().find("penumbra "), std::string::npos);
  EXPECT_EQ(build_id(), build_id());
  if (!compiled_with_mpi() && launcher_world_size() > 1)  // each would believe it is alone
    EXPECT_THROW(require_same_build(), UsageError);
  else
    EXPECT_NO_THROW(require_same_build());
}

TEST(JobChecks, ThreadsPerRankAreTheNodesShareAndOversubscriptionIsRefused) {
  EXPECT_GE(bound_cores(), 1);
  EXPECT_LE(bound_cores(), node_cores());
  if (!launched_by_mpi_launcher()) {  // a plain process keeps --threads as given (0: all cores)
    EXPECT_EQ(threads_per_rank(0), 0);
    EXPECT_EQ(threads_per_rank(64), 64);
    EXPECT_NO_THROW(require_node_capacity(1000, "workers"));
    return;
  }
  EXPECT_GE(threads_per_rank(0), 1);
  if (oversubscription_allowed()) return;  // mpirun --oversubscribe: warned, not refused
  try {
    require_node_capacity(node_cores() + 1, "workers");
    FAIL() << "not refused";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("workers ", 0), 0u) << e.what();
  }
}

TEST(JobChecks, OversubscriptionIsAllowedOnlyWhenAsked) {
  const char* saved = std::getenv("PENUMBRA_OVERSUBSCRIBE");
  setenv("PENUMBRA_OVERSUBSCRIBE", "1", 1);
  EXPECT_TRUE(oversubscription_allowed());
  setenv("PENUMBRA_OVERSUBSCRIBE", "0", 1);  // wins over mpirun --oversubscribe
  EXPECT_FALSE(oversubscription_allowed());
  if (saved) setenv("PENUMBRA_OVERSUBSCRIBE", saved, 1);
  else unsetenv("PENUMBRA_OVERSUBSCRIBE");
}

TEST(Communicator, AnErrorOnEveryRankIsOneLineFromRankZero) {
  testing::internal::CaptureStderr();
  const int code = report_error("penumbra: error: scale must be positive, got -1", 64);
  const std::string printed = testing::internal::GetCapturedStderr();
  EXPECT_EQ(code, 64);
  EXPECT_EQ(printed, is_root() ? "penumbra: error: scale must be positive, got -1\n" : "");
}

// Run by ctest Parallel.MpiRunErrorOnOneRank as 2 ranks: rank 1 fails alone while
// rank 0 waits in a barrier; the job must end (MPI_Abort) with rank 1's line.
TEST(Communicator, DISABLED_AnErrorOnOneRankEndsTheJob) {
  if (rank() == 1) report_error("penumbra: error: cannot write sim_00001.h5", 73, 1.0);
  barrier();
  if (size() > 1) FAIL() << "the job went on";
}

TEST(Communicator, AbortEndsTheProcessWithTheCodeAndOneLine) {
  if (launched_by_mpi_launcher()) GTEST_SKIP() << "would end the whole MPI job";
  EXPECT_EXIT(abort("lost the checkpoint", 3), testing::ExitedWithCode(3), "penumbra: error: rank 0: lost the checkpoint");
}
