// Classifiers trained on tags (multi-label targets): the tag table, its match
// to the images, and a small model that learns the synthetic generator's
// component tags.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "src/core/errors.hpp"
#include "src/datasets/radio_galaxy_generator.hpp"
#include "src/pipelines/classifier_data.hpp"
#include "src/pipelines/classifier_tags.hpp"
#include "tests/support/error_message.hpp"
#include "tests/support/paths.hpp"

using namespace penumbra;

namespace {

LabelledImages images_with_ids(std::vector<std::string> ids) {
  LabelledImages d;
  d.height = d.width = 2;
  d.class_names = {"a", "b"};
  d.labels.assign(ids.size(), 0);
  d.pixels.assign(ids.size() * 4, 0.0f);
  d.ids = std::move(ids);
  return d;
}

std::filesystem::path write_file(const std::string& name, const std::string& text) {
  const auto path = test::scratch_dir("classifier-tags") / name;
  std::ofstream(path) << text;
  return path;
}

std::string message_of(const std::function<void()>& f) { return test::message_of<DataError>(f); }

}  // namespace

TEST(ClassifierTags, ReadsSubjectTagCountsAsPresence) {
  // tags derive's subject_tags.csv: subject_ids, then a count per tag (quoted names allowed).
  const auto path = write_file("subject_tags.csv", "subject_ids,core,\"bent, curved\"\ns1,2,0\ns2,0,1\n");
  const auto t = read_tag_table(path);
  ASSERT_EQ(t.tags, (std::vector<std::string>{"core", "bent, curved"}));
  EXPECT_EQ(t.rows.at("s1"), (std::vector<float>{1, 0}));
  const auto y = tag_targets_for(t, images_with_ids({"s2", "s1"}), "training");
  EXPECT_EQ(y.tags, 2);
  EXPECT_EQ(y.values, (std::vector<float>{0, 1, 1, 0}));
}

TEST(ClassifierTags, BadTablesGiveOneLine) {
  const auto t = read_tag_table(write_file("tags.csv", "id,core,bent\ns1,1,0\ns2,1,0\n"));
  const auto missing = message_of([&] { tag_targets_for(t, images_with_ids({"s1", "x7", "x8"}), "training"); });
  EXPECT_NE(missing.find("no tags for 2 of the 3 training images (e.g. 'x7')"), std::string::npos) << missing;
  const auto empty = message_of([&] { tag_targets_for(t, images_with_ids({"s1", "s2"}), "training"); });
  EXPECT_NE(empty.find("tag 'bent' is empty on the 2 training images"), std::string::npos) << empty;
  EXPECT_NO_THROW(tag_targets_for(t, images_with_ids({"s1"}), "validation", false));
  const auto blank = message_of([&] { read_tag_table(write_file("blank.csv", "id,core\ns1,\n")); });
  EXPECT_NE(blank.find("tag 'core' of 's1' is '', not a number"), std::string::npos) << blank;
  const auto no_tags = message_of([&] { read_tag_table(write_file("ids.csv", "id\ns1\n")); });
  EXPECT_NE(no_tags.find("no tag columns"), std::string::npos) << no_tags;
}

TEST(ClassifierTags, SyntheticTagsFollowTheDrawnComponents) {
  ClassifierDataOptions d;
  d.n_synthetic = 40;
  d.synthetic_size = 64;
  const auto t = synthetic_tag_table(d, 5);
  ASSERT_EQ(t.tags, (std::vector<std::string>{"core", "jets", "lobes", "bent"}));
  int bent = 0, faint_cores = 0;
  for (int i = 0; i < 40; ++i) {
    const auto& v = t.rows.at("synthetic-" + std::to_string(i));
    EXPECT_EQ(v[1], i % 2 == 0 ? 1.0f : 0.0f);  // FRI jets
    EXPECT_EQ(v[2], i % 2 == 1 ? 1.0f : 0.0f);  // FRII lobes
    if (i % 2 == 0) EXPECT_EQ(v[0], 1.0f);      // an FRI core is its brightest component
    if (i % 2 == 1) EXPECT_EQ(v[3], 0.0f);      // FRII sources are drawn straight
    bent += v[3] > 0;
    faint_cores += v[0] == 0;
  }
  EXPECT_GT(bent, 0);
  EXPECT_GT(faint_cores, 0);
}

TEST(ClassifierTags, SmallModelLearnsSyntheticComponentTags) {
  ClassifierDataOptions d;
  d.n_synthetic = 240;
  d.synthetic_size = 76;
  ClassifierTrainOptions t;
  t.deterministic = true;
  t.temperature = 0.01;  // the σ = 0.1 prior would otherwise hold 240 images' weights at zero
  t.epochs = 8;
  t.lr = 3e-3;
  LabelledImages tr, va;
  load_split(d, 11, tr, va);
  const auto dir = test::scratch_dir("classifier-tags-train");
  const auto r = train_tag_classifier_folder(t, d, synthetic_tag_table(d, 11), tr, va, 11, dir);
  ASSERT_EQ(r.val.size(), 4u);
  for (const auto& m : r.val) {
    if (m.tag == "bent") continue;  // a few positives per validation split: too noisy to bound
    EXPECT_GT(m.auc, 0.8) << m.tag;
  }
  EXPECT_TRUE(std::filesystem::exists(dir / "tag_metrics.csv"));
  auto model = Classifier::load(dir);
  EXPECT_TRUE(is_tag_model(model->config()));
  const auto p = predict_tag_probabilities(*model, va, 1);
  ASSERT_EQ(p.size(), va.size() * 4);
  for (double x : p) EXPECT_TRUE(x >= 0 && x <= 1);
}
