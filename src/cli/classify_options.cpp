#include "src/cli/classify_options.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>

#include "priors/weight_priors.hpp"
#include "samplers/variational.hpp"
#include "src/core/errors.hpp"
#include "src/datasets/mirabest.hpp"
#include "src/pipelines/classifier_evaluation.hpp"

namespace penumbra::cli {

namespace {

constexpr const char* kTtaHelp = "Test-time augmentation: none, or d4 (average over the 8 rotations/flips by 90°)";

void add_data_options(CLI::App* c, ClassifierDataOptions& d, bool with_val_fraction = true) {
  c->add_option("--data", d.data,
                "mirabest:DIR (pickled batches), catalogue:CSV (id, file_loc, label columns; JPEG/PNG images, read "
                "grey) or synthetic (seeded FRI/FRII generator)")
      ->capture_default_str();
  c->add_option("--label-column", d.label_column, "catalogue: the 0/1 label column (class 1 is named after it)")
      ->capture_default_str();
  c->add_option("--image-size", d.image_size, "catalogue: images resized to this side (px) before --crop/--bin")
      ->capture_default_str();
  c->add_option("--subset", d.subset, "MiraBest subset: confident, uncertain, all, hybrid")->capture_default_str();
  c->add_option("--extra-train", d.extra_train,
                "A further MiraBest subset (e.g. uncertain) added to the training images only; validation keeps "
                "--subset's");
  c->add_option("--batches", d.batches, "MiraBest training batches to read (1..7)")->capture_default_str();
  c->add_option("--n-synthetic", d.n_synthetic, "Synthetic images (half FRI, half FRII)")->capture_default_str();
  c->add_option("--synthetic-size", d.synthetic_size, "Synthetic image side (px)")->capture_default_str();
  c->add_option("--crop", d.crop, "Centre crop to this side (px; 0 = full image)")->capture_default_str();
  c->add_option("--bin", d.bin, "Bin factor×factor pixels after the crop (2: 150 → 75 px)")->capture_default_str();
  if (with_val_fraction)
    c->add_option("--val-fraction", d.val_fraction, "Validation split of the training data (stratified, seeded)")
        ->capture_default_str();
}

void add_train_options(CLI::App* c, ClassifierTrainOptions& t) {
  c->add_option("--backbone", t.backbone, backbone_help())->capture_default_str();
  c->add_option("--group", t.group, "Equivariant backbone: C<N> or D<N> (C4, D4 exact; C8, D8, C16, D16 interpolated)")
      ->capture_default_str();
  c->add_option("--attention-gate", t.attention_gate,
                "Attention backbone: gate normalisation, sigmoid (default) or softmax (each map sums to 1)");
  c->add_option("--attention-aggregation", t.attention_aggregation,
                "Attention backbone: concat (default; one head on the gated descriptors) or mean (a head per "
                "descriptor, logits averaged)");
  add_resnet_options(c, t);
  c->add_flag("--deterministic", t.deterministic, "Plain (MAP) network instead of a Bayesian one");
  c->add_option("--prior", t.prior, "Weight prior: " + weight_prior_help())->capture_default_str();
  c->add_option("--temperature", t.temperature, "Posterior temperature T (T < 1: cold)")->capture_default_str();
  c->add_option("--tempering", t.tempering, "partial (KL × T) or full (entropy × T; tempered posterior)")
      ->capture_default_str();
  c->add_option("--epochs", t.epochs, "Training epochs")->capture_default_str();
  c->add_option("--batch", t.batch, "Minibatch size")->capture_default_str();
  c->add_option("--lr", t.lr, "Adam learning rate (decays linearly to 10 %)")->capture_default_str();
  c->add_option("--rho-init", t.rho_init, "Initial ρ (σ = softplus(ρ))")->capture_default_str();
  c->add_option("--mc-kl", t.mc_kl, "Monte Carlo draws for the KL of priors without closed form")->capture_default_str();
  c->add_option("--eval-samples", t.eval_samples, "Posterior samples K for the validation metrics")->capture_default_str();
  c->add_flag("!--no-augment", t.augment, "Switch off random rotations and flips");
  c->add_option("--tta", t.tta, kTtaHelp)->capture_default_str();
  c->add_option("--ensemble", t.ensemble,
                "Members of a deep ensemble, each trained from its own seed; predictions mix their posteriors")
      ->capture_default_str();
}

// --model, --backbone and --samples of the commands that read a model folder.
void add_model_options(CLI::App* c, ClassifyOptions& o, const std::string& model_help) {
  c->add_option("--model", o.model, model_help)->required();
  c->add_option("--backbone", o.expect_backbone, "Refuse a model folder of another backbone");
  c->add_option("--width", o.expect_width, "Refuse a model folder of another resnet width");
  c->add_option("--depth", o.expect_depth, "Refuse a model folder of another resnet depth");
  c->add_option("--stages", o.expect_stages, "Refuse a model folder with another number of resnet stages");
}

}  // namespace

void add_resnet_options(CLI::App* c, ClassifierTrainOptions& t) {
  c->add_option("--width", t.width, "resnet: first-stage width (4..64)")->capture_default_str();
  c->add_option("--depth", t.depth, "resnet: residual blocks per stage (1..4)")->capture_default_str();
  c->add_option("--stages", t.stages, "resnet: stages (3 or 4)")->capture_default_str();
}

ClassifySubcommands add_classify_subcommands(CLI::App* cmd, ClassifyOptions& o) {
  ClassifySubcommands s;
  s.train = cmd->add_subcommand("train", "Train a classifier (VI for Bayesian, MAP for --deterministic)");
  add_data_options(s.train, o.data);
  add_train_options(s.train, o.train);

  s.eval = cmd->add_subcommand("eval", "Evaluate a model folder: accuracy, NLL, Brier, ECE, UCE, entropy, MI");
  add_model_options(s.eval, o, "Model folder (a train run)");
  add_data_options(s.eval, o.data);
  s.eval->add_option("--split", o.data.split, "val (the model's validation split), train or all")->capture_default_str();
  s.eval->add_option("--samples", o.samples, "Posterior samples K")->capture_default_str();
  s.eval->add_option("--tta", o.train.tta, kTtaHelp)->capture_default_str();

  s.predict = cmd->add_subcommand("predict", "Class probabilities with uncertainties for FITS/PNG images");
  add_model_options(s.predict, o, "Model folder (a train run)");
  s.predict->add_option("images", o.images, "FITS or PNG images")->required();
  s.predict->add_option("--samples", o.samples, "Posterior samples K")->capture_default_str();
  s.predict->add_option("--tta", o.train.tta, kTtaHelp)->capture_default_str();

  s.sweep = cmd->add_subcommand("temperature-sweep", "Cold-posterior study: train and evaluate per temperature");
  add_data_options(s.sweep, o.data);
  add_train_options(s.sweep, o.train);
  s.sweep->add_option("--temperatures", o.temperatures, "Comma-separated temperatures")->capture_default_str();

  s.cv = cmd->add_subcommand(
      "cross-validate", "Stratified K-fold cross-validation: a model per fold, metrics pooled over every image");
  add_data_options(s.cv, o.data, false);
  add_train_options(s.cv, o.train);
  s.cv->add_option("--folds", o.cv.folds, "Folds K (stratified by class, seeded by --seed)")->capture_default_str();
  s.cv->add_flag("--resume", o.cv.resume, "Reuse the finished folds of an interrupted run in the same --out folder");
  s.cv->add_option("--fold", o.cv.fold,
                   "Train only fold k (0-based) into --out/fold-k, without pooling: run the folds as separate "
                   "processes, then pool them with --resume");

  s.prune = cmd->add_subcommand("prune", "Prune dense weights by SNR and Fisher ranking; accuracy and calibration");
  add_model_options(s.prune, o, "Model folder (a Bayesian train run)");
  add_data_options(s.prune, o.data);
  s.prune->add_option("--split", o.data.split, "val, train or all")->capture_default_str();
  s.prune->add_option("--fractions", o.fractions, "Comma-separated fractions of dense weights to prune")
      ->capture_default_str();
  s.prune->add_option("--rankings", o.rankings, "snr, fisher or both")->capture_default_str();
  s.prune->add_option("--samples", o.samples, "Posterior samples K")->capture_default_str();
  return s;
}

void check_expected_model(const ClassifierConfig& cfg, const ClassifyOptions& o, const std::string& dir) {
  for (const auto& [name, want, have] : {std::tuple{"width", o.expect_width, cfg.width},
                                         std::tuple{"depth", o.expect_depth, cfg.depth},
                                         std::tuple{"stages", o.expect_stages, cfg.stages}})
    if (want != 0 && (cfg.backbone != "resnet" || want != have))
      throw DataError(cfg.backbone != "resnet"
                          ? fmt::format("{}: a {} model has no resnet {}; --{} {} expects a resnet", dir,
                                        cfg.backbone, name, name, want)
                          : fmt::format("{}: model folder holds a resnet of {} {}, expected {}", dir, name, have,
                                        want));
}

void validate_train_options(const ClassifierTrainOptions& t) {
  check_backbone_options(t.backbone, t.group);
  make_weight_prior(t.prior);
  parse_tempering(t.tempering);
  if (t.epochs < 1 || t.batch < 1) throw UsageError("--epochs and --batch must be ≥ 1");
  if (!(t.temperature > 0)) throw UsageError(fmt::format("--temperature {} must be > 0", t.temperature));
  if (!(t.lr > 0)) throw UsageError(fmt::format("--lr {} must be > 0", t.lr));
  if (t.mc_kl < 1 || t.eval_samples < 1) throw UsageError("--mc-kl and --eval-samples must be ≥ 1");
  if (t.ensemble < 1) throw UsageError(fmt::format("--ensemble {} must be ≥ 1", t.ensemble));
  parse_test_time_augmentation(t.tta, "--tta");
  validate(t);
}

void validate_data_options(const ClassifierDataOptions& d) {
  if (!d.extra_train.empty()) {
    if (d.data.rfind("mirabest:", 0) != 0) throw UsageError("--extra-train needs --data mirabest:DIR");
    parse_mirabest_subset(d.extra_train);
    if (d.extra_train == d.subset || d.extra_train == "all" || d.subset == "all")
      throw UsageError(fmt::format("--extra-train {} overlaps --subset {}: validation images would be trained on",
                                   d.extra_train, d.subset));
  }
  validate(d);
}

namespace {

// A catalogue model names its label column as class 1; without a crop its
// input side is the loaded side divided by the bin factor.
void catalogue_from_model(const ClassifierConfig& cfg, ClassifierDataOptions& d, const CLI::App* app) {
  const auto& x = cfg.extra;
  if (d.data.rfind("catalogue:", 0) != 0) return;
  if (app->count("--label-column") == 0)
    d.label_column = x.value("label_column", cfg.class_names.size() == 2 ? cfg.class_names[1] : d.label_column);
  if (app->count("--image-size") == 0)
    d.image_size = x.value("image_size", d.crop > 0 ? d.image_size : cfg.image_size * std::max(1, d.bin));
}

}  // namespace

ClassifierDataOptions data_from_model(const ClassifierConfig& cfg, ClassifierDataOptions d, const CLI::App* app) {
  const auto& x = cfg.extra;
  if (app->count("--data") == 0) d.data = x.value("data", d.data);
  if (app->count("--subset") == 0) d.subset = x.value("subset", d.subset);
  if (app->count("--extra-train") == 0) d.extra_train = x.value("extra_train", d.extra_train);
  if (app->count("--batches") == 0) d.batches = x.value("batches", d.batches);
  if (app->count("--n-synthetic") == 0) d.n_synthetic = x.value("n_synthetic", d.n_synthetic);
  if (app->count("--synthetic-size") == 0) d.synthetic_size = x.value("synthetic_size", d.synthetic_size);
  if (app->count("--crop") == 0) d.crop = x.value("crop", d.crop);
  if (app->count("--bin") == 0) d.bin = x.value("bin", d.bin);
  catalogue_from_model(cfg, d, app);
  if (app->count("--val-fraction") == 0) d.val_fraction = x.value("val_fraction", d.val_fraction);
  d.folds = app->count("--val-fraction") == 0 ? x.value("folds", 0) : 0;
  d.fold = x.value("fold", 0);
  return d;
}

}  // namespace penumbra::cli
