// Running a classifier over a set: the pruning masks and study, and test-time
// symmetrisation.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>

#include "src/core/errors.hpp"
#include "src/datasets/augment.hpp"
#include "src/datasets/radio_galaxy_generator.hpp"
#include "src/nn/classifier.hpp"
#include "src/pipelines/classifier_evaluation.hpp"
#include "src/pipelines/pruning_study.hpp"
#include "tests/support/paths.hpp"

using namespace penumbra;

TEST(Pruning, SnrMasksTheLowestFractionAndStudyRestores) {
  ClassifierConfig c;
  c.backbone = "attention";
  c.image_size = 16;
  Classifier m(c, 4);
  auto scores = snr_scores(m);
  std::int64_t dense = 0;
  for (auto& v : m.variational_tensors()) dense += v.dense ? v.mu.numel() : 0;
  ASSERT_EQ(static_cast<std::int64_t>(scores.size()), dense);
  prune_dense(m, scores, 0.3);
  std::int64_t zeros = 0;
  for (auto& v : m.variational_tensors())
    if (v.dense) zeros += (v.mask == 0).sum().item<std::int64_t>();
  EXPECT_EQ(zeros, std::llround(0.3 * dense));
  auto data = generate_radio_galaxies(4, 1, {.size = 16});
  auto rows = pruning_study(m, data, {0.0, 0.5}, {PruneRanking::kSnr, PruneRanking::kFisher}, 2);
  ASSERT_EQ(rows.size(), 4u);
  for (auto& v : m.variational_tensors()) EXPECT_EQ((v.mask == 0).sum().item<std::int64_t>(), 0);
  auto dir = test::scratch_dir("pruning");
  write_pruning_csv(dir / "p.csv", rows);
  write_pruning_png(dir / "p.png", rows);
  EXPECT_TRUE(std::filesystem::exists(dir / "p.png"));
  EXPECT_THROW(parse_prune_ranking("magnitude"), UsageError);
}

// Averaging over the eight dihedral views makes any backbone exactly invariant
// to rotating the input by 90° or flipping it; without it a random network is not.
TEST(TestTimeAugmentation, DihedralAverageIsInvariantToRightAngleRotationsAndFlips) {
  ClassifierConfig c;
  c.backbone = "attention";
  c.image_size = 16;
  c.bayesian = false;
  Classifier m(c, 5);
  auto data = generate_radio_galaxies(6, 3, {.size = 16});
  auto turned = data, mirrored = data;
  for (std::size_t i = 0; i < data.size(); ++i) {
    rotate90(data.image(i), turned.image(i), 16, 1);
    flip_horizontal(data.image(i), mirrored.image(i), 16, 16);
  }
  auto max_diff = [](const std::vector<double>& a, const std::vector<double>& b) {
    double d = 0;
    for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, std::abs(a[i] - b[i]));
    return d;
  };
  const auto none = TestTimeAugmentation::kNone, d4 = TestTimeAugmentation::kDihedral;
  EXPECT_GT(max_diff(predict_probabilities(m, data, 1, false, none), predict_probabilities(m, turned, 1, false, none)),
            1e-4);
  auto p = predict_probabilities(m, data, 1, false, d4);
  EXPECT_LT(max_diff(p, predict_probabilities(m, turned, 1, false, d4)), 1e-5);
  EXPECT_LT(max_diff(p, predict_probabilities(m, mirrored, 1, false, d4)), 1e-5);
  for (std::size_t n = 0; n < data.size(); ++n) EXPECT_NEAR(p[2 * n] + p[2 * n + 1], 1.0, 1e-6);
  EXPECT_EQ(parse_test_time_augmentation("d4", "--tta"), d4);
  EXPECT_THROW(parse_test_time_augmentation("d8", "--tta"), UsageError);
}
