#include "src/cli/classify_train_extras.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "src/core/errors.hpp"
#include "src/core/run_folder.hpp"
#include "src/parallel/communicator.hpp"
#include "src/pipelines/classifier_prediction.hpp"
#include "src/pipelines/classifier_tags.hpp"

namespace penumbra::cli {

void add_train_extras(CLI::App* train, ClassifyTrainExtras& o) {
  train->add_option("--targets", o.targets,
                    "Multi-label tag targets instead of the classes: a CSV (first column the image ids, one "
                    "column per tag, counts or 0/1; tags derive's subject_tags.csv) or 'synthetic' (the "
                    "generator's components: core, jets, lobes, bent)");
}

bool has_train_extras(const ClassifyTrainExtras& o) { return !o.targets.empty(); }

void run_train_extras(const ClassifyOptions& s, const ClassifyTrainExtras& o, Context& ctx) {
  if (parallel::size() > 1) throw UsageError("classify train --targets runs as one process; start it without mpirun");
  check_tag_training_options(s.train);
  const auto table = tag_table(o.targets, s.data, ctx.seed());
  LabelledImages tr, va;
  load_split(s.data, ctx.seed(), tr, va);
  spdlog::info("training on {} images with {} tags, validating on {}", tr.size(), table.tags.size(), va.size());
  auto& run = ctx.run("classify-train");
  const auto r = train_tag_classifier_folder(s.train, s.data, table, tr, va, ctx.seed(), run.dir());
  for (const auto& m : r.val)
    fmt::print("{:12s} auc {:.4f}  f1 {:.4f}  ({} of {} val images)\n", m.tag, m.auc, m.f1, m.positives, m.n);
  if (!r.val.empty()) fmt::print("mean auc {:.4f}  mean f1 {:.4f}  ({:.1f} s/epoch)\n", r.mean_auc, r.mean_f1,
                                 r.seconds_per_epoch);
  run.finish({{"mean_auc", r.mean_auc}, {"mean_f1", r.mean_f1}, {"tags", table.tags.size()}});
}

bool predict_tags_if_tag_model(const ClassifyOptions& s, Context& ctx) {
  const auto config_json = std::filesystem::path(s.model) / "config.json";  // an ensemble folder has none
  if (!std::filesystem::exists(config_json) ||
      !is_tag_model(ClassifierConfig::from_json(nlohmann::json::parse(read_text(config_json)), config_json.string())))
    return false;
  auto model = Classifier::load(s.model, s.expect_backbone);
  const auto& cfg = model->config();
  if (s.train.tta != "none") throw UsageError("--tta: a tag model predicts without test-time augmentation");
  const auto images = load_images_for(cfg, s.images);
  auto& run = ctx.run("classify-predict");
  const auto p = predict_tag_probabilities(*model, images, s.samples);
  const auto T = cfg.class_names.size();
  std::string csv = "image";
  for (const auto& tag : cfg.class_names) csv += ",p_" + tag;
  csv += '\n';
  for (std::size_t i = 0; i < s.images.size(); ++i) {
    std::string line = s.images[i];
    csv += s.images[i];
    for (std::size_t j = 0; j < T; ++j) {
      line += fmt::format("  {} {:.3f}", cfg.class_names[j], p[i * T + j]);
      csv += fmt::format(",{:.6f}", p[i * T + j]);
    }
    fmt::print("{}\n", line);
    csv += '\n';
  }
  write_text_atomic(run.path("tag_predictions.csv"), csv);
  run.finish({{"images", s.images.size()}, {"tags", T}});
  return true;
}

}  // namespace penumbra::cli
