#pragma once
// The experts' categorical classifications: each row one expert's labels for
// one subject (a comma-separated list in one field). A class holds for a
// subject when at least `agreement` of the experts who classified it chose it.
#include <Eigen/Dense>

#include <filesystem>
#include <string>
#include <unordered_map>
#include <vector>

#include "src/semantics/csv_table.hpp"

namespace penumbra::semantics {

struct ExpertLabels {
  std::vector<std::string> classes;  // in order of first appearance
  // subject -> fraction of its experts that chose each class
  std::unordered_map<std::string, std::vector<double>> fractions;
  std::size_t rows = 0, empty_rows = 0;  // rows read; rows without a label (skipped)
};

ExpertLabels build_expert_labels(const CsvTable& table, const std::string& label_column = "annotations",
                                 const std::string& subject_column = "subject_ids");
ExpertLabels read_expert_labels(const std::filesystem::path& csv, const std::string& label_column = "annotations",
                                const std::string& subject_column = "subject_ids");

// Subjects × classes 0/1 at `agreement` (UsageError outside (0, 1]); a
// subject without expert rows is left out: `kept` lists the rows of `subjects`
// used, in order.
Eigen::MatrixXi class_matrix(const ExpertLabels& labels, const std::vector<std::string>& subjects, double agreement,
                             std::vector<std::size_t>& kept);

}  // namespace penumbra::semantics
