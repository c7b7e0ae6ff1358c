// Training with few labels: the labelled draw, the unlabelled pool's checks,
// and a tiny FixMatch model folder end to end.
#include <gtest/gtest.h>

#include <filesystem>

#include "src/core/errors.hpp"
#include "src/datasets/radio_galaxy_generator.hpp"
#include "src/pipelines/classifier_semi_supervised.hpp"
#include "tests/support/error_message.hpp"
#include "tests/support/paths.hpp"

using namespace penumbra;

namespace {

std::string usage_message(const std::function<void()>& f) { return test::message_of<UsageError>(f); }

}  // namespace

TEST(SemiSupervised, LabelledDrawIsPerClassAndBadCountsGiveOneLine) {
  const auto train = generate_radio_galaxies(10, 1, {.size = 16});
  const auto lab = take_labelled(train, 4);
  ASSERT_EQ(lab.size(), 4u);
  EXPECT_EQ(std::count(lab.labels.begin(), lab.labels.end(), 0), 2);
  EXPECT_EQ(take_labelled(train, 0).size(), 10u);
  EXPECT_EQ(usage_message([&] { take_labelled(train, 12); }), "labelled images: 12 exceeds the 10 training images");
  EXPECT_EQ(usage_message([&] { take_labelled(train, 5); }),
            "labelled images: 5 is not divisible across the 2 classes");
}

TEST(SemiSupervised, PoolOverlappingTheValidationFoldIsRefused) {
  SemiSupervisedOptions o;
  o.method = "fixmatch";
  ClassifierDataOptions d;
  d.data = "mirabest:/nonexistent";
  d.subset = "confident";
  o.unlabelled = "train,confident";
  const auto msg = usage_message([&] { validate(o, d); });
  EXPECT_NE(msg.find("unlabelled subset 'confident' overlaps the validation fold"), std::string::npos) << msg;
  o.unlabelled = "all";
  EXPECT_NE(usage_message([&] { validate(o, d); }).find("overlaps the validation fold"), std::string::npos);
  o.unlabelled = "uncertain,hybrid,synthetic";
  EXPECT_NO_THROW(validate(o, d));
}

TEST(SemiSupervised, TinyFixMatchFolderWithASyntheticPool) {
  ClassifierDataOptions d;
  d.n_synthetic = 24;
  d.synthetic_size = 16;
  d.val_fraction = 0.25;
  ClassifierTrainOptions t;
  t.backbone = "attention";
  t.epochs = 2;
  t.batch = 4;
  t.eval_samples = 2;
  SemiSupervisedOptions o;
  o.method = "fixmatch";
  o.labels = 8;
  o.unlabelled = "train,synthetic";
  o.n_synthetic = 10;
  o.fixmatch.mu = 2;
  LabelledImages tr, va;
  load_split(d, 3, tr, va);
  const auto dir = test::scratch_dir("fixmatch-folder");
  const auto r = train_semi_supervised_folder(t, d, o, tr, va, 3, dir);
  EXPECT_EQ(r.labelled, 8u);
  EXPECT_EQ(r.unlabelled, tr.size() + 10);
  EXPECT_EQ(r.val.n, static_cast<std::int64_t>(va.size()));
  EXPECT_TRUE(std::filesystem::exists(dir / "metrics.json"));
  EXPECT_TRUE(std::filesystem::exists(dir / "weights.pt"));
}
