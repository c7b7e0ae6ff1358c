#include "src/semantics/expert_labels.hpp"

#include <algorithm>

#include "src/core/checks.hpp"

namespace penumbra::semantics {

ExpertLabels build_expert_labels(const CsvTable& table, const std::string& label_column,
                                 const std::string& subject_column) {
  const std::size_t lc = table.column(label_column), sc = table.column(subject_column);
  ExpertLabels e;
  std::unordered_map<std::string, std::size_t> class_id, experts;
  std::unordered_map<std::string, std::vector<double>> votes;
  for (const auto& row : table.rows) {
    ++e.rows;
    std::vector<std::size_t> chosen;
    std::size_t start = 0;
    const std::string& field = row[lc];
    while (start <= field.size()) {
      std::size_t end = std::min(field.find(',', start), field.size());
      std::string name = field.substr(start, end - start);
      name.erase(0, name.find_first_not_of(" \t"));
      name.erase(name.find_last_not_of(" \t") + 1);
      if (!name.empty()) {
        auto [it, fresh] = class_id.emplace(name, e.classes.size());
        if (fresh) e.classes.push_back(name);
        if (std::find(chosen.begin(), chosen.end(), it->second) == chosen.end()) chosen.push_back(it->second);
      }
      start = end + 1;
    }
    if (chosen.empty()) {
      ++e.empty_rows;
      continue;
    }
    auto& v = votes[row[sc]];
    ++experts[row[sc]];
    for (std::size_t c : chosen) {
      if (v.size() <= c) v.resize(c + 1, 0.0);
      v[c] += 1;
    }
  }
  for (auto& [subject, v] : votes) {
    v.resize(e.classes.size(), 0.0);
    for (double& x : v) x /= double(experts[subject]);
    e.fractions.emplace(subject, v);
  }
  return e;
}

ExpertLabels read_expert_labels(const std::filesystem::path& csv, const std::string& label_column,
                                const std::string& subject_column) {
  return build_expert_labels(read_csv(csv), label_column, subject_column);
}

Eigen::MatrixXi class_matrix(const ExpertLabels& labels, const std::vector<std::string>& subjects, double agreement,
                             std::vector<std::size_t>& kept) {
  if (!(agreement > 0 && agreement <= 1)) fail_check("agreement", "in (0, 1]", agreement);
  kept.clear();
  for (std::size_t s = 0; s < subjects.size(); ++s)
    if (labels.fractions.count(subjects[s])) kept.push_back(s);
  Eigen::MatrixXi y = Eigen::MatrixXi::Zero(Eigen::Index(kept.size()), Eigen::Index(labels.classes.size()));
  for (std::size_t i = 0; i < kept.size(); ++i) {
    const auto& f = labels.fractions.at(subjects[kept[i]]);
    for (std::size_t c = 0; c < f.size(); ++c) y(Eigen::Index(i), Eigen::Index(c)) = f[c] >= agreement - 1e-12 ? 1 : 0;
  }
  return y;
}

}  // namespace penumbra::semantics
