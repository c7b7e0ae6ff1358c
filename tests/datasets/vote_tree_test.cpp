// The decision tree as data: the shipped GZ DECaLS-like tree, the flat answer
// list, JSON round trip, the validation errors (one line each), and counts from
// fractions with an explicit total.
#include "src/datasets/vote_tree.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>

#include "src/core/errors.hpp"
#include "tests/support/paths.hpp"

using namespace penumbra;

namespace vote_tree_test {

nlohmann::json small_tree() {
  return nlohmann::json::parse(R"({"name": "t", "questions": [
    {"name": "a", "answers": [{"name": "x", "next": "b"}, {"name": "y"}]},
    {"name": "b", "answers": [{"name": "u"}, {"name": "v"}, {"name": "w"}]}]})");
}

// The one-line message of from_json on a broken copy of small_tree().
std::string error_of(const nlohmann::json& j) {
  try {
    VoteTree::from_json(j, "t.json");
  } catch (const DataError& e) {
    std::string m = e.what();
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
    return m;
  }
  ADD_FAILURE() << "no error for " << j.dump();
  return "";
}

}  // namespace vote_tree_test
using vote_tree_test::error_of;
using vote_tree_test::small_tree;

TEST(VoteTree, ShippedDecalsTreeHasTheGalaxyZooQuestions) {
  auto t = VoteTree::decals();
  EXPECT_EQ(t.question_count(), 11);
  EXPECT_EQ(t.answer_count(), 36);
  EXPECT_EQ(t.answer_name(0), "smooth-or-featured_smooth");
  EXPECT_EQ(t.questions()[0].name, "smooth-or-featured");
  for (const char* q : {"disk-edge-on", "has-spiral-arms", "bar", "spiral-winding", "spiral-arm-count", "bulge-size",
                        "how-rounded", "edge-on-bulge", "merging", "rings"})
    EXPECT_GE(t.find_question(q), 0) << q;
  // Which answer leads where.
  const auto& sf = t.questions()[0];
  EXPECT_EQ(sf.answers[0].next_question, t.find_question("how-rounded"));
  EXPECT_EQ(sf.answers[1].next_question, t.find_question("disk-edge-on"));
  EXPECT_EQ(sf.answers[2].next_question, -1);  // artifact ends it
  int bar = t.find_question("bar");
  EXPECT_EQ(t.questions()[bar].answers.size(), 3u);
  EXPECT_TRUE(t.questions()[bar].ordered);
  int arms = t.find_answer("spiral-arm-count_cant-tell");
  EXPECT_EQ(t.question_of_answer(arms), t.find_question("spiral-arm-count"));
  // The flat list: every question's answers are contiguous from first_answer.
  int a = 0;
  for (int q = 0; q < t.question_count(); ++q) {
    EXPECT_EQ(t.questions()[q].first_answer, a);
    for (std::size_t i = 0; i < t.questions()[q].answers.size(); ++i, ++a) EXPECT_EQ(t.question_of_answer(a), q);
  }
  EXPECT_THROW(t.question_of_answer(36), UsageError);
}

TEST(VoteTree, JsonRoundTripAndLoadFromFile) {
  auto t = VoteTree::decals();
  auto u = VoteTree::from_json(t.to_json());
  EXPECT_EQ(u.to_json(), t.to_json());
  EXPECT_EQ(u.answer_names(), t.answer_names());
  auto dir = test::scratch_dir("vote_tree");
  std::ofstream(dir / "t.json") << small_tree().dump();
  auto s = VoteTree::load(dir / "t.json");
  EXPECT_EQ(s.answer_count(), 5);
  EXPECT_EQ(s.answer_name(4), "b_w");
  EXPECT_THROW(VoteTree::load(dir / "missing.json"), MissingInputError);
  std::ofstream(dir / "bad.json") << "{\"questions\": [";
  EXPECT_THROW(VoteTree::load(dir / "bad.json"), DataError);
}

TEST(VoteTree, ValidationErrorsAreOneLineNamingTheProblem) {
  auto j = small_tree();
  j["questions"][0]["answers"][0]["next"] = "nowhere";
  EXPECT_NE(error_of(j).find("unknown question 'nowhere'"), std::string::npos);
  j = small_tree();
  j["questions"][1]["answers"][0]["next"] = "a";
  EXPECT_NE(error_of(j).find("cycle (a -> b -> a)"), std::string::npos);
  j = small_tree();
  j["questions"][1]["name"] = "a";
  EXPECT_NE(error_of(j).find("duplicate question name 'a'"), std::string::npos);
  j = small_tree();
  j["questions"][1]["answers"][1]["name"] = "u";
  EXPECT_NE(error_of(j).find("answer 'u' twice"), std::string::npos);
  j = small_tree();
  j["questions"][1]["answers"] = nlohmann::json::parse(R"([{"name": "only"}])");
  EXPECT_NE(error_of(j).find("question 'b' has 1 answer(s)"), std::string::npos);
  j = small_tree();
  j["questions"][0]["answers"][0].erase("next");
  EXPECT_NE(error_of(j).find("question 'b' is unreachable"), std::string::npos);
  j = small_tree();
  j["questions"][0].erase("answers");
  EXPECT_NE(error_of(j).find("question 'a': missing array \"answers\""), std::string::npos);
  EXPECT_NE(error_of(nlohmann::json::object()).find("non-empty array \"questions\""), std::string::npos);
}

TEST(VoteTree, CountsFromFractionsUseTheAssumedTotalAndLargestRemainders) {
  auto t = VoteTree::from_json(small_tree());
  const double nan = std::nan("");
  // Exact fractions round-trip; b's thirds share 10 votes as 4/3/3 (ties to the earlier answer).
  auto c = counts_from_fractions({0.3, 0.7, 1.0 / 3, 1.0 / 3, 1.0 / 3}, 10, t);
  EXPECT_EQ(c, (std::vector<std::int32_t>{3, 7, 4, 3, 3}));
  // Largest remainder: 0.46/0.54 of 5 = 2.3/2.7 → 2/3; unknown questions (NaN, or all zero) get no votes.
  c = counts_from_fractions({0.46, 0.54, nan, nan, nan}, 5, t);
  EXPECT_EQ(c, (std::vector<std::int32_t>{2, 3, 0, 0, 0}));
  c = counts_from_fractions({0.2, 0.6, 0, 0, 0}, 40, t);  // renormalised to 0.25/0.75
  EXPECT_EQ(c, (std::vector<std::int32_t>{10, 30, 0, 0, 0}));
  for (int total : {1, 7, 40}) {
    c = counts_from_fractions({0.123, 0.877, 0.05, 0.9, 0.05}, total, t);
    EXPECT_EQ(c[0] + c[1], total);
    EXPECT_EQ(c[2] + c[3] + c[4], total);
  }
  EXPECT_THROW(counts_from_fractions({-0.1, 1.1, 0, 0, 0}, 10, t), DataError);
  EXPECT_THROW(counts_from_fractions({0.5, 0.5}, 10, t), DataError);
  EXPECT_THROW(counts_from_fractions({0.5, 0.5, 0, 0, 0}, 0, t), UsageError);
}
