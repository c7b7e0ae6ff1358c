// Votes of an image catalogue for supervised/hybrid pretraining: Zoobot's
// question_answer (counts) and question_answer_fraction columns mapped onto the
// tree, a question's one missing fraction completed, questions given in part
// left unknown, and the one-line refusals (a column that is no answer of the
// tree, counts and fractions mixed in a question, fractions without a total).
#include <gtest/gtest.h>

#include <string>

#include "src/core/errors.hpp"
#include "src/core/run_folder.hpp"
#include "src/io/raster.hpp"
#include "src/pipelines/pretraining.hpp"
#include "tests/support/paths.hpp"

using namespace penumbra;

namespace {

std::filesystem::path write_catalogue(const std::filesystem::path& dir, const std::string& header,
                                      const std::vector<std::string>& rows) {
  std::filesystem::create_directories(dir / "images");
  std::string csv = "id,file_loc," + header + "\n";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    auto name = "images/g" + std::to_string(i) + ".png";
    Canvas(8, 8, Rgb{40, 50, 60}).write_png(dir / name);
    csv += "g" + std::to_string(i) + "," + name + "," + rows[i] + "\n";
  }
  write_text_atomic(dir / "catalog.csv", csv);
  return dir / "catalog.csv";
}

int votes_of(const PretrainData& d, std::int64_t row, const std::string& answer) {
  const int a = d.tree.find_answer(answer);
  EXPECT_GE(a, 0) << answer;
  return d.votes[row * d.tree.answer_count() + a];
}

}  // namespace

TEST(PretrainCatalogueVotes, ColumnsMapOntoTheTree) {
  auto dir = test::scratch_dir("pretrain_catalogue_votes");
  auto csv = write_catalogue(dir,
                             "smooth-or-featured_featured-or-disk_fraction,disk-edge-on_no_fraction,"
                             "has-spiral-arms_no_fraction,bar_strong,bar_weak,bar_no",
                             {"0.6,0.7,0.2,1,2,5", "0.6,,0.9,1,,5"});
  CatalogueVoteOptions v;
  v.columns = {"*_fraction", "bar_*"};
  v.assumed_total = 10;
  auto d = read_pretrain_data("catalogue:" + csv.string(), 0, -1, 8, 3, v);
  ASSERT_EQ(d.count, 2);
  ASSERT_TRUE(d.has_votes());
  ASSERT_EQ(d.votes.size(), 2u * d.tree.answer_count());
  // Two-answer questions: the missing answer is 1 − the given one, of 10 votes.
  EXPECT_EQ(votes_of(d, 0, "disk-edge-on_no"), 7);
  EXPECT_EQ(votes_of(d, 0, "disk-edge-on_yes"), 3);
  EXPECT_EQ(votes_of(d, 0, "has-spiral-arms_yes"), 8);
  EXPECT_EQ(votes_of(d, 0, "has-spiral-arms_no"), 2);
  // Counts are taken as they are.
  EXPECT_EQ(votes_of(d, 0, "bar_strong"), 1);
  EXPECT_EQ(votes_of(d, 0, "bar_weak"), 2);
  EXPECT_EQ(votes_of(d, 0, "bar_no"), 5);
  // One of three answers given: the split of the rest is unknown, so the question is.
  for (const char* a : {"smooth-or-featured_smooth", "smooth-or-featured_featured-or-disk", "smooth-or-featured_artifact"})
    EXPECT_EQ(votes_of(d, 0, a), 0) << a;
  // Row 1: an empty cell leaves its question unknown (no votes, no loss).
  EXPECT_EQ(votes_of(d, 1, "disk-edge-on_no") + votes_of(d, 1, "disk-edge-on_yes"), 0);
  EXPECT_EQ(votes_of(d, 1, "bar_strong") + votes_of(d, 1, "bar_no"), 0);
  EXPECT_EQ(votes_of(d, 1, "has-spiral-arms_no"), 9);
}

TEST(PretrainCatalogueVotes, BadColumnsAreOneLine) {
  auto dir = test::scratch_dir("pretrain_catalogue_votes_bad");
  auto csv = write_catalogue(dir, "ring,bar_strong,bar_weak_fraction,disk-edge-on_no_fraction", {"1,2,0.5,0.3"});
  const std::string spec = "catalogue:" + csv.string();
  auto message = [&](std::vector<std::string> columns, int total) -> std::string {
    CatalogueVoteOptions v;
    v.columns = std::move(columns);
    v.assumed_total = total;
    try {
      read_pretrain_data(spec, 0, -1, 8, 3, v);
    } catch (const Error& e) {
      return e.what();
    }
    return "accepted";
  };
  EXPECT_NE(message({"ring"}, 10).find("vote column 'ring' is no answer of the tree"), std::string::npos);
  EXPECT_NE(message({"bar_strong", "bar_weak_fraction"}, 10).find(
                "vote column 'bar_weak_fraction' mixes counts and fractions in question 'bar'"),
            std::string::npos);
  EXPECT_NE(message({"disk-edge-on_no_fraction"}, 0).find("assumed total must be given"), std::string::npos);
  EXPECT_EQ(message({"disk-edge-on_no_fraction"}, 10), "accepted");
}
