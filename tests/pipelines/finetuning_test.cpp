// The label-efficiency study's splits: stratified folds and stratified draws.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "src/pipelines/finetuning.hpp"

using namespace penumbra;

TEST(Finetuning, StratifiedFoldsHoldEachImageOnceAndSpreadEachClass) {
  std::vector<int> labels;
  for (int i = 0; i < 103; ++i) labels.push_back(i % 3 == 0);  // 35 ones, 68 zeros
  auto fold = stratified_fold_index(labels, 5, 7);
  for (int k = 0; k < 5; ++k)
    for (int c = 0; c < 2; ++c) {
      long n = 0, total = std::count(labels.begin(), labels.end(), c);
      for (std::size_t i = 0; i < labels.size(); ++i) n += fold[i] == k && labels[i] == c;
      EXPECT_LE(std::abs(n - total / 5.0), 1.0) << k << " " << c;
    }
  EXPECT_EQ(fold, stratified_fold_index(labels, 5, 7));
  EXPECT_NE(fold, stratified_fold_index(labels, 5, 8));
}

TEST(Finetuning, StratifiedDrawKeepsTheClassShareAndStaysInThePool) {
  std::vector<int> labels(400);
  for (int i = 0; i < 400; ++i) labels[i] = i < 100;  // 1 in 4
  std::vector<std::size_t> pool;
  for (std::size_t i = 0; i < 400; i += 2) pool.push_back(i);  // 50 ones, 150 zeros
  for (int n : {4, 25, 50, 199}) {
    auto d = stratified_draw(pool, labels, n, 3);
    ASSERT_EQ(static_cast<int>(d.size()), n);
    std::set<std::size_t> unique(d.begin(), d.end());
    EXPECT_EQ(unique.size(), d.size());
    for (auto i : d) EXPECT_TRUE(std::find(pool.begin(), pool.end(), i) != pool.end());
    long ones = std::count_if(d.begin(), d.end(), [&](std::size_t i) { return labels[i] == 1; });
    EXPECT_LE(std::abs(ones - n / 4.0), 1.0) << n;
  }
  EXPECT_EQ(stratified_draw(pool, labels, 500, 3), pool);
}
