#include "src/pipelines/classifier_study.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include <cmath>
#include <memory>
#include <tuple>

#include "priors/weight_priors.hpp"
#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/log.hpp"
#include "src/core/rng.hpp"
#include "src/core/run_folder.hpp"
#include "src/io/png.hpp"
#include "src/nn/attention_options.hpp"
#include "src/nn/ensemble.hpp"
#include "src/pipelines/classifier_evaluation.hpp"
#include "src/pipelines/data_parallel.hpp"
#include "src/pipelines/distributed_items.hpp"

namespace penumbra {

namespace fs = std::filesystem;

namespace {
// The resnet knobs: in range for resnet, at their defaults for the other backbones
// (which have no such knob, so a value there would be silently ignored).
void check_resnet_knobs(const ClassifierTrainOptions& t) {
  const ClassifierTrainOptions d;
  if (t.backbone != "resnet") {
    for (const auto& [name, v, v0] : {std::tuple{"width", t.width, d.width}, std::tuple{"depth", t.depth, d.depth},
                                      std::tuple{"stages", t.stages, d.stages}})
      if (v != v0) throw UsageError(fmt::format("{} {} applies to the resnet backbone only, not {}", name, v, t.backbone));
    return;
  }
  require_in_range("width", t.width, 4, 64);
  require_in_range("depth", t.depth, 1, 4);
  require_in_range("stages", t.stages, 3, 4);
}
}  // namespace

void validate(const ClassifierTrainOptions& t) {
  check_backbone_options(t.backbone, t.group);
  nn::check_attention_options(t.backbone, t.attention_gate, t.attention_aggregation);
  check_resnet_knobs(t);
  validate(training_settings(t));
  require_at_least("posterior samples of the validation metrics", t.eval_samples, 1);
  require_at_least("ensemble members", t.ensemble, 1);
  parse_test_time_augmentation(t.tta, "test-time augmentation");
}

ClassifierTraining training_settings(const ClassifierTrainOptions& t) {
  ClassifierTraining s;
  s.prior = t.prior;
  s.temperature = t.temperature;
  s.tempering = parse_tempering(t.tempering);
  s.epochs = t.epochs;
  s.batch = t.batch;
  s.learning_rate = t.lr;
  s.mc_kl = t.mc_kl;
  s.augment = t.augment;
  return s;
}

nlohmann::json train_settings(const ClassifierTrainOptions& t, const ClassifierDataOptions& d) {
  nlohmann::json j = {{"backbone", t.backbone}, {"group", t.group},         {"deterministic", t.deterministic},
                      {"prior", t.prior},       {"tempering", t.tempering}, {"temperature", t.temperature},
                      {"epochs", t.epochs},     {"batch", t.batch},         {"lr", t.lr},
                      {"rho_init", t.rho_init}, {"mc_kl", t.mc_kl},         {"eval_samples", t.eval_samples},
                      {"augment", t.augment},   {"tta", t.tta},             {"ensemble", t.ensemble}};
  // Recorded only when used, so that folds saved before the option existed still match.
  if (!d.extra_train.empty()) j["extra_train"] = d.extra_train;
  if (nn::parse_gate_normalisation(t.attention_gate) != nn::GateNormalisation::kSigmoid)
    j["attention_gate"] = t.attention_gate;
  if (nn::parse_gate_aggregation(t.attention_aggregation) != nn::GateAggregation::kConcat)
    j["attention_aggregation"] = t.attention_aggregation;
  const ClassifierTrainOptions defaults;
  if (t.width != defaults.width) j["width"] = t.width;
  if (t.depth != defaults.depth) j["depth"] = t.depth;
  if (t.stages != defaults.stages) j["stages"] = t.stages;
  return j;
}

nlohmann::json model_settings(nlohmann::json settings) {
  settings.erase("tta");
  settings.erase("eval_samples");
  return settings;
}

bool other_ensemble_size_only(nlohmann::json a, nlohmann::json b) {
  if (a.value("ensemble", 1) < 2 || b.value("ensemble", 1) < 2 || a == b) return false;
  a.erase("ensemble");
  b.erase("ensemble");
  return model_settings(a) == model_settings(b);
}

nlohmann::json member_fingerprint(const ClassifierTrainOptions& t, const ClassifierDataOptions& d,
                                  const LabelledImages& train, std::uint64_t member_seed) {
  auto j = model_settings(train_settings(t, d));
  j.erase("ensemble");
  return {{"settings", j}, {"seed", member_seed}, {"train_images_hash", images_hash(train)}};
}

void write_metrics(const fs::path& dir, const CalibrationReport& r, const nlohmann::json& extra,
                   const std::string& title) {
  auto j = r.to_json();
  j.update(extra);
  write_text_atomic(dir / "metrics.json", j.dump(2) + "\n");
  write_reliability_diagram(dir / "reliability.png", r, title);
}

std::string image_predictions_header(const std::vector<std::string>& class_names) {
  std::string h = "fold,id,label,predicted,correct";
  for (auto& c : class_names) h += ",p_" + c;
  return h + ",predictive_entropy,mutual_information,agreement\n";
}

// Ids go in unquoted: MiraBest file names and the generator's synthetic-<n> hold no commas.
std::string image_predictions_rows(const std::vector<double>& probs, int K, const LabelledImages& images, int fold) {
  const auto N = static_cast<std::int64_t>(images.size());
  const int C = static_cast<int>(images.class_names.size());
  std::string rows;
  for (std::int64_t n = 0; n < N; ++n) {
    const auto ip = image_prediction(probs, K, N, C, n);
    const int y = images.labels[n];
    rows += fmt::format("{},{},{},{},{}", fold >= 0 ? std::to_string(fold) : std::string(),
                        n < static_cast<std::int64_t>(images.ids.size()) ? images.ids[n] : std::to_string(n),
                        images.class_names[y], images.class_names[ip.predicted], ip.predicted == y ? 1 : 0);
    for (double m : ip.mean) rows += fmt::format(",{:.6f}", m);
    rows += fmt::format(",{:.6f},{:.6f},{:.4f}\n", ip.entropy, ip.mutual_information, ip.agreement);
  }
  return rows;
}

namespace {

// One trained (or reloaded) member and its validation predictions.
struct TrainedMember {
  std::unique_ptr<Classifier> model;
  CalibrationReport val;
  std::vector<double> val_probs;  // [K][N][C] posterior predictive samples on val
  int val_samples = 0;            // K
  double seconds_per_epoch = 0;
};

// A member's validation predictions (K posterior samples, one for a
// deterministic model; test-time augmentation applied) and their report.
void predict_validation(const ClassifierTrainOptions& t, const LabelledImages& val, TrainedMember& res) {
  const auto& cfg = res.model->config();
  res.val_samples = cfg.bayesian ? t.eval_samples : 1;
  res.val_probs = predict_probabilities(*res.model, val, res.val_samples, cfg.bayesian,
                                        parse_test_time_augmentation(t.tta, "test-time augmentation"));
  res.val = calibration_report(res.val_probs, res.val_samples, static_cast<std::int64_t>(val.size()),
                               cfg.n_classes, val.labels);
}

}  // namespace

ClassifierConfig member_config(const ClassifierTrainOptions& t, const ClassifierDataOptions& d,
                               const LabelledImages& train, const LabelledImages& val, std::uint64_t seed,
                               std::uint64_t split_seed) {
  ClassifierConfig cfg;
  cfg.backbone = t.backbone;
  cfg.bayesian = !t.deterministic;
  cfg.image_size = train.height;
  cfg.n_classes = static_cast<int>(train.class_names.size());
  cfg.class_names = train.class_names;
  cfg.group = t.group;
  cfg.attention_gate = t.attention_gate;
  cfg.attention_aggregation = t.attention_aggregation;
  cfg.width = t.width, cfg.depth = t.depth, cfg.stages = t.stages;
  cfg.rho_init = t.rho_init;
  set_input_normalisation(cfg, train);
  cfg.extra = {{"prior", make_weight_prior(t.prior)->name()},
               {"temperature", t.temperature},
               {"tempering", tempering_name(parse_tempering(t.tempering))},
               {"epochs", t.epochs},
               {"batch", t.batch},
               {"learning_rate", t.lr},
               {"augment", t.augment},
               {"seed", seed},
               {"split_seed", split_seed},
               {"data", d.data},
               {"subset", d.subset},
               {"extra_train", d.extra_train},
               {"batches", d.batches},
               {"n_synthetic", d.n_synthetic},
               {"synthetic_size", d.synthetic_size},
               {"crop", d.crop},
               {"bin", d.bin},
               {"source_size", d.data == "synthetic" ? d.synthetic_size : 150},
               {"val_fraction", d.val_fraction},
               {"n_train", train.size()},
               {"n_val", val.size()}};
  if (d.folds > 0) cfg.extra.update({{"folds", d.folds}, {"fold", d.fold}});
  // A catalogue is loaded at --image-size before --crop/--bin: eval needs both to rebuild the input.
  if (d.data.rfind("catalogue:", 0) == 0)
    cfg.extra.update({{"label_column", d.label_column}, {"image_size", d.image_size}});
  return cfg;
}

namespace {

// Trains one model (VI for Bayesian, MAP for deterministic) from `seed` on the
// processes of `dp`, with its epoch log in `log_csv`, and predicts `val` (both
// on rank 0 alone). `split_seed` made the train/val split (recorded so that
// eval can make it again).
TrainedMember train_member(const ClassifierTrainOptions& t, const ClassifierDataOptions& d,
                           const LabelledImages& train, const LabelledImages& val, std::uint64_t seed,
                           std::uint64_t split_seed, const fs::path& log_csv, const DataParallel& dp) {
  if (train.size() == 0) throw DataError("training split is empty");
  TrainedMember res;
  res.model = std::make_unique<Classifier>(member_config(t, d, train, val, seed, split_seed), seed);
  Classifier& model = *res.model;
  const auto& cfg = model.config();
  // The penalty column: KL[q‖p] (nats) for Bayesian models; for deterministic
  // (MAP) ones the penalty is −log p(μ) summed over the weights, not a KL.
  const char* penalty = cfg.bayesian ? "kl" : "prior_nll";
  // train_accuracy_as_seen: over the epoch's augmented minibatches at their
  // step's weights (src/nn/training.hpp), so it lags the end-of-epoch weights.
  std::string log =
      fmt::format("epoch,loss,nll,{},train_accuracy_as_seen,val_accuracy_mean_weights,seconds\n", penalty);
  // Rank 0 alone validates: with mean weights (no sampling) it draws no random
  // numbers, so the ranks' generators stay in step for the next epoch.
  auto after_epoch = [&](const EpochSummary& e) {
    if (dp.rank != 0) return;
    double val_acc = std::nan("");
    if (val.size()) {
      auto p = predict_probabilities(model, val, 1, false);
      val_acc = calibration_report(p, 1, static_cast<std::int64_t>(val.size()), cfg.n_classes, val.labels).accuracy;
    }
    log += fmt::format("{},{:.6f},{:.6f},{:.3f},{:.4f},{:.4f},{:.2f}\n", e.epoch, e.loss, e.nll, e.penalty,
                       e.train_accuracy, val_acc, e.seconds);
    penumbra::log().info(
        "epoch {}/{}: loss {:.4f} nll {:.4f} {} {:.1f} train acc {:.3f} val acc (mean weights) {:.3f} ({:.1f} s)",
        e.epoch, t.epochs, e.loss, e.nll, penalty, e.penalty, e.train_accuracy, val_acc, e.seconds);
    if (!log_csv.empty()) write_text_atomic(log_csv, log);
  };
  res.seconds_per_epoch = train_classifier(model, train, training_settings(t), seed, after_epoch, dp);
  if (val.size() && dp.rank == 0) predict_validation(t, val, res);
  return res;
}

// A member folder's member.json, or null when it is missing or unreadable (an
// interrupted write): such a member is trained again.
nlohmann::json read_member_record(const fs::path& member) {
  try {
    return nlohmann::json::parse(read_text(member / "member.json"));
  } catch (const std::exception&) {
    return nullptr;
  }
}

// Member m of an ensemble of M in `where`: reloaded when `record` carries its
// fingerprint, else trained on the processes of `dp` (and by its rank 0, in an
// ensemble, its metrics and member.json written, member.json last).
TrainedMember member_of(const ClassifierTrainOptions& t, const ClassifierDataOptions& d, const LabelledImages& tr,
                        const LabelledImages& va, std::uint64_t seed, int m, const fs::path& where,
                        const nlohmann::json& record, const DataParallel& dp) {
  const int M = t.ensemble;
  const auto member_seed = m == 0 ? seed : derive_seed(seed, 0xE45E0000ull + static_cast<std::uint64_t>(m));
  const auto fingerprint = member_fingerprint(t, d, tr, member_seed);
  TrainedMember res;
  if (!record.is_null() && record.value("fingerprint", nlohmann::json()) == fingerprint) {
    log().info("ensemble member {}/{}: reusing {}", m + 1, M, where.string());
    res.model = Classifier::load(where, t.backbone);
    torch::manual_seed(derive_seed(member_seed, 0xE7A1));
    if (va.size()) predict_validation(t, va, res);
    res.seconds_per_epoch = record.value("seconds_per_epoch", 0.0);
    return res;
  }
  if (M > 1) log().info("ensemble member {}/{}", m + 1, M);
  res = train_member(t, d, tr, va, member_seed, seed, where / "train_log.csv", dp);
  if (dp.rank != 0) return res;
  res.model->save(where);
  if (M > 1 && va.size())
    write_metrics(where, res.val, {{"split", "val"}, {"member", m}}, fmt::format("{} member {}", t.backbone, m));
  if (M > 1)
    write_text_atomic(where / "member.json",
                      nlohmann::json{{"fingerprint", fingerprint}, {"seconds_per_epoch", res.seconds_per_epoch}}.dump(2) +
                          "\n");
  return res;
}

}  // namespace

std::string MemberSummary::to_bytes() const {
  const nlohmann::json j = {{"config", config.to_json()},
                            {"val_probs", val_probs},
                            {"val_samples", val_samples},
                            {"seconds_per_epoch", seconds_per_epoch},
                            {"weights", weights}};
  const auto cbor = nlohmann::json::to_cbor(j);
  return {cbor.begin(), cbor.end()};
}

MemberSummary MemberSummary::from_bytes(const std::string& bytes) {
  try {
    const auto j = nlohmann::json::from_cbor(bytes);
    MemberSummary s;
    s.config = ClassifierConfig::from_json(j.at("config"), "member summary");
    s.val_probs = j.at("val_probs").get<std::vector<double>>();
    s.val_samples = j.at("val_samples").get<int>();
    s.seconds_per_epoch = j.at("seconds_per_epoch").get<double>();
    s.weights = j.at("weights").get<std::int64_t>();
    return s;
  } catch (const nlohmann::json::exception& e) {
    throw InternalError(fmt::format("member summary from another process is unreadable ({})", e.what()));
  }
}

MemberSummary train_or_reuse_member(const ClassifierTrainOptions& t, const ClassifierDataOptions& d,
                                    const LabelledImages& tr, const LabelledImages& va, std::uint64_t seed, int m,
                                    const fs::path& dir, bool reuse_members, const DataParallel& dp) {
  const int M = t.ensemble;
  auto where = M == 1 ? dir : ClassifierEnsemble::member_dir(dir, static_cast<std::size_t>(m));
  if (dp.rank == 0) fs::create_directories(where);
  auto record = M > 1 && reuse_members ? read_member_record(where) : nlohmann::json();
  auto res = member_of(t, d, tr, va, seed, m, where, record, dp);
  MemberSummary s;
  if (dp.rank != 0) return s;
  s.config = res.model->config();
  s.val_probs = std::move(res.val_probs);
  s.val_samples = res.val_samples;
  s.seconds_per_epoch = res.seconds_per_epoch;
  s.weights = res.model->weight_count();
  return s;
}

TrainedModel pool_members(const std::vector<MemberSummary>& members, const LabelledImages& va, const fs::path& dir) {
  TrainedModel out;
  const auto M = members.size();
  for (const auto& res : members) {
    out.val_probs.insert(out.val_probs.end(), res.val_probs.begin(), res.val_probs.end());
    out.val_samples += res.val_samples;
    out.seconds_per_epoch += res.seconds_per_epoch / static_cast<double>(M);
    out.weights += res.weights;
  }
  out.config = members.at(0).config;
  if (M > 1) ClassifierEnsemble::write_manifest(dir, M);
  if (va.size())
    out.val = calibration_report(out.val_probs, out.val_samples, static_cast<std::int64_t>(va.size()),
                                 out.config.n_classes, va.labels);
  return out;
}

TrainedModel train_model_folder(const ClassifierTrainOptions& t, const ClassifierDataOptions& d,
                                const LabelledImages& tr, const LabelledImages& va, std::uint64_t seed,
                                const fs::path& dir, bool reuse_members) {
  validate(t);
  std::vector<MemberSummary> members(static_cast<std::size_t>(t.ensemble));
  const auto job = job_data_parallel();
  if (t.ensemble == 1) {
    members[0] = train_or_reuse_member(t, d, tr, va, seed, 0, dir, reuse_members, job);
  } else {
    if (job.rank == 0 && job.size > t.ensemble)
      log().warn("{} processes for {} ensemble members: {} of them wait", job.size, t.ensemble,
                   job.size - t.ensemble);
    run_distributed_items(
        members.size(),
        [&](std::size_t m) {
          return train_or_reuse_member(t, d, tr, va, seed, static_cast<int>(m), dir, reuse_members,
                                       single_process())
              .to_bytes();
        },
        [&](std::size_t m, const std::string& bytes) { members[m] = MemberSummary::from_bytes(bytes); });
  }
  if (job.rank != 0) return TrainedModel{.pooled = false};
  return pool_members(members, va, dir);
}

TrainedModel train_classifier_folder(const ClassifierTrainOptions& t, const ClassifierDataOptions& d,
                                     const LabelledImages& train, const LabelledImages& val, std::uint64_t seed,
                                     const fs::path& dir) {
  auto res = train_model_folder(t, d, train, val, seed, dir);
  if (!res.pooled) return res;
  nlohmann::json extra = {{"split", "val"},
                          {"tta", t.tta},
                          {"ensemble", t.ensemble},
                          {"seconds_per_epoch", res.seconds_per_epoch},
                          {"weights", res.weights},
                          {"model", res.config.to_json()}};
  if (val.size()) write_metrics(dir, res.val, extra, fmt::format("{} val", t.backbone));
  return res;
}

void temperature_sweep(const ClassifierTrainOptions& t, const ClassifierDataOptions& d,
                       const std::vector<double>& temperatures, const LabelledImages& train,
                       const LabelledImages& val, std::uint64_t seed, const fs::path& dir,
                       const std::function<void(double, const CalibrationReport&)>& on_point) {
  validate(t);
  for (double T : temperatures) require_positive("temperature", T);
  if (val.size() == 0) throw UsageError("a temperature sweep needs validation images (validation fraction > 0)");
  std::string csv = "temperature,tempering,accuracy,ece,uce,nll,brier,mutual_information\n";
  Series acc{{}, {}, "accuracy", false}, ece{{}, {}, "ECE", true}, uce{{}, {}, "UCE", true};
  for (double T : temperatures) {
    auto tt = t;
    tt.temperature = T;
    auto sub = dir / fmt::format("T={:g}", T);
    fs::create_directories(sub);
    auto res = train_model_folder(tt, d, train, val, seed, sub);
    if (!res.pooled) continue;
    write_metrics(sub, res.val, {{"temperature", T}, {"ensemble", tt.ensemble}}, fmt::format("T = {:g}", T));
    csv += fmt::format("{:g},{},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f}\n", T, tt.tempering, res.val.accuracy,
                       res.val.ece, res.val.uce, res.val.nll, res.val.brier, res.val.mutual_information);
    write_text_atomic(dir / "temperature_sweep.csv", csv);
    acc.x.push_back(T), acc.y.push_back(res.val.accuracy);
    ece.x.push_back(T), ece.y.push_back(res.val.ece);
    uce.x.push_back(T), uce.y.push_back(res.val.uce);
    if (on_point) on_point(T, res.val);
  }
  if (job_data_parallel().rank != 0) return;
  LinePlot lp;
  lp.title = fmt::format("Cold-posterior sweep ({} tempering, {})", t.tempering, t.backbone);
  lp.xlabel = "temperature T";
  lp.ylabel = "accuracy / ECE / UCE";
  lp.logx = true;
  lp.ymin = 0;
  lp.ymax = 1;
  write_line_plot_png(dir / "temperature_sweep.png", {acc, ece, uce}, lp);
}

}  // namespace penumbra
