// `penumbra tags derive` and `tags evaluate` end to end on small CSVs, and
// their one-line errors for bad input (issue 25).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/support/paths.hpp"

using namespace penumbra::test;

namespace {

std::string row(int index, const std::string& text, int subject) {
  return std::to_string(index) + ",1,1,1," + text + "," + std::to_string(1000 + subject) + "\n";
}

// 40 subjects: the even ones bent tails (expert class "Bent tail"), the odd ones compact ("Single").
std::filesystem::path write_corpus(const std::string& name) {
  const auto dir = scratch_dir(name);
  std::string annotations = ",classification_id,user_id,workflow_id,annotations,subject_ids\n";
  std::string experts = annotations;
  const char* bent[] = {"\"bent tail, faint core\"", "curved tail", "\"bent, two lobes\"", "bent jets"};
  const char* compact[] = {"compact", "\"compact, point like\"", "small round source", "\"compact, no host\""};
  int n = 0;
  for (int s = 0; s < 40; ++s) {
    for (int a = 0; a < 4; ++a) annotations += row(n++, (s % 2 ? compact : bent)[(s + a) % 4], s);
    experts += row(n++, s % 2 ? "Single" : "\"Bent tail,Fanaroff and Riley Class 1 (FR I)\"", s);
  }
  annotations += row(n++, "", 41);  // an empty annotation: skipped and counted
  annotations += row(n++, "compact", 42);  // a subject no expert classified: skipped and counted
  std::ofstream(dir / "annotations.csv") << annotations;
  std::ofstream(dir / "experts.csv") << experts;
  std::ofstream(dir / "no_columns.csv") << "id,text\n1,bent\n";
  return dir;
}

nlohmann::json results(const std::filesystem::path& out) {
  std::ifstream in(out / "run.json");
  return nlohmann::json::parse(in)["results"];
}

bool wordnet_missing(const std::string& output) { return output.find("WordNet is not available") != std::string::npos; }

TEST(TagsCommand, DeriveWritesTheTaxonomyAndCountsSkippedRows) {
  const auto dir = write_corpus("tags_derive");
  std::string out;
  const int rc = run_command(penumbra_bin() + " --out " + (dir / "run").string() + " tags derive " +
                                 (dir / "annotations.csv").string() + " --tags 4",
                             &out);
  if (wordnet_missing(out)) GTEST_SKIP() << "WordNet is not installed";
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("skipped: 1 empty"), std::string::npos) << out;
  const auto r = results(dir / "run");
  EXPECT_EQ(r["tags"], 4);
  EXPECT_EQ(r["empty_annotations_skipped"], 1);
  EXPECT_EQ(r["subjects"], 41);
  for (const char* f : {"taxonomy.csv", "taxonomy.md", "subject_tags.csv"})
    EXPECT_TRUE(std::filesystem::exists(dir / "run" / f)) << f;
}

TEST(TagsCommand, EvaluateSeparatesTwoKnownClasses) {
  const auto dir = write_corpus("tags_evaluate");
  std::string out;
  const int rc = run_command(penumbra_bin() + " --out " + (dir / "run").string() + " tags evaluate " +
                                 (dir / "annotations.csv").string() + " --experts " + (dir / "experts.csv").string() +
                                 " --tag-counts 2,4 --agreement 0.5 --folds 4 --trees 10 --bootstrap 20 "
                                 "--min-positives 4 --importance-tags 4 --importance-agreement 0.5",
                             &out);
  if (wordnet_missing(out)) GTEST_SKIP() << "WordNet is not installed";
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("1 annotated without an expert classification"), std::string::npos) << out;
  const auto r = results(dir / "run");
  EXPECT_EQ(r["subjects_without_experts_skipped"], 1);
  ASSERT_EQ(r["rows"].size(), 4u);
  for (const auto& w : r["rows"]) EXPECT_GT(w["micro_f1"].get<double>(), 0.95) << w.dump();
  for (const char* f : {"f1_vs_tags.csv", "f1_vs_tags.png", "class_tags.md"})
    EXPECT_TRUE(std::filesystem::exists(dir / "run" / f)) << f;
}

TEST(TagsCommand, BadInputIsOneLine) {
  const auto dir = write_corpus("tags_bad_input");
  const std::string csv = (dir / "annotations.csv").string();
  struct Case {
    std::string args, message;
    int rc;
  };
  const std::vector<Case> cases = {
      {"tags derive " + csv + " --threshold 1.5", "--threshold must be in (0, 1], got 1.5", 64},
      {"tags derive " + csv + " --threshold 0", "--threshold must be in (0, 1], got 0", 64},
      {"tags evaluate " + csv + " --experts " + csv + " --agreement 0", "--agreement must be in (0, 1], got 0", 64},
      {"tags derive " + (dir / "no_columns.csv").string(), "has no column 'annotations' (columns: id, text)", 65},
      {"tags derive " + (dir / "absent.csv").string(), "cannot read", 66},
  };
  for (const Case& c : cases) {
    std::string out;
    const int rc = run_command(penumbra_bin() + " --out " + (dir / "run").string() + " " + c.args, &out);
    if (wordnet_missing(out)) GTEST_SKIP() << "WordNet is not installed";
    EXPECT_EQ(rc, c.rc) << c.args << "\n" << out;
    EXPECT_NE(out.find(c.message), std::string::npos) << c.args << "\n" << out;
    std::size_t errors = 0;
    for (std::size_t at = out.find("error"); at != std::string::npos; at = out.find("error", at + 1)) ++errors;
    EXPECT_EQ(errors, 1u) << out;
  }
}

}  // namespace
