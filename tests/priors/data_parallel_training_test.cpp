// Data-parallel prior training (src/model/data_parallel.hpp) without MPI: K
// threads play K processes through an in-memory sum and broadcast, so the
// shard split, the weighting and the gradient sum are checked wherever the
// suite runs (the mpirun cases in tests/parallel check the real collectives).
#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <barrier>
#include <thread>
#include <vector>

#include "priors/training.hpp"
#include "src/datasets/galaxy_generator.hpp"
#include "src/model/data_parallel.hpp"

using namespace penumbra;

namespace {

// K threads as K processes: each collective meets at a barrier, and every
// thread sums the K contributions in rank order, as one MPI result for all.
class ThreadJob {
 public:
  explicit ThreadJob(int k) : k_(k), sync_(k), slots_(k) {}

  DataParallel member(int rank) {
    DataParallel dp;
    dp.rank = rank;
    dp.size = k_;
    dp.sum = [this, rank](const std::vector<at::Tensor>& t) { sum(rank, t); };
    dp.broadcast = [this, rank](const std::vector<at::Tensor>& t) { broadcast(rank, t); };
    return dp;
  }

 private:
  void sum(int rank, const std::vector<at::Tensor>& mine) {
    torch::NoGradGuard ng;
    slots_[rank] = &mine;
    sync_.arrive_and_wait();
    std::vector<at::Tensor> total;
    for (std::size_t i = 0; i < mine.size(); ++i) {
      auto s = (*slots_[0])[i].clone();
      for (int r = 1; r < k_; ++r) s += (*slots_[r])[i];
      total.push_back(s);
    }
    sync_.arrive_and_wait();  // every thread has read every contribution
    for (std::size_t i = 0; i < mine.size(); ++i) mine[i].copy_(total[i]);
  }

  void broadcast(int rank, const std::vector<at::Tensor>& mine) {
    torch::NoGradGuard ng;
    slots_[rank] = &mine;
    sync_.arrive_and_wait();
    if (rank != 0)
      for (std::size_t i = 0; i < mine.size(); ++i) mine[i].copy_((*slots_[0])[i]);
    sync_.arrive_and_wait();
  }

  int k_;
  std::barrier<> sync_;
  std::vector<const std::vector<at::Tensor>*> slots_;
};

TrainConfig data_parallel_config() {
  TrainConfig c;
  c.net.width = 8;
  c.net.multipliers = {1, 2};
  c.net.patch = 1;
  c.net.sigma_data = 0.1;
  c.net.init_seed = 3;
  c.sde.sigma_max = 5;
  c.sde.t_eps = 1e-5;
  c.batch = 7;  // uneven over 2 and 3 processes, empty shards over 8
  c.lr = 2e-3;
  c.warmup = 2;
  c.seed = 17;
  return c;
}

at::Tensor data_parallel_images() {
  GalaxyOptions o;
  o.size = 16;
  GalaxyGenerator g(32, o, 9);
  auto t = torch::empty({32, 16, 16});
  g.generate(0, 32, t.data_ptr<float>(), 1);
  return t;
}

DataInfo data_parallel_info() {
  DataInfo d;
  d.height = d.width = 16;
  d.source = "test";
  return d;
}

// The losses of `steps` steps of every one of K processes.
std::vector<std::vector<double>> train_as(int k, int steps, std::vector<std::vector<at::Tensor>>* weights = nullptr) {
  std::vector<PriorTrainer> trainers;
  for (int r = 0; r < k; ++r)  // built one after another: initialisation uses the global generator
    trainers.emplace_back(data_parallel_config(), data_parallel_info(), data_parallel_images());
  ThreadJob job(k);
  std::vector<std::vector<double>> losses(k);
  std::vector<std::thread> threads;
  for (int r = 0; r < k; ++r)
    threads.emplace_back([&, r] {
      trainers[r].set_data_parallel(job.member(r));
      for (int s = 0; s < steps; ++s) losses[r].push_back(trainers[r].step());
    });
  for (auto& t : threads) t.join();
  if (weights)
    for (auto& tr : trainers) {
      weights->emplace_back();
      for (auto& [name, p] : tr.network().named_parameters()) weights->back().push_back(p.clone());
    }
  return losses;
}

}  // namespace

TEST(DataParallel, ShardsCoverAGlobalBatchOnceInRankOrder) {
  for (int k : {1, 2, 3, 8})
    for (std::int64_t n : {0, 1, 7, 16}) {
      std::int64_t next = 0;
      for (int r = 0; r < k; ++r) {
        DataParallel dp;
        dp.rank = r;
        dp.size = k;
        auto s = dp.shard(n);
        EXPECT_EQ(s.begin, next) << k << " " << n;
        EXPECT_LE(s.size(), (n + k - 1) / k);
        EXPECT_GE(s.size(), n / k);
        next = s.end;
      }
      EXPECT_EQ(next, n);
    }
}

TEST(DataParallel, PriorTrainingAsSeveralProcessesTakesTheStepsOfOne) {
  at::set_num_threads(1);
  const int steps = 6;
  const auto one = train_as(1, steps)[0];
  for (int k : {2, 3, 8}) {
    std::vector<std::vector<at::Tensor>> w;
    const auto many = train_as(k, steps, &w);
    for (int r = 1; r < k; ++r) {
      EXPECT_EQ(many[r], many[0]) << "rank " << r << " of " << k << " saw another loss";
      for (std::size_t i = 0; i < w[0].size(); ++i)
        ASSERT_TRUE(torch::equal(w[r][i], w[0][i])) << "rank " << r << " of " << k << " holds other weights";
    }
    for (int s = 0; s < steps; ++s)  // docs/parallel.md: float32 reductions in another order
      EXPECT_NEAR(many[0][s], one[s], 1e-5 * std::abs(one[s])) << "step " << s << ", " << k << " processes";
  }
}
