#pragma once
// A Galaxy Zoo-style decision tree as data: questions, their answers, and which
// answer leads to which question. Volunteers start at the first question and
// follow `next_question` until an answer ends the classification, so a galaxy's
// votes for a question deeper in the tree count only the volunteers who got there.
//
// The answers of all questions form one flat list (question 0's answers first, in
// file order): vote-count vectors, network outputs and catalogue columns are
// indexed by it, and answer_name(a) = "question_answer" (Zoobot's column names).
//
// File format (JSON; data/gz/decals_tree.json is the shipped GZ DECaLS-like tree):
//   {"name": "...", "questions": [{"name": "smooth-or-featured", "text": "...",
//     "ordered": false, "answers": [{"name": "smooth", "text": "...", "next": "how-rounded"}, ...]}, ...]}
// An answer without "next" (or with null) ends the classification. "ordered"
// marks answers that lie on a scale (bar strength, bulge size), so simulated
// volunteers confuse neighbouring answers rather than any two.
#include <cstdint>
#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace penumbra {

struct VoteAnswer {
  std::string name, text;
  int next_question = -1;  // -1: the classification ends here
};

struct VoteQuestion {
  std::string name, text;
  std::vector<VoteAnswer> answers;
  int first_answer = 0;  // index of answers[0] in the flat answer list
  bool ordered = false;  // answers on a scale: confusion goes to neighbours
};

class VoteTree {
 public:
  // Reads and validates a tree file; every problem is one line naming the file and
  // the question or answer (unknown next question, cycle, duplicate name, a
  // question with fewer than 2 answers, a question no path reaches).
  static VoteTree load(const std::filesystem::path& path);
  static VoteTree from_json(const nlohmann::json& j, const std::string& source = "vote tree");
  // The shipped GZ DECaLS-like tree (data/gz/decals_tree.json), found like the
  // default prior: next to the executable (../data, ../share/penumbra, ./data),
  // then in the source tree.
  static VoteTree decals();
  static std::filesystem::path decals_path();

  const std::string& name() const { return name_; }
  const std::vector<VoteQuestion>& questions() const { return questions_; }
  int question_count() const { return int(questions_.size()); }
  int answer_count() const { return int(answer_question_.size()); }
  int question_of_answer(int a) const;
  std::string answer_name(int a) const;  // "question_answer"
  // Index of a question by name, of an answer by "question_answer"; -1 when absent.
  int find_question(const std::string& name) const;
  int find_answer(const std::string& question_answer) const;
  std::vector<std::string> answer_names() const;
  nlohmann::json to_json() const;

 private:
  void validate(const std::string& source) const;
  std::string name_;
  std::vector<VoteQuestion> questions_;
  std::vector<int> answer_question_;  // flat answer → question
};

// Vote counts from vote fractions, for catalogues that give fractions only: every
// question whose fractions are known (finite and summing to > 0) gets exactly
// `assumed_total` votes, shared by the largest-remainder rule (floor of
// fraction·total, then the leftover votes to the largest remainders, ties to the
// earlier answer), so the counts sum to the total and round-trip exact fractions.
// Fractions within a question are renormalised to sum to 1; a question whose
// fractions are all NaN or all zero is unknown and gets 0 votes. `fractions` has
// tree.answer_count() values; a negative fraction is a DataError.
std::vector<std::int32_t> counts_from_fractions(const std::vector<double>& fractions, int assumed_total,
                                                const VoteTree& tree);

}  // namespace penumbra
