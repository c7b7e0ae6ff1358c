// The whole pipeline (derive, then evaluate) on a slice of the real Radio
// Galaxy Zoo EMU files, and the bad inputs of issue 25: missing columns, empty
// annotations, subjects without expert classification, thresholds outside (0, 1].
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "src/core/errors.hpp"
#include "src/semantics/tag_study.hpp"
#include "src/semantics/wordnet_lexicon.hpp"
#include "tests/support/paths.hpp"

namespace penumbra::semantics {
namespace {

// The first `subjects` subjects' rows of a CSV (all rows of those subjects).
CsvTable slice(const CsvTable& t, std::size_t subjects) {
  CsvTable out = t;
  out.rows.clear();
  std::vector<std::string> kept;
  const std::size_t col = t.column("subject_ids");
  for (const auto& row : t.rows) {
    if (std::find(kept.begin(), kept.end(), row[col]) == kept.end()) {
      if (kept.size() == subjects) continue;
      kept.push_back(row[col]);
    }
    out.rows.push_back(row);
  }
  return out;
}

TEST(TagPipeline, DeriveAndEvaluateOnASliceOfTheRealFiles) {
  if (!wordnet_available()) GTEST_SKIP() << "WordNet (wordnet-dev, wordnet-base) is not installed";
  const auto dir = test::shared_data("rgz_emu_annotations");
  if (dir.empty()) GTEST_SKIP() << "../shared/data/rgz_emu_annotations is absent";
  const CsvTable annotations = slice(read_csv(dir / "english_annotations.csv"), 120);
  const ExpertLabels experts = read_expert_labels(dir / "expert_classifications.csv");
  DeriveSettings ds;
  ds.tags = 30;
  const DerivedTags d = derive_tags(build_corpus(annotations), ds);
  EXPECT_EQ(d.corpus.subjects.size(), 120u);
  EXPECT_EQ(d.taxonomy.tags.size(), 30u);
  StudySettings s;
  s.tag_counts = {10, 30};
  s.agreements = {0.5};
  s.evaluation.folds = 5;
  s.evaluation.trees = 20;
  s.evaluation.bootstrap = 50;
  s.evaluation.min_positives = 5;
  s.importance_tags = 30;
  const StudyResult r = run_tag_study(d, experts, s);
  ASSERT_EQ(r.rows.size(), 4u);  // 2 tag counts × 2 classifiers
  for (const StudyRow& row : r.rows) {
    EXPECT_EQ(row.subjects, 120u);
    EXPECT_GT(row.f1.micro, 0.3) << row.classifier << " " << row.tags;  // 'Single' alone is common
    EXPECT_LE(row.low.weighted, row.f1.weighted);
  }
  EXPECT_EQ(r.subjects_without_experts, 0u);
  EXPECT_EQ(r.experts_without_annotations, 299u - 120u);
  EXPECT_FALSE(r.explanations.empty());
  const auto out = test::scratch_dir("tag_pipeline");
  write_study_csv(out / "f1.csv", r);
  write_study_plot(out / "f1.png", r);
  write_taxonomy_csv(out / "taxonomy.csv", d.corpus, d.taxonomy);
  EXPECT_EQ(read_csv(out / "taxonomy.csv").rows.size(), 30u);
  EXPECT_GT(std::filesystem::file_size(out / "f1.png"), 1000u);
}

TEST(TagPipeline, BadInputIsOneClearLineAndSkippedRowsAreCounted) {
  if (!wordnet_available()) GTEST_SKIP() << "WordNet (wordnet-dev, wordnet-base) is not installed";
  try {
    build_corpus(parse_csv("id,text\n1,bent\n", "notes.csv"));
    FAIL();
  } catch (const DataError& e) {
    EXPECT_EQ(std::string(e.what()), "notes.csv has no column 'annotations' (columns: id, text)");
  }
  const AnnotationCorpus c =
      build_corpus(parse_csv(",annotations,subject_ids\n0,\"bent, the\",1\n1,,2\n2,nan,2\n3,compact,3\n"));
  EXPECT_EQ(c.annotations, 4u);
  EXPECT_EQ(c.empty_annotations, 2u);
  EXPECT_EQ(c.dropped_phrases, 1u);  // "the"
  EXPECT_EQ(c.subjects.size(), 2u);
  const ExpertLabels e = build_expert_labels(parse_csv("annotations,subject_ids\n\"Single,Double\",1\n,1\nSingle,9\n"));
  EXPECT_EQ(e.empty_rows, 1u);
  std::vector<std::size_t> kept;
  const Eigen::MatrixXi y = class_matrix(e, c.subjects, 0.5, kept);
  EXPECT_EQ(kept, (std::vector<std::size_t>{0}));  // subject 3 has no expert classification
  EXPECT_EQ(y.row(0).sum(), 2);
  for (double bad : {0.0, -0.1, 1.5}) {
    DeriveSettings ds;
    ds.threshold = bad;
    try {
      ds.validate();
      FAIL();
    } catch (const UsageError& err) {
      EXPECT_NE(std::string(err.what()).find("threshold must be in (0, 1]"), std::string::npos) << err.what();
    }
    EXPECT_THROW(class_matrix(e, c.subjects, bad, kept), UsageError);
  }
}

}  // namespace
}  // namespace penumbra::semantics
