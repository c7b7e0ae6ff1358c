// The agglomerative clustering: the nearest-neighbour chain against a naive
// O(n³) implementation, cuts by count and by similarity, and tag naming.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "src/core/errors.hpp"
#include "src/semantics/tag_taxonomy.hpp"

namespace penumbra::semantics {
namespace {

// Merge distances of the textbook algorithm (merge the closest pair, recompute).
std::vector<double> naive_heights(const Eigen::MatrixXf& sim, Linkage linkage) {
  const int n = int(sim.rows());
  std::vector<std::vector<int>> clusters;
  for (int i = 0; i < n; ++i) clusters.push_back({i});
  std::vector<double> heights;
  auto distance = [&](const std::vector<int>& a, const std::vector<int>& b) {
    double sum = 0, worst = 0;
    for (int i : a)
      for (int j : b) sum += 1.0 - sim(i, j), worst = std::max(worst, 1.0 - sim(i, j));
    return linkage == Linkage::kComplete ? worst : sum / double(a.size() * b.size());
  };
  while (clusters.size() > 1) {
    double best = 1e300;
    std::size_t ba = 0, bb = 0;
    for (std::size_t a = 0; a < clusters.size(); ++a)
      for (std::size_t b = a + 1; b < clusters.size(); ++b)
        if (double d = distance(clusters[a], clusters[b]); d < best) best = d, ba = a, bb = b;
    heights.push_back(best);
    clusters[ba].insert(clusters[ba].end(), clusters[bb].begin(), clusters[bb].end());
    clusters.erase(clusters.begin() + std::ptrdiff_t(bb));
  }
  return heights;
}

Eigen::MatrixXf random_similarity(int n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  Eigen::MatrixXf s(n, n);
  for (int i = 0; i < n; ++i) {
    s(i, i) = 1;
    for (int j = i + 1; j < n; ++j) s(i, j) = s(j, i) = u(rng);
  }
  return s;
}

TEST(Agglomeration, NearestNeighbourChainMatchesTheNaiveAlgorithm) {
  for (Linkage linkage : {Linkage::kAverage, Linkage::kComplete})
    for (unsigned seed : {1u, 2u, 3u}) {
      const Eigen::MatrixXf s = random_similarity(14, seed);
      const Dendrogram d = agglomerate(s, linkage);
      const auto expected = naive_heights(s, linkage);
      ASSERT_EQ(d.merges.size(), expected.size());
      for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(d.merges[i].distance, expected[i], 1e-5) << i;
    }
}

TEST(Agglomeration, CutsRecoverBlocksAndRejectBadThresholds) {
  // Two blocks {0,1,2} and {3,4}: similar inside (0.9), not across (0.1).
  Eigen::MatrixXf s = Eigen::MatrixXf::Constant(5, 5, 0.1f);
  s.topLeftCorner(3, 3).setConstant(0.9f);
  s.bottomRightCorner(2, 2).setConstant(0.9f);
  s.diagonal().setOnes();
  const Dendrogram d = agglomerate(s, Linkage::kAverage);
  const auto two = d.cut_to(2);
  EXPECT_EQ(two[0], two[1]);
  EXPECT_EQ(two[1], two[2]);
  EXPECT_EQ(two[3], two[4]);
  EXPECT_NE(two[0], two[3]);
  EXPECT_EQ(d.cut_at_similarity(0.5), two);
  const auto all = d.cut_at_similarity(1.0);
  EXPECT_EQ(*std::max_element(all.begin(), all.end()), 4u);
  EXPECT_THROW(d.cut_at_similarity(0.0), UsageError);
  EXPECT_THROW(d.cut_at_similarity(1.5), UsageError);
  EXPECT_THROW(d.cut_to(0), UsageError);
  EXPECT_THROW(d.cut_to(6), UsageError);
}

TEST(Agglomeration, TagsAreNamedByTheirMostRepresentativePhrase) {
  AnnotationCorpus c;
  c.phrases = {"bent", "curved", "bent tail", "compact", "point like"};
  c.phrase_words = {{"bent"}, {"curved"}, {"bent", "tail"}, {"compact"}, {"point", "like"}};
  c.phrase_count = {10, 2, 3, 20, 1};
  c.subjects = {"a", "b"};
  c.subject_phrases = {{0, 2, 3}, {1, 4, 4}};
  Eigen::MatrixXf s = Eigen::MatrixXf::Constant(5, 5, 0.1f);
  s.topLeftCorner(3, 3).setConstant(0.8f);
  s.bottomRightCorner(2, 2).setConstant(0.8f);
  s.diagonal().setOnes();
  const TagTaxonomy t = make_taxonomy(c, s, {0, 0, 0, 1, 1});
  ASSERT_EQ(t.tags.size(), 2u);
  EXPECT_EQ(t.tags[0].name, "compact");  // 21 occurrences: listed first
  EXPECT_EQ(t.tags[0].count, 21u);
  EXPECT_EQ(t.tags[1].name, "bent");
  EXPECT_EQ(t.tags[1].phrases, (std::vector<std::size_t>{0, 2, 1}));
  const Eigen::MatrixXd x = subject_tag_counts(c, t);
  EXPECT_EQ(x(0, 0), 1);
  EXPECT_EQ(x(0, 1), 2);
  EXPECT_EQ(x(1, 0), 2);
  EXPECT_EQ(x(1, 1), 1);
}

}  // namespace
}  // namespace penumbra::semantics
