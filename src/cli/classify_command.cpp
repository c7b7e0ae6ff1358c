// penumbra classify: Bayesian radio-galaxy classifiers (train, eval, predict)
// and the studies built on them (cold-posterior sweep, pruning, cross-validation).
//
//   classify train   --data mirabest:DIR|synthetic --subset confident --backbone lenet|attention|equivariant
//                    [--deterministic] --prior SPEC --temperature T --tempering partial|full --epochs E
//                    → the run folder is the model folder (config.json + weights.pt), plus metrics.json
//                      on the validation split, reliability.png and train_log.csv
//                    [--targets tags.csv|synthetic] → a multi-label tag model, tag_metrics.csv (per-tag AUC, F1)
//                    [--labels N [--ssl fixmatch --unlabelled train,uncertain,synthetic --tau --mu --lambda-u --ema]]
//   classify eval    --model DIR --data ... [--split val|train|all] --samples K → metrics.json, reliability.png
//                    (+ attention_concentration.csv: how much of each attention map lies on the source)
//   classify predict --model DIR IMAGE... (FITS or PNG) → predictions.json (+ attention_<i>.png)
//   classify temperature-sweep ... --temperatures 1,1e-1,...  → temperature_sweep.csv/.png, one model per T
//   classify prune   --model DIR --data ... --fractions ... --rankings snr,fisher → pruning.csv/.png
//   classify shift   --model DIR --a SET --b SET → shift.json (classify_shift_command.cpp)
//   classify label-volume --labels 50,100,all --methods supervised,fixmatch --pools rest,... --folds K
//                    → the label-volume study (classify_label_volume_command.cpp)
//   classify doubt   --model DIR → doubt.json: Confident vs Uncertain images (classify_doubt_command.cpp)
//   classify cross-validate --folds K [train options] → fold-<k>/ (a model folder each), cross_validation.csv,
//                      metrics.json + reliability.png pooled over every image's out-of-fold prediction;
//                      --fold k trains fold k alone (parallel processes), --resume then pools
//
// The work is in src/pipelines (classifier_study, cross_validation,
// classifier_prediction); this file parses, calls them and prints.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <memory>

#include "src/cli/classify_doubt_command.hpp"
#include "src/cli/classify_label_volume_command.hpp"
#include "src/cli/classify_options.hpp"
#include "src/cli/classify_shift_command.hpp"
#include "src/cli/classify_train_extras.hpp"
#include "src/cli/commands.hpp"
#include "src/cli/shared_run_folder.hpp"
#include "src/core/errors.hpp"
#include "src/core/units.hpp"
#include "src/nn/ensemble.hpp"
#include "src/parallel/communicator.hpp"
#include "src/pipelines/attention_concentration_report.hpp"
#include "src/pipelines/classifier_evaluation.hpp"
#include "src/pipelines/classifier_prediction.hpp"
#include "src/pipelines/classifier_tags.hpp"

