#include "src/datasets/vote_tree.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>

#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/shipped_data.hpp"

namespace penumbra {

namespace {

std::string string_field(const nlohmann::json& j, const char* key, const std::string& where) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_string())
    throw DataError(fmt::format("{}: missing string \"{}\"", where, key));
  return j[key].get<std::string>();
}

// Names of the `next` targets, kept aside until every question is known.
struct ParsedQuestion {
  VoteQuestion question;
  std::vector<std::string> next;
};

ParsedQuestion parse_question(const nlohmann::json& q, const std::string& source, std::size_t index) {
  ParsedQuestion out;
  out.question.name = string_field(q, "name", fmt::format("{}: question {}", source, index + 1));
  const std::string where = fmt::format("{}: question '{}'", source, out.question.name);
  out.question.text = q.value("text", out.question.name);
  out.question.ordered = q.value("ordered", false);
  if (!q.contains("answers") || !q["answers"].is_array())
    throw DataError(fmt::format("{}: missing array \"answers\"", where));
  for (const auto& a : q["answers"]) {
    VoteAnswer ans;
    ans.name = string_field(a, "name", where + " answer " + std::to_string(out.question.answers.size() + 1));
    ans.text = a.value("text", ans.name);
    std::string next;
    if (a.contains("next") && !a["next"].is_null()) {
      if (!a["next"].is_string())
        throw DataError(fmt::format("{} answer '{}': \"next\" must be a question name or null", where, ans.name));
      next = a["next"].get<std::string>();
    }
    out.question.answers.push_back(ans);
    out.next.push_back(next);
  }
  return out;
}

// Depth-first search from `q`; state 1 = on the current path, 2 = finished.
void find_cycle(const std::vector<VoteQuestion>& qs, int q, std::vector<int>& state, std::vector<int>& path,
                const std::string& source) {
  state[q] = 1;
  path.push_back(q);
  for (const auto& a : qs[q].answers) {
    if (a.next_question < 0) continue;
    if (state[a.next_question] == 1) {
      std::string loop;
      auto start = std::find(path.begin(), path.end(), a.next_question);
      for (auto it = start; it != path.end(); ++it) loop += qs[*it].name + " -> ";
      throw DataError(fmt::format("{}: the questions form a cycle ({}{})", source, loop, qs[a.next_question].name));
    }
    if (state[a.next_question] == 0) find_cycle(qs, a.next_question, state, path, source);
  }
  path.pop_back();
  state[q] = 2;
}

}  // namespace

VoteTree VoteTree::from_json(const nlohmann::json& j, const std::string& source) {
  if (!j.is_object() || !j.contains("questions") || !j["questions"].is_array() || j["questions"].empty())
    throw DataError(source + ": expected an object with a non-empty array \"questions\"");
  VoteTree t;
  t.name_ = j.value("name", std::string("vote tree"));
  std::vector<ParsedQuestion> parsed;
  std::map<std::string, int> index;
  for (std::size_t i = 0; i < j["questions"].size(); ++i) {
    parsed.push_back(parse_question(j["questions"][i], source, i));
    const auto& name = parsed.back().question.name;
    if (!index.emplace(name, int(i)).second)
      throw DataError(fmt::format("{}: duplicate question name '{}'", source, name));
  }
  for (auto& p : parsed) {
    auto& q = p.question;
    for (std::size_t a = 0; a < q.answers.size(); ++a) {
      if (p.next[a].empty()) continue;
      auto it = index.find(p.next[a]);
      if (it == index.end())
        throw DataError(fmt::format("{}: question '{}' answer '{}' leads to unknown question '{}'", source, q.name,
                                    q.answers[a].name, p.next[a]));
      q.answers[a].next_question = it->second;
    }
    q.first_answer = int(t.answer_question_.size());
    t.answer_question_.insert(t.answer_question_.end(), q.answers.size(), int(t.questions_.size()));
    t.questions_.push_back(q);
  }
  t.validate(source);
  return t;
}

