#include "src/datasets/training_set.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "src/core/errors.hpp"

// A named namespace: this binary is a unity build, anonymous namespaces would merge.
namespace penumbra::training_set_test {

TEST(TrainingSet, KindsInterleaveAndKeepTheGalaxyStream) {
  GalaxyOptions o;
  o.size = 32;
  const std::uint64_t seed = derive_seed(7, 0xDA7A);
  TrainingSetGenerator gal(TrainingKind::kGalaxies, 6, o, seed), disks(TrainingKind::kDisks, 6, o, seed),
      mix(TrainingKind::kMix, 6, o, seed);
  GalaxyGenerator plain(6, o, seed);
  for (std::size_t i = 0; i < 6; ++i) {
    // galaxies: exactly the galaxy-only generator (older sets and checkpoints stay reproducible)
    EXPECT_EQ(gal.get(i).image, plain.get(i).image);
    // mix: even items galaxies, odd items disks, the same images as the single-kind sets
    EXPECT_EQ(mix.is_disk(i), i % 2 == 1);
    EXPECT_EQ(mix.get(i).image, (i % 2 ? disks : gal).get(i).image);
    auto d = disks.get(i).image;
    ASSERT_EQ(d.size(), 32u * 32u);
    // peak normalisation: the brightest pixel is the drawn peak in [0.5, 1]; no negative pixels
    float pk = *std::max_element(d.begin(), d.end());
    EXPECT_NEAR(pk, disks.disks().peak(i), 1e-6);
    EXPECT_GE(pk, 0.5f);
    EXPECT_LE(pk, 1.0f);
    EXPECT_GE(*std::min_element(d.begin(), d.end()), 0.0f);
  }
  // Disks fill the image as galaxies do: outer radius 0.4–0.9 of the usable half-width.
  double cell = disk_training_grid(32).cell;
  for (std::size_t i = 0; i < 6; ++i) {
    double r = disks.disks().disk(i).radius / cell;
    EXPECT_GE(r, 0.4 * 15 - 1e-9);
    EXPECT_LE(r, 0.9 * 15 + 1e-9);
  }
  // write_images (threaded) gives the same images as get()
  std::vector<float> stack(6 * 32 * 32);
  mix.write_images(0, 6, stack.data(), 3);
  for (std::size_t i = 0; i < 6; ++i)
    EXPECT_TRUE(std::equal(stack.begin() + i * 1024, stack.begin() + (i + 1) * 1024, mix.get(i).image.begin()));
  EXPECT_THROW(disks.get(6), UsageError);
}

TEST(TrainingSet, KindNames) {
  for (auto k : {TrainingKind::kGalaxies, TrainingKind::kDisks, TrainingKind::kMix})
    EXPECT_EQ(parse_training_kind(training_kind_name(k)), k);
  EXPECT_THROW(parse_training_kind("spirals"), UsageError);
}

// Training disks never reuse a random_disk seed of the coverage study's held-out disks,
// derive_seed(seed, 1e9 + j) (kHeldOutDiskSeedOffset in src/pipelines/coverage_study.hpp,
// a layer above this one), for the seeds and counts in use.
TEST(TrainingSet, DiskSeedsAreDisjointFromTheCoverageStudy) {
  GalaxyOptions o;
  o.size = 16;
  std::vector<std::uint64_t> train, test;
  for (std::uint64_t s = 0; s < 4; ++s) {
    DiskImageGenerator g(10000, o, derive_seed(s, 0xDA7A));
    for (std::size_t i = 0; i < 10000; ++i) train.push_back(g.disk_seed(i));
    for (std::uint64_t j = 0; j < 10000; ++j) test.push_back(derive_seed(s, 1'000'000'000ull + j));
  }
  std::sort(train.begin(), train.end());
  std::sort(test.begin(), test.end());
  std::vector<std::uint64_t> both;
  std::set_intersection(train.begin(), train.end(), test.begin(), test.end(), std::back_inserter(both));
  EXPECT_TRUE(both.empty());
  EXPECT_EQ(std::unique(train.begin(), train.end()), train.end());
}

}  // namespace penumbra::training_set_test
