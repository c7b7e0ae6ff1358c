#include "src/semantics/tag_study.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <numeric>

#include "src/core/checks.hpp"
#include <spdlog/spdlog.h>
#include "src/core/run_folder.hpp"
#include "src/io/png.hpp"

namespace penumbra::semantics {

void StudySettings::validate() const {
  evaluation.validate();
  for (const auto& c : classifiers) require_in("classifier", c, {"forest", "logistic"});
  for (double a : agreements)
    if (!(a > 0 && a <= 1)) fail_check("agreement", "in (0, 1]", a);
  for (std::size_t t : tag_counts) require_positive("tag counts", t);
  require_positive("importance tags", importance_tags);
}

namespace {

std::vector<ClassExplanation> explain(const DerivedTags& d, const ExpertLabels& experts, const StudySettings& s) {
  const TagTaxonomy t = taxonomy_with(d, s.importance_tags);
  std::vector<std::size_t> kept;
  const Eigen::MatrixXi y = class_matrix(experts, d.corpus.subjects, s.importance_agreement, kept);
  const Eigen::MatrixXd x = subject_tag_counts(d.corpus, t)(kept, Eigen::all);
  EvaluationSettings e = s.evaluation;
  e.classifier = "forest";
  e.bootstrap = 0;
  const CrossValidated cv = cross_validate(x, y, e);
  const Eigen::MatrixXd imp = permutation_importance(x, y, cv, e);
  std::vector<ClassExplanation> out;
  for (std::size_t j = 0; j < cv.classes.size(); ++j) {
    ClassExplanation c{experts.classes[cv.classes[j]], std::size_t(y.col(Eigen::Index(cv.classes[j])).sum()),
                       cv.class_f1[j], cv.class_auc[j], {}};
    std::vector<Eigen::Index> order(std::size_t(imp.rows()));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](auto a, auto b) { return imp(a, Eigen::Index(j)) > imp(b, Eigen::Index(j)); });
    for (std::size_t r = 0; r < std::min<std::size_t>(5, order.size()); ++r)
      if (imp(order[r], Eigen::Index(j)) > 0.005)
        c.tags.emplace_back(t.tags[std::size_t(order[r])].name, imp(order[r], Eigen::Index(j)));
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace

StudyResult run_tag_study(const DerivedTags& d, const ExpertLabels& experts, const StudySettings& s) {
  s.validate();
  StudyResult r;
  r.expert_rows = experts.rows;
  r.empty_expert_rows = experts.empty_rows;
  std::vector<std::size_t> kept;
  class_matrix(experts, d.corpus.subjects, 1.0, kept);
  r.subjects_without_experts = d.corpus.subjects.size() - kept.size();
  r.experts_without_annotations = experts.fractions.size() - kept.size();
  for (std::size_t tags : s.tag_counts) {
    const TagTaxonomy t = taxonomy_with(d, tags);
    const Eigen::MatrixXd counts = subject_tag_counts(d.corpus, t);
    for (double agreement : s.agreements) {
      const Eigen::MatrixXi y = class_matrix(experts, d.corpus.subjects, agreement, kept);
      for (const std::string& classifier : s.classifiers) {
        EvaluationSettings e = s.evaluation;
        e.classifier = classifier;
        const CrossValidated cv = cross_validate(counts(kept, Eigen::all), y, e);
        r.rows.push_back({classifier, agreement, t.tags.size(), cv.classes.size(), kept.size(), cv.f1, cv.low, cv.high});
        spdlog::info("tags {} agreement {} {}: micro F1 {:.3f} weighted {:.3f} macro {:.3f}", t.tags.size(), agreement,
                 classifier, cv.f1.micro, cv.f1.weighted, cv.f1.macro);
      }
    }
  }
  r.explanations = explain(d, experts, s);
  return r;
}

namespace {
void write_text(const std::filesystem::path& path, const std::string& text) {
  write_atomic(path, [&](const std::filesystem::path& tmp) { std::ofstream(tmp) << text; });
}
}  // namespace

void write_study_csv(const std::filesystem::path& path, const StudyResult& r) {
  std::string text =
      "classifier,agreement,tags,classes,subjects,micro_f1,micro_low,micro_high,weighted_f1,weighted_low,"
      "weighted_high,macro_f1,macro_low,macro_high\n";
  for (const StudyRow& w : r.rows)
    text += fmt::format("{},{},{},{},{},{:.4f},{:.4f},{:.4f},{:.4f},{:.4f},{:.4f},{:.4f},{:.4f},{:.4f}\n", w.classifier,
                        w.agreement, w.tags, w.classes, w.subjects, w.f1.micro, w.low.micro, w.high.micro,
                        w.f1.weighted, w.low.weighted, w.high.weighted, w.f1.macro, w.low.macro, w.high.macro);
  write_text(path, text);
}

void write_explanations_markdown(const std::filesystem::path& path, const StudyResult& r) {
  std::string text =
      "| expert class | subjects | CV F1 | CV AUC | tags that explain it (drop of AUC when shuffled) |\n"
      "|---|---|---|---|---|\n";
  for (const auto& c : r.explanations) {
    std::string tags;
    for (const auto& [name, v] : c.tags) tags += fmt::format("{}{} ({:.3f})", tags.empty() ? "" : ", ", name, v);
    text += fmt::format("| {} | {} | {:.2f} | {:.2f} | {} |\n", c.expert_class, c.positives, c.f1, c.auc,
                        tags.empty() ? "-" : tags);
  }
  write_text(path, text);
}

void write_study_plot(const std::filesystem::path& path, const StudyResult& r) {
  std::vector<Series> series;
  for (const StudyRow& w : r.rows) {
    const std::string key = fmt::format("{} {}", w.classifier, w.agreement);
    auto it = std::find_if(series.begin(), series.end(), [&](const Series& s) { return s.label == "micro " + key; });
    if (it == series.end()) {
      series.push_back({{}, {}, "micro " + key, false});
      series.push_back({{}, {}, "weighted " + key, true});
      it = series.end() - 2;
    }
    it->x.push_back(double(w.tags));
    it->y.push_back(w.f1.micro);
    (it + 1)->x.push_back(double(w.tags));
    (it + 1)->y.push_back(w.f1.weighted);
  }
  LinePlot plot{"Expert classes from tags: cross-validated F1", "number of tags", "F1", true, false, {}, {}, 0.0, 1.0};
  write_line_plot_png(path, series, plot);
}

}  // namespace penumbra::semantics
