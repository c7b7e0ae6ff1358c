// penumbra tags: semantic class targets from plain-English annotations (docs/semantics.md).
//   penumbra tags derive ANNOTATIONS.csv [--threshold 0.5 | --tags N] [--dimensions 25]
//   penumbra tags evaluate ANNOTATIONS.csv --experts EXPERTS.csv [--tag-counts 10,20,40,75,150,300]
//                          [--agreement 0.2,0.4,0.5,0.6,0.8] [--classifier forest,logistic] [--folds 10]
// derive writes taxonomy.csv, taxonomy.md and subject_tags.csv; evaluate writes f1_vs_tags.csv,
// f1_vs_tags.png and class_tags.md (the tags that best explain each expert class).
#include <fmt/format.h>

#include <memory>

#include <nlohmann/json.hpp>

#include "src/cli/commands.hpp"
#include "src/core/errors.hpp"
#include "src/semantics/tag_study.hpp"
#include "src/semantics/wordnet_lexicon.hpp"

namespace penumbra::cli {

namespace {

using namespace penumbra::semantics;

struct TagsOptions {
  std::string annotations, experts;
  DeriveSettings derive;
  StudySettings study;
};

void add_input_options(CLI::App* app, TagsOptions& o) {
  app->add_option("annotations", o.annotations, "Annotations CSV (one free-text description per row)")->required();
  app->add_option("--text-column", o.derive.columns.text, "Column of the free text")->capture_default_str();
  app->add_option("--subject-column", o.derive.columns.subject, "Column of the subject id")->capture_default_str();
  app->add_option("--dimensions", o.derive.dimensions, "Dimensions of the corpus word vectors")->capture_default_str();
  app->add_option("--linkage", o.derive.linkage, "Clustering: average or complete linkage")->capture_default_str();
  app->add_option("--min-count", o.derive.min_count, "Phrases written fewer times join their nearest tag")
      ->capture_default_str();
}

void print_corpus(const AnnotationCorpus& c) {
  fmt::print("annotations {} (skipped: {} empty), phrases {} ({} distinct, {} of stop words only skipped), "
             "subjects {}\n",
             c.annotations, c.empty_annotations, c.phrase_occurrences(), c.phrases.size(), c.dropped_phrases,
             c.subjects.size());
}

void run_derive(RunFolder& run, const TagsOptions& o) {
  const DerivedTags d = derive_tags(o.annotations, o.derive);
  print_corpus(d.corpus);
  write_taxonomy_csv(run.path("taxonomy.csv"), d.corpus, d.taxonomy);
  write_taxonomy_markdown(run.path("taxonomy.md"), d.corpus, d.taxonomy);
  write_subject_tags_csv(run.path("subject_tags.csv"), d.corpus, d.taxonomy);
  fmt::print("tags {}\n", d.taxonomy.tags.size());
  for (std::size_t i = 0; i < std::min<std::size_t>(15, d.taxonomy.tags.size()); ++i)
    fmt::print("  {:<28} {:>5}  ({} phrases)\n", d.taxonomy.tags[i].name, d.taxonomy.tags[i].count,
               d.taxonomy.tags[i].phrases.size());
  run.finish({{"annotations", d.corpus.annotations},
              {"empty_annotations_skipped", d.corpus.empty_annotations},
              {"phrases", d.corpus.phrase_occurrences()},
              {"distinct_phrases", d.corpus.phrases.size()},
              {"stop_word_phrases_skipped", d.corpus.dropped_phrases},
              {"subjects", d.corpus.subjects.size()},
              {"tags", d.taxonomy.tags.size()}});
  fmt::print("{}\n", run.path("taxonomy.csv").string());
}

void print_rows(const StudyResult& r) {
  fmt::print("{:<9} {:>9} {:>5} {:>7} {:>22} {:>22} {:>22}\n", "model", "agreement", "tags", "classes",
             "micro F1 [95%]", "weighted F1 [95%]", "macro F1 [95%]");
  for (const StudyRow& w : r.rows)
    fmt::print("{:<9} {:>9} {:>5} {:>7} {:>6.3f} [{:.3f}, {:.3f}] {:>6.3f} [{:.3f}, {:.3f}] {:>6.3f} [{:.3f}, {:.3f}]\n",
               w.classifier, w.agreement, w.tags, w.classes, w.f1.micro, w.low.micro, w.high.micro, w.f1.weighted,
               w.low.weighted, w.high.weighted, w.f1.macro, w.low.macro, w.high.macro);
}

void run_evaluate(RunFolder& run, std::uint64_t seed, TagsOptions& o) {
  o.study.evaluation.seed = seed;
  const ExpertLabels experts = read_expert_labels(o.experts);
  const DerivedTags d = derive_tags(o.annotations, o.derive);
  print_corpus(d.corpus);
  const StudyResult r = run_tag_study(d, experts, o.study);
  fmt::print("expert rows {} (skipped: {} without a class); subjects skipped: {} annotated without an expert "
             "classification, {} classified without annotations\n",
             r.expert_rows, r.empty_expert_rows, r.subjects_without_experts, r.experts_without_annotations);
  print_rows(r);
  write_study_csv(run.path("f1_vs_tags.csv"), r);
  write_study_plot(run.path("f1_vs_tags.png"), r);
  write_explanations_markdown(run.path("class_tags.md"), r);
  nlohmann::json rows = nlohmann::json::array();
  for (const StudyRow& w : r.rows)
    rows.push_back({{"classifier", w.classifier}, {"agreement", w.agreement}, {"tags", w.tags},
                    {"micro_f1", w.f1.micro}, {"weighted_f1", w.f1.weighted}, {"macro_f1", w.f1.macro}});
  run.finish({{"rows", rows},
              {"empty_annotations_skipped", d.corpus.empty_annotations},
              {"empty_expert_rows_skipped", r.empty_expert_rows},
              {"subjects_without_experts_skipped", r.subjects_without_experts},
              {"experts_without_annotations_skipped", r.experts_without_annotations}});
  fmt::print("{}\n", run.path("f1_vs_tags.csv").string());
}

CLI::App* add_evaluate(CLI::App* app, TagsOptions& o) {
  auto* ev = app->add_subcommand("evaluate", "Cross-validated F1 of the expert classes predicted from tag counts");
  add_input_options(ev, o);
  ev->add_option("--experts", o.experts, "Expert classifications CSV (labels per row, comma-separated)")->required();
  auto& s = o.study;
  ev->add_option("--tag-counts", s.tag_counts, "Numbers of tags to cut the taxonomy at")->delimiter(',')->capture_default_str();
  ev->add_option("--agreement", s.agreements, "Fractions of experts that must agree on a class")->delimiter(',')->capture_default_str();
  ev->add_option("--classifier", s.classifiers, "forest and/or logistic")->delimiter(',')->capture_default_str();
  ev->add_option("--folds", s.evaluation.folds, "Stratified cross-validation folds")->capture_default_str();
  ev->add_option("--trees", s.evaluation.trees, "Trees per random forest")->capture_default_str();
  ev->add_option("--l2", s.evaluation.l2, "L2 penalty of the logistic regression (standardised tags)")->capture_default_str();
  ev->add_option("--bootstrap", s.evaluation.bootstrap, "Bootstrap resamples of the F1 interval")->capture_default_str();
  ev->add_option("--min-positives", s.evaluation.min_positives, "Smallest class (subjects) that is evaluated")->capture_default_str();
  ev->add_option("--importance-tags", s.importance_tags, "Tag count at which tags are ranked per class")->capture_default_str();
  ev->add_option("--importance-agreement", s.importance_agreement, "Agreement at which tags are ranked")->capture_default_str();
  return ev;
}

}  // namespace

Runner add_tags(CLI::App& root) {
  auto* app = root.add_subcommand("tags", "Semantic class targets: tags derived from plain-English annotations");
  app->require_subcommand(1);
  auto o = std::make_shared<TagsOptions>();
  auto* derive = app->add_subcommand("derive", "Group the annotations' phrases into a tag taxonomy");
  add_input_options(derive, *o);
  derive->add_option("--threshold", o->derive.threshold, "Merge phrases while their mean similarity is at least this")
      ->capture_default_str();
  derive->add_option("--tags", o->derive.tags, "Cut the taxonomy at this many tags instead (0: use --threshold)")
      ->capture_default_str();
  auto* evaluate = add_evaluate(app, *o);
  return [o, derive, evaluate](Context& ctx) {
    // Arguments and inputs are checked before the run folder opens (and logs).
    o->derive.validate();
    if (evaluate->parsed()) o->study.validate();
    require_wordnet();
    for (const std::string& f : {o->annotations, o->experts})
      if (!f.empty() && !std::filesystem::is_regular_file(f)) throw MissingInputError("cannot read " + f);
    if (derive->parsed()) run_derive(ctx.run("tags"), *o);
    if (evaluate->parsed()) run_evaluate(ctx.run("tags"), ctx.seed(), *o);
  };
}

}  // namespace penumbra::cli
