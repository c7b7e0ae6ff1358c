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
  auto& f = o.ssl.fixmatch;
  train->add_option("--ssl", o.ssl.method, "Semi-supervised training: fixmatch (needs --labels)");
  train->add_option("--labels", o.ssl.labels,
                    "Labelled training images (a multiple of the classes, drawn per class; 0: all)")
      ->capture_default_str();
  train->add_option("--unlabelled", o.ssl.unlabelled,
                    "FixMatch's unlabelled pool, comma-separated: train (the training split without labels), "
                    "synthetic (generator images), MiraBest subsets other than --subset (uncertain, hybrid)")
      ->capture_default_str();
  train->add_option("--n-unlabelled-synthetic", o.ssl.n_synthetic, "Images of a synthetic unlabelled pool")
      ->capture_default_str();
  train->add_option("--tau", f.threshold, "FixMatch confidence threshold τ of a pseudo-label")->capture_default_str();
  train->add_option("--mu", f.mu, "FixMatch unlabelled images per labelled one in a step (μ)")->capture_default_str();
  train->add_option("--lambda-u", f.lambda_u, "FixMatch weight λ_u of the unlabelled loss")->capture_default_str();
  train->add_option("--ema", f.ema, "FixMatch EMA decay of the evaluated weights (0: none)")->capture_default_str();
}

bool has_train_extras(const ClassifyTrainExtras& o) {
  return !o.targets.empty() || !o.ssl.method.empty() || o.ssl.labels > 0;
}

namespace {

void run_semi_supervised(const ClassifyOptions& s, const ClassifyTrainExtras& o, Context& ctx) {
  if (o.ssl.method == "fixmatch" && o.ssl.labels == 0) throw UsageError("--ssl fixmatch needs --labels N");
  if (o.ssl.method.empty() && o.ssl.unlabelled != SemiSupervisedOptions{}.unlabelled)
    throw UsageError("--unlabelled needs --ssl fixmatch (supervised training on --labels N uses no pool)");
  validate(o.ssl, s.data);
  LabelledImages tr, va;
  load_split(s.data, ctx.seed(), tr, va);
  take_labelled(tr, o.ssl.labels);  // a bad --labels stops before the run folder exists
  auto& run = ctx.run("classify-train");
  const auto r = train_semi_supervised_folder(s.train, s.data, o.ssl, tr, va, ctx.seed(), run.dir());
  fmt::print("{} labels{}: accuracy {:.4f}  ece {:.4f}  nll {:.4f}  ({} val images, {:.1f} s/epoch)\n", r.labelled,
             r.unlabelled ? fmt::format(" + {} unlabelled (mask rate {:.2f})", r.unlabelled, r.mask_rate) : std::string(),
             r.val.accuracy, r.val.ece, r.val.nll, va.size(), r.seconds_per_epoch);
  run.finish({{"accuracy", r.val.accuracy}, {"ece", r.val.ece}, {"labels", r.labelled}});
}

}  // namespace

void run_train_extras(const ClassifyOptions& s, const ClassifyTrainExtras& o, Context& ctx) {
  if (parallel::size() > 1)
    throw UsageError("classify train --targets/--labels/--ssl runs as one process; start it without mpirun");
  if (!o.targets.empty() && (!o.ssl.method.empty() || o.ssl.labels > 0))
    throw UsageError("--targets trains on tags; --ssl/--labels train on classes: give one of them");
  if (o.targets.empty()) return run_semi_supervised(s, o, ctx);
  check_tag_training_options(s.train);
  const auto table = tag_table(o.targets, s.data, ctx.seed());
  LabelledImages tr, va;
  load_split(s.data, ctx.seed(), tr, va);
  tag_targets_for(table, tr, "training");  // a table that does not fit stops before the run folder exists
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
  check_expected_model(cfg, s, s.model);
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
