#pragma once
// `penumbra tags evaluate` as a library call: the dendrogram of a derived
// taxonomy cut at several tag counts, each cut scored against the expert
// classes at several agreement thresholds, and the tags that explain each
// class best (permutation importance) at one compact cut.
#include <filesystem>
#include <string>
#include <vector>

#include "src/semantics/expert_labels.hpp"
#include "src/semantics/tag_derivation.hpp"
#include "src/semantics/tag_evaluation.hpp"

namespace penumbra::semantics {

struct StudySettings {
  EvaluationSettings evaluation;
  std::vector<std::string> classifiers = {"forest", "logistic"};
  std::vector<std::size_t> tag_counts = {10, 20, 40, 75, 150, 300};
  std::vector<double> agreements = {0.2, 0.5, 0.8};
  std::size_t importance_tags = 40;   // the cut whose tags are ranked per class
  double importance_agreement = 0.2;  // low, so that rare classes (WAT, NAT) are ranked too
  void validate() const;
};

struct StudyRow {
  std::string classifier;
  double agreement = 0;
  std::size_t tags = 0, classes = 0, subjects = 0;
  F1Scores f1, low, high;
};

struct ClassExplanation {
  std::string expert_class;
  std::size_t positives = 0;
  double f1 = 0, auc = 0;
  std::vector<std::pair<std::string, double>> tags;  // most important first (top 5, AUC drop > 0.005)
};

struct StudyResult {
  std::vector<StudyRow> rows;
  std::vector<ClassExplanation> explanations;
  std::size_t subjects_without_experts = 0;   // annotated subjects left out
  std::size_t experts_without_annotations = 0;  // classified subjects with no annotation
  std::size_t expert_rows = 0, empty_expert_rows = 0;
};

StudyResult run_tag_study(const DerivedTags& derived, const ExpertLabels& experts, const StudySettings& s);

void write_study_csv(const std::filesystem::path& path, const StudyResult& r);
void write_explanations_markdown(const std::filesystem::path& path, const StudyResult& r);
// F1 (micro solid, weighted dashed) against tag count, one line per classifier and agreement.
void write_study_plot(const std::filesystem::path& path, const StudyResult& r);

}  // namespace penumbra::semantics