namespace penumbra::cli {

namespace {

void validate_samples(int samples) {
  if (samples < 1) throw UsageError(fmt::format("--samples {} must be ≥ 1", samples));
}

void run_train(const ClassifyOptions& s, Context& ctx) {
  validate_train_options(s.train);
  validate_data_options(s.data);
  LabelledImages tr, va;
  load_split(s.data, ctx.seed(), tr, va);
  // Under mpirun every rank trains (data-parallel, or members shared out); rank 0 writes and prints.
  const auto dir = shared_run_dir(ctx, "classify-train");
  spdlog::info("training on {} images, validating on {} ({}×{} px)", tr.size(), va.size(), tr.height, tr.width);
  auto res = train_classifier_folder(s.train, s.data, tr, va, ctx.seed(), dir);
  if (!res.pooled) return;
  auto& run = ctx.run("classify-train");
  fmt::print("accuracy {:.4f}  ece {:.4f}  uce {:.4f}  nll {:.4f}  ({} val images, {:.1f} s/epoch)\n",
             res.val.accuracy, res.val.ece, res.val.uce, res.val.nll, va.size(), res.seconds_per_epoch);
  run.finish({{"accuracy", res.val.accuracy}, {"ece", res.val.ece}, {"uce", res.val.uce}});
}

// eval and prune: a saved model on a split of its data.
void run_eval_or_prune(const ClassifyOptions& s, CLI::App* app, bool prune, Context& ctx) {
  parse_test_time_augmentation(s.train.tta, "--tta");
  validate_samples(s.samples);
  validate_data_options(s.data);
  const auto fractions = prune ? parse_number_list(s.fractions, "--fractions") : std::vector<double>{};
  const auto rankings = prune ? parse_prune_rankings(s.rankings) : std::vector<PruneRanking>{};
  auto model = ClassifierEnsemble::load(s.model, s.expect_backbone);
  const auto& cfg = model.config();
  check_expected_model(cfg, s, s.model);
  if (is_tag_model(cfg))
    throw UsageError(fmt::format("{} is a tag model: its held-out tag metrics are its tag_metrics.csv, and "
                                 "classify predict gives its per-tag probabilities",
                                 s.model));
  if (prune && model.size() > 1)
    throw UsageError(fmt::format("{} is an ensemble of {}; prune one member's folder ({})", s.model, model.size(),
                                 ClassifierEnsemble::member_dir(s.model, 0).string()));
  auto d = data_from_model(cfg, s.data, app);
  auto data = evaluation_images(cfg, d, ctx.seed(), s.model);
  if (!prune) {
    auto& run = ctx.run("classify-eval");
    nlohmann::json extra = {{"split", d.split}, {"model", s.model}, {"data", d.data}, {"tta", s.train.tta},
                            {"ensemble", model.size()}};
    // Member 0's maps, as predict draws them (members attend each in their own way).
    auto att = attention_concentration_report(*model.members[0], data, run.dir() / "attention_concentration.csv");
    if (att.maps > 0) extra["attention_concentration"] = att.to_json();
    auto e = evaluate_classifier(model, data, s.samples, s.train.tta, ctx.seed(), run.dir(), extra,
                                 fmt::format("{} {}", cfg.backbone, d.split));
    const auto& r = e.report;
    fmt::print("accuracy {:.4f}  ece {:.4f}  uce {:.4f}  nll {:.4f}  brier {:.4f}  ({} images, K = {})\n",
               r.accuracy, r.ece, r.uce, r.nll, r.brier, r.n, e.samples);
    for (int m = 0; m < att.maps; ++m)
      fmt::print("attention map {}: {:.3f} of its mass on the source ({:.3f} of the pixels), entropy {:.3f}\n", m + 1,
                 att.mass_in_source[m], att.source_fraction, att.entropy[m]);
    run.finish({{"accuracy", r.accuracy}, {"ece", r.ece}, {"uce", r.uce}});
    return;
  }
  auto& run = ctx.run("classify-prune");
  auto rows = prune_classifier(*model.members[0], data, fractions, rankings, s.samples, ctx.seed(), run.dir());
  for (auto& r : rows)
    fmt::print("{:7s} {:4.0f} %  accuracy {:.4f}  ece {:.4f}  uce {:.4f}\n", r.ranking, 100 * r.fraction, r.accuracy,
               r.ece, r.uce);
  run.finish({{"rows", rows.size()}});
}

void run_predict(const ClassifyOptions& s, Context& ctx) {
  parse_test_time_augmentation(s.train.tta, "--tta");
  validate_samples(s.samples);
  if (predict_tags_if_tag_model(s, ctx)) return;
  auto model = ClassifierEnsemble::load(s.model, s.expect_backbone);
  check_expected_model(model.config(), s, s.model);
  const auto& names = model.config().class_names;
  const auto images = load_images_for(model.config(), s.images);
  auto& run = ctx.run("classify-predict");
  auto preds = predict_image_files(model, images, s.images, s.samples, s.train.tta, ctx.seed(), run.dir());
  for (auto& [image, ip] : preds)
    fmt::print("{}: {} (p = {:.3f} ± {:.3f}, entropy {:.3f}, MI {:.4f})\n", image, names[ip.predicted],
               ip.mean[ip.predicted], ip.std[ip.predicted], ip.entropy, ip.mutual_information);
  run.finish({{"images", preds.size()}});
}

void run_cross_validate(const ClassifyOptions& s, CLI::App* app, Context& ctx) {
  validate_train_options(s.train);
  validate_data_options(s.data);
  if (s.cv.folds < 2) throw UsageError(fmt::format("--folds {} must be ≥ 2", s.cv.folds));
  if (app->count("--fold") > 0 && (s.cv.fold < 0 || s.cv.fold >= s.cv.folds))
    throw UsageError(
        fmt::format("--fold {} is not one of the {} folds 0..{}", s.cv.fold, s.cv.folds, s.cv.folds - 1));
  const bool one_fold = s.cv.fold >= 0;
  // One fold's run folder is its model folder, so that processes training
  // different folds of one --out never write the same file. Under mpirun rank 0
  // opens the run folder and the members are shared out over the ranks.
  const auto sub = one_fold ? fmt::format("fold-{}", s.cv.fold) : std::string();
  const auto dir = !one_fold                ? shared_run_dir(ctx, "classify-cross-validate")
                   : parallel::is_root()    ? ctx.run("classify-cross-validate", sub).dir()
                                            : std::filesystem::path(ctx.options().out) / sub;
  const auto root = one_fold ? dir.parent_path() : dir;
  auto res = cross_validate(s.train, s.data, s.cv, ctx.seed(), root, [](const FoldResult& f) {
    const auto& r = f.report;
    fmt::print("fold {}: accuracy {:.4f}  ece {:.4f}  uce {:.4f}  nll {:.4f}  ({} val images)\n", f.fold, r.accuracy,
               r.ece, r.uce, r.nll, f.n_val);
  });
  if (!parallel::is_root()) return;
  auto& run = ctx.run("classify-cross-validate", sub);
  if (!res.pooled) {
    const auto& r = res.folds.front().report;
    run.finish({{"accuracy", r.accuracy}, {"ece", r.ece}, {"uce", r.uce}, {"fold", s.cv.fold}, {"folds", s.cv.folds}});
    return;
  }
  const auto& r = res.report;
  fmt::print("pooled over {} folds: accuracy {:.4f} ± {:.4f}  ece {:.4f} (a calibrated model: {:.4f}, p = {:.3g})  "
             "uce {:.4f}  nll {:.4f}  brier {:.4f}  ({} images)\n",
             s.cv.folds, r.accuracy, res.accuracy_standard_error, r.ece, r.ece_calibrated_mean, r.ece_p_value, r.uce,
             r.nll, r.brier, res.images);
  run.finish({{"accuracy", r.accuracy}, {"ece", r.ece}, {"uce", r.uce}, {"folds", s.cv.folds}});
}

void run_temperature_sweep(const ClassifyOptions& s, Context& ctx) {
  validate_train_options(s.train);
  validate_data_options(s.data);
  auto temperatures = parse_number_list(s.temperatures, "--temperatures");
  for (double T : temperatures)
    if (!(T > 0)) throw UsageError(fmt::format("--temperatures: {} must be > 0", T));
  LabelledImages tr, va;
  load_split(s.data, ctx.seed(), tr, va);
  if (va.size() == 0) throw UsageError("temperature-sweep needs a validation split (--val-fraction > 0)");
  const auto dir = shared_run_dir(ctx, "classify-temperature-sweep");  // every rank trains each point
  temperature_sweep(s.train, s.data, temperatures, tr, va, ctx.seed(), dir, [](double T, const CalibrationReport& r) {
    fmt::print("T = {:g}: accuracy {:.4f}  ece {:.4f}  uce {:.4f}\n", T, r.accuracy, r.ece, r.uce);
  });
  if (parallel::is_root()) ctx.run("classify-temperature-sweep").finish({{"temperatures", temperatures.size()}});
}

}  // namespace

Runner add_classify(CLI::App& root) {
  auto* cmd = root.add_subcommand("classify", "Bayesian radio-galaxy classifiers: train, eval, predict and studies");
  cmd->require_subcommand(1);
  auto opts = std::make_shared<ClassifyOptions>();
  auto extras = std::make_shared<ClassifyTrainExtras>();
  const auto sub = add_classify_subcommands(cmd, *opts);
  add_train_extras(sub.train, *extras);
  const auto shift = add_classify_shift(cmd);
  const auto label_volume = add_classify_label_volume(cmd), doubt = add_classify_doubt(cmd);
  return [opts, extras, sub, shift, label_volume, doubt](Context& ctx) {
    shift(ctx);
    label_volume(ctx);
    doubt(ctx);
    const auto& s = *opts;
    if (parallel::size() > 1)  // each rank would run it whole and write the same files
      for (const auto* whole : {sub.eval, sub.prune, sub.predict})
        if (whole->parsed())
          throw UsageError(fmt::format("classify {} runs as one process; start it without mpirun (train, "
                                       "cross-validate and temperature-sweep use several ranks)",
                                       whole->get_name()));
    if (sub.train->parsed() && has_train_extras(*extras)) {
      validate_train_options(s.train);
      validate_data_options(s.data);
      run_train_extras(s, *extras, ctx);
    } else if (sub.train->parsed()) {
      run_train(s, ctx);
    }
    if (sub.eval->parsed()) run_eval_or_prune(s, sub.eval, false, ctx);
    if (sub.prune->parsed()) run_eval_or_prune(s, sub.prune, true, ctx);
    if (sub.predict->parsed()) run_predict(s, ctx);
    if (sub.cv->parsed()) run_cross_validate(s, sub.cv, ctx);
    if (sub.sweep->parsed()) run_temperature_sweep(s, ctx);
  };
}

}  // namespace penumbra::cli
