// Stratified train/validation splits and cross-validation folds.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "src/core/errors.hpp"
#include "src/datasets/labelled_images.hpp"

using namespace penumbra;

namespace {
// n images of 1×1 px whose pixel value is the image's index; 3 of every 7 are class 1.
LabelledImages indexed(int n) {
  LabelledImages d;
  d.height = d.width = 1;
  d.class_names = {"A", "B"};
  for (int i = 0; i < n; ++i) {
    d.pixels.push_back(static_cast<float>(i));
    d.labels.push_back(i % 7 < 3 ? 1 : 0);
  }
  return d;
}
int count_class(const LabelledImages& d, int c) {
  int k = 0;
  for (int l : d.labels) k += l == c;
  return k;
}
}  // namespace

TEST(LabelledImages, FoldsPartitionTheSetAndAreStratified) {
  auto all = indexed(103);  // 45 of class 1, 58 of class 0: not divisible by 5
  const int F = 5;
  std::multiset<float> seen;
  for (int f = 0; f < F; ++f) {
    LabelledImages tr, va;
    stratified_fold(all, F, f, 11, tr, va);
    EXPECT_EQ(tr.size() + va.size(), all.size());
    std::set<float> in_val(va.pixels.begin(), va.pixels.end());
    for (float v : tr.pixels) EXPECT_EQ(in_val.count(v), 0u) << "image " << v << " in both parts of fold " << f;
    for (std::size_t i = 0; i < va.size(); ++i) {
      seen.insert(va.pixels[i]);
      EXPECT_EQ(va.labels[i], all.labels[static_cast<std::size_t>(va.pixels[i])]);  // labels travel with images
    }
    // Stratified: each class's share of a fold is within one image of n_c / F.
    EXPECT_NEAR(count_class(va, 1), 45.0 / F, 1.0);
    EXPECT_NEAR(count_class(va, 0), 58.0 / F, 1.0);
  }
  // Every image validates exactly once over the folds.
  ASSERT_EQ(seen.size(), all.size());
  for (int i = 0; i < 103; ++i) EXPECT_EQ(seen.count(static_cast<float>(i)), 1u) << i;

  // Another seed gives other folds; a bad fold index is a programming error.
  LabelledImages a1, b1, a2, b2;
  stratified_fold(all, F, 0, 11, a1, b1);
  stratified_fold(all, F, 0, 12, a2, b2);
  EXPECT_NE(b1.pixels, b2.pixels);
  EXPECT_THROW(stratified_fold(all, F, F, 11, a1, b1), InternalError);
  EXPECT_THROW(stratified_fold(all, 1, 0, 11, a1, b1), InternalError);
}

TEST(LabelledImages, SplitTakesTheFractionOfEachClass) {
  auto all = indexed(70);  // 30 of class 1, 40 of class 0
  LabelledImages tr, va;
  stratified_split(all, 0.2, 3, tr, va);
  EXPECT_EQ(count_class(va, 1), 6);
  EXPECT_EQ(count_class(va, 0), 8);
  EXPECT_EQ(tr.size(), 56u);
}