void VoteTree::validate(const std::string& source) const {
  for (const auto& q : questions_) {
    if (q.answers.size() < 2)
      throw DataError(fmt::format("{}: question '{}' has {} answer(s); a question needs at least 2", source, q.name,
                                  q.answers.size()));
    std::set<std::string> seen;
    for (const auto& a : q.answers)
      if (!seen.insert(a.name).second)
        throw DataError(fmt::format("{}: question '{}' has the answer '{}' twice", source, q.name, a.name));
  }
  const int n = question_count();
  std::vector<int> state(n, 0), path;
  for (int q = 0; q < n; ++q)
    if (state[q] == 0) find_cycle(questions_, q, state, path, source);
  std::vector<bool> reached(n, false);
  std::vector<int> todo{0};
  reached[0] = true;
  while (!todo.empty()) {
    int q = todo.back();
    todo.pop_back();
    for (const auto& a : questions_[q].answers)
      if (a.next_question >= 0 && !reached[a.next_question]) todo.push_back(a.next_question), reached[a.next_question] = true;
  }
  for (int q = 0; q < n; ++q)
    if (!reached[q])
      throw DataError(fmt::format("{}: question '{}' is unreachable from the first question '{}'", source,
                                  questions_[q].name, questions_[0].name));
}

VoteTree VoteTree::load(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw MissingInputError(fmt::format("vote tree {}: cannot open the file", path.string()));
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw DataError(fmt::format("vote tree {}: not valid JSON (byte {})", path.string(), e.byte));
  }
  return from_json(j, "vote tree " + path.string());
}

std::filesystem::path VoteTree::decals_path() {
#ifdef PENUMBRA_SOURCE_DIR
  const std::string source = PENUMBRA_SOURCE_DIR;
#else
  const std::string source;
#endif
  return find_shipped_data("gz/decals_tree.json", "vote tree", source, "give a tree file");
}

VoteTree VoteTree::decals() { return load(decals_path()); }

int VoteTree::question_of_answer(int a) const {
  if (a < 0 || a >= answer_count())
    throw UsageError(fmt::format("answer index {} out of range [0, {})", a, answer_count()));
  return answer_question_[a];
}

std::string VoteTree::answer_name(int a) const {
  const auto& q = questions_[question_of_answer(a)];
  return q.name + "_" + q.answers[a - q.first_answer].name;
}

std::vector<std::string> VoteTree::answer_names() const {
  std::vector<std::string> out;
  for (int a = 0; a < answer_count(); ++a) out.push_back(answer_name(a));
  return out;
}

int VoteTree::find_question(const std::string& name) const {
  for (int q = 0; q < question_count(); ++q)
    if (questions_[q].name == name) return q;
  return -1;
}

int VoteTree::find_answer(const std::string& question_answer) const {
  for (int a = 0; a < answer_count(); ++a)
    if (answer_name(a) == question_answer) return a;
  return -1;
}

nlohmann::json VoteTree::to_json() const {
  nlohmann::json qs = nlohmann::json::array();
  for (const auto& q : questions_) {
    nlohmann::json answers = nlohmann::json::array();
    for (const auto& a : q.answers) {
      nlohmann::json ja{{"name", a.name}, {"text", a.text}};
      if (a.next_question >= 0) ja["next"] = questions_[a.next_question].name;
      answers.push_back(ja);
    }
    nlohmann::json jq{{"name", q.name}, {"text", q.text}, {"answers", answers}};
    if (q.ordered) jq["ordered"] = true;
    qs.push_back(jq);
  }
  return {{"name", name_}, {"questions", qs}};
}

std::vector<std::int32_t> counts_from_fractions(const std::vector<double>& fractions, int assumed_total,
                                                const VoteTree& tree) {
  require_positive("assumed vote total", assumed_total);
  if (int(fractions.size()) != tree.answer_count())
    throw DataError(fmt::format("vote fractions: {} values for a tree with {} answers", fractions.size(),
                                tree.answer_count()));
  std::vector<std::int32_t> counts(fractions.size(), 0);
  for (const auto& q : tree.questions()) {
    const int k = int(q.answers.size()), a0 = q.first_answer;
    double sum = 0;
    for (int i = 0; i < k; ++i) {
      double f = fractions[a0 + i];
      if (f < 0) throw DataError(fmt::format("vote fractions: {} = {} is negative", tree.answer_name(a0 + i), f));
      if (std::isfinite(f)) sum += f;
    }
    if (!(sum > 0)) continue;  // unknown question
    std::vector<double> remainder(k);
    int given = 0;
    for (int i = 0; i < k; ++i) {
      double f = std::isfinite(fractions[a0 + i]) ? fractions[a0 + i] / sum : 0.0;
      double exact = f * assumed_total;
      counts[a0 + i] = std::int32_t(std::floor(exact + 1e-9));
      remainder[i] = exact - counts[a0 + i];
      given += counts[a0 + i];
    }
    std::vector<int> order(k);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int x, int y) { return remainder[x] > remainder[y]; });
    for (int i = 0; given < assumed_total; ++i, ++given) ++counts[a0 + order[i % k]];
  }
  return counts;
}

}  // namespace penumbra
