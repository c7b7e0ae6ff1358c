#include "src/pipelines/cross_validation.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include <optional>

#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/log.hpp"
#include "src/core/rng.hpp"
#include "src/core/run_folder.hpp"
#include "src/core/statistics.hpp"
#include "src/nn/ensemble.hpp"
#include "src/parallel/communicator.hpp"
#include "src/pipelines/classifier_evaluation.hpp"
#include "src/pipelines/data_parallel.hpp"
#include "src/pipelines/distributed_items.hpp"

namespace penumbra {

namespace fs = std::filesystem;

void write_fold_predictions(const fs::path& path, const FoldPredictions& f) {
  nlohmann::json j = {{"samples", f.K},
                      {"classes", f.C},
                      {"images_hash", f.images_hash},
                      {"settings", f.settings},
                      {"labels", f.labels},
                      {"probabilities", f.probs}};
  write_text_atomic(path, j.dump() + "\n");
}

FoldPredictions read_fold_predictions(const fs::path& path) {
  FoldPredictions f;
  try {
    auto j = nlohmann::json::parse(read_text(path));
    f.K = j.at("samples").get<int>();
    f.C = j.at("classes").get<int>();
    f.images_hash = j.at("images_hash").get<std::uint64_t>();
    f.settings = j.value("settings", nlohmann::json());  // null in files written before it was recorded
    f.labels = j.at("labels").get<std::vector<int>>();
    f.probs = j.at("probabilities").get<std::vector<double>>();
  } catch (const nlohmann::json::exception& e) {
    throw DataError(fmt::format("{}: not a fold prediction file ({})", path.string(), e.what()));
  }
  if (f.probs.size() != static_cast<std::size_t>(f.K) * f.labels.size() * f.C)
    throw DataError(fmt::format("{}: {} probabilities for K = {}, {} images, {} classes", path.string(),
                                f.probs.size(), f.K, f.labels.size(), f.C));
  return f;
}

FoldPredictions pool_folds(const std::vector<FoldPredictions>& folds) {
  FoldPredictions out;
  out.K = folds.at(0).K;
  out.C = folds.at(0).C;
  for (auto& f : folds) {
    if (f.K != out.K || f.C != out.C) throw DataError("cross-validation folds differ in samples K or classes");
    out.labels.insert(out.labels.end(), f.labels.begin(), f.labels.end());
  }
  for (int k = 0; k < out.K; ++k)
    for (auto& f : folds) {
      auto row = static_cast<std::size_t>(f.C) * f.labels.size();
      out.probs.insert(out.probs.end(), f.probs.begin() + static_cast<std::ptrdiff_t>(k * row),
                       f.probs.begin() + static_cast<std::ptrdiff_t>((k + 1) * row));
    }
  return out;
}

void validate(const CrossValidationOptions& cv) {
  require_at_least("folds", cv.folds, 2);
  if (cv.fold != -1) require_in_range("fold", cv.fold, 0, cv.folds - 1);
}

namespace {

// One fold of the study: its data options, images and folder.
struct Fold {
  int index = 0;
  ClassifierDataOptions data;
  LabelledImages train, val;
  std::size_t n_train = 0;
  fs::path dir, predictions;  // fold-<k>/ and its val_probabilities.json
};

nlohmann::json fold_metrics_extra(const ClassifierTrainOptions& t, const CrossValidationOptions& cv, int f) {
  return {{"split", "val"}, {"fold", f}, {"folds", cv.folds}, {"tta", t.tta}, {"ensemble", t.ensemble}};
}

// A finished fold's predictions under other prediction options (test-time
// augmentation, evaluation samples): the fold's saved model predicts its
// validation images again.
FoldPredictions predict_fold_again(const Fold& fold, const ClassifierTrainOptions& t, std::uint64_t seed) {
  auto model = ClassifierEnsemble::load(fold.dir, t.backbone);
  const bool bayesian = model.config().bayesian;
  const int k = bayesian ? t.eval_samples : 1;
  torch::manual_seed(derive_seed(seed, 0xE7A1));
  FoldPredictions fp;
  fp.K = k * static_cast<int>(model.size());
  fp.C = model.config().n_classes;
  fp.images_hash = images_hash(fold.val);
  fp.settings = train_settings(t, fold.data);
  fp.labels = fold.val.labels;
  fp.probs = predict_probabilities(model, fold.val, k, bayesian,
                                   parse_test_time_augmentation(t.tta, "test-time augmentation"));
  return fp;
}

// What a fold needs: nothing (its saved predictions are reused), a new
// prediction by its saved model, or training (all members, or the members not
// finished yet of a grown ensemble).
enum class FoldWork { kReuse, kPredictAgain, kTrain };

struct FoldPlan {
  Fold fold;  // its training images are dropped after planning (reloaded where a member trains)
  FoldWork work = FoldWork::kTrain;
  FoldPredictions saved;  // kReuse: the fold's predictions
};

// What a resumed run makes of a fold's saved predictions. Every process reads
// the same files and decides alike. UsageError when the fold was trained with
// other options, DataError when it holds other images.
FoldPlan plan_fold(Fold fold, const ClassifierTrainOptions& t, const CrossValidationOptions& cv) {
  FoldPlan plan;
  plan.fold = std::move(fold);
  if (!cv.resume || !fs::exists(plan.fold.predictions)) return plan;
  const auto& fd = plan.fold;
  const int f = fd.index;
  auto fp = read_fold_predictions(fd.predictions);
  if (fp.images_hash != images_hash(fd.val) || fp.labels != fd.val.labels)
    throw DataError(fmt::format("{}: its images are not fold {}'s; was it run with other data or another seed?",
                                fd.predictions.string(), f));
  const auto want = train_settings(t, fd.data);
  if (fp.settings.is_null()) {
    if (parallel::is_root()) log().warn("{}: records no training options; reused as they are", fd.predictions.string());
  } else if (other_ensemble_size_only(fp.settings, want)) {
    log().info("fold {}/{}: --ensemble {} (was {}): training only the members not finished yet", f + 1, cv.folds,
                 t.ensemble, fp.settings.value("ensemble", 1));
    return plan;
  } else if (model_settings(fp.settings) != model_settings(want)) {
    throw UsageError(fmt::format("resuming: fold {} in {} was trained with other options ({}); use another output folder",
                                 f, fd.dir.parent_path().string(), fp.settings.dump()));
  } else if (fp.settings != want) {
    log().info("fold {}/{}: re-evaluating the saved model with --tta {} --eval-samples {} (was {} {})", f + 1,
                 cv.folds, t.tta, t.eval_samples, fp.settings.value("tta", "?"), fp.settings.value("eval_samples", 0));
    plan.work = FoldWork::kPredictAgain;
    return plan;
  } else {
    log().info("fold {}/{}: reusing {}", f + 1, cv.folds, fd.predictions.string());
  }
  plan.work = FoldWork::kReuse;
  plan.saved = std::move(fp);
  return plan;
}

// A fold's saved model predicts its validation images under the new
// prediction options; its metrics and predictions are written again.
FoldPredictions predict_again(const Fold& fold, const ClassifierTrainOptions& t, const CrossValidationOptions& cv,
                              std::uint64_t seed) {
  auto fp = predict_fold_again(fold, t, seed);
  write_metrics(fold.dir,
                calibration_report(fp.probs, fp.K, static_cast<std::int64_t>(fold.val.size()), fp.C, fold.val.labels),
                fold_metrics_extra(t, cv, fold.index), fmt::format("{} fold {}", t.backbone, fold.index));
  write_fold_predictions(fold.predictions, fp);
  return fp;
}

// A trained fold's model folder from its members (in member order): its
// metrics and out-of-fold predictions written.
FoldPredictions pool_fold(const Fold& fold, const std::vector<MemberSummary>& members,
                          const ClassifierTrainOptions& t, const CrossValidationOptions& cv,
                          double& seconds_per_epoch) {
  auto res = pool_members(members, fold.val, fold.dir);
  auto extra = fold_metrics_extra(t, cv, fold.index);
  extra["seconds_per_epoch"] = res.seconds_per_epoch;
  write_metrics(fold.dir, res.val, extra, fmt::format("{} fold {}", t.backbone, fold.index));
  FoldPredictions fp{res.val_samples, res.config.n_classes, images_hash(fold.val), train_settings(t, fold.data),
                     fold.val.labels, res.val_probs};
  write_fold_predictions(fold.predictions, fp);
  seconds_per_epoch = res.seconds_per_epoch;
  return fp;
}

// The pooled metrics.json and reliability.png in `root`.
void pool_study(const std::vector<FoldPredictions>& preds, const ClassifierTrainOptions& t,
                const CrossValidationOptions& cv, const fs::path& root, CrossValidationResult& out) {
  std::vector<double> acc, ece, uce, nll;
  for (auto& f : out.folds)
    acc.push_back(f.report.accuracy), ece.push_back(f.report.ece), uce.push_back(f.report.uce),
        nll.push_back(f.report.nll);
  auto all = pool_folds(preds);
  out.images = static_cast<std::int64_t>(all.labels.size());
  out.report = calibration_report(all.probs, all.K, out.images, all.C, all.labels);
  const auto& r = out.report;
  out.accuracy_standard_error = std::sqrt(r.accuracy * (1 - r.accuracy) / static_cast<double>(out.images));
  out.pooled = true;
  nlohmann::json extra = {
      {"split", "out-of-fold (pooled)"},
      {"folds", cv.folds},
      {"tta", t.tta},
      {"accuracy_standard_error", out.accuracy_standard_error},
      {"per_fold",
       {{"accuracy", acc}, {"ece", ece}, {"uce", uce}, {"nll", nll},
        {"accuracy_mean", mean(acc)}, {"accuracy_sd", sample_stdev(acc)},
        {"ece_mean", mean(ece)}, {"ece_sd", sample_stdev(ece)}}}};
  write_metrics(root, r, extra, fmt::format("{} {}-fold pooled", t.backbone, cv.folds));
}

// The study's state on rank 0: the members received so far, and the folds
// finished in order (a fold's files, the study's CSVs after each fold).
struct StudyPooling {
  const ClassifierTrainOptions& t;
  const CrossValidationOptions& cv;
  std::uint64_t seed;
  fs::path root;
  const std::function<void(const FoldResult&)>& on_fold;
  std::vector<FoldPlan>& plans;
  std::vector<std::vector<MemberSummary>> members;  // per fold
  std::vector<int> received;                        // per fold
  std::size_t next = 0;                             // the first fold not finished
  CrossValidationResult out;
  std::vector<FoldPredictions> preds;
  std::string csv = "fold,n_train,n_val,accuracy,ece,uce,nll,brier,mutual_information,seconds_per_epoch\n";
  std::string image_csv;  // predictions.csv, every image's out-of-fold prediction

  void finish_ready_folds() {
    for (; next < plans.size(); ++next) {
      auto& plan = plans[next];
      if (plan.work == FoldWork::kTrain && received[next] < t.ensemble) return;
      finish_fold(plan);
    }
  }

  void finish_fold(FoldPlan& plan) {
    const Fold& fold = plan.fold;
    FoldResult res;
    res.fold = fold.index;
    res.n_train = fold.n_train;
    res.n_val = fold.val.size();
    FoldPredictions fp = plan.work == FoldWork::kReuse          ? std::move(plan.saved)
                         : plan.work == FoldWork::kPredictAgain ? predict_again(fold, t, cv, seed)
                                                                : pool_fold(fold, members[next], t, cv,
                                                                            res.seconds_per_epoch);
    res.report = calibration_report(fp.probs, fp.K, static_cast<std::int64_t>(fp.labels.size()), fp.C, fp.labels);
    if (image_csv.empty()) image_csv = image_predictions_header(fold.val.class_names);
    image_csv += image_predictions_rows(fp.probs, fp.K, fold.val, fold.index);
    const auto& r = res.report;
    csv += fmt::format("{},{},{},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.2f}\n", res.fold, res.n_train, res.n_val,
                       r.accuracy, r.ece, r.uce, r.nll, r.brier, r.mutual_information, res.seconds_per_epoch);
    out.folds.push_back(res);
    if (on_fold) on_fold(res);
    if (cv.fold >= 0) return;
    write_text_atomic(root / "cross_validation.csv", csv);
    write_text_atomic(root / "predictions.csv", image_csv);
    preds.push_back(std::move(fp));
  }
};

// Fold f's split (its data options, images and folder).
Fold make_fold(const ClassifierDataOptions& d, const CrossValidationOptions& cv, int f, std::uint64_t seed,
               const fs::path& root) {
  Fold fold;
  fold.index = f;
  fold.data = d;
  fold.data.folds = cv.folds;
  fold.data.fold = f;
  load_split(fold.data, seed, fold.train, fold.val);
  fold.n_train = fold.train.size();
  fold.dir = root / fmt::format("fold-{}", f);
  fold.predictions = fold.dir / "val_probabilities.json";
  return fold;
}

}  // namespace

CrossValidationResult cross_validate(const ClassifierTrainOptions& t, const ClassifierDataOptions& d,
                                     const CrossValidationOptions& cv, std::uint64_t seed, const fs::path& root,
                                     const std::function<void(const FoldResult&)>& on_fold) {
  validate(t);
  validate(cv);
  const bool one_fold = cv.fold >= 0;
  std::vector<FoldPlan> plans;
  for (int f = one_fold ? cv.fold : 0; f < (one_fold ? cv.fold + 1 : cv.folds); ++f) {
    plans.push_back(plan_fold(make_fold(d, cv, f, seed, root), t, cv));
    plans.back().fold.train = LabelledImages();
  }
  // The work items: member m of every fold to train, fold by fold, shared
  // over the processes; each trains alone from the fold's seed, as one process would.
  std::vector<std::pair<std::size_t, int>> items;
  for (std::size_t p = 0; p < plans.size(); ++p)
    if (plans[p].work == FoldWork::kTrain)
      for (int m = 0; m < t.ensemble; ++m) items.emplace_back(p, m);
  StudyPooling pool{t, cv, seed, root, on_fold, plans};
  pool.members.assign(plans.size(), std::vector<MemberSummary>(static_cast<std::size_t>(t.ensemble)));
  pool.received.assign(plans.size(), 0);
  if (parallel::is_root()) pool.finish_ready_folds();
  std::optional<Fold> loaded;  // the fold whose training images this process holds
  run_distributed_items(
      items.size(),
      [&](std::size_t i) {
        const auto& fold = plans[items[i].first].fold;
        if (!loaded || loaded->index != fold.index) loaded = make_fold(d, cv, fold.index, seed, root);
        if (items[i].second == 0)
          log().info("fold {}/{}: training on {} images, validating on {}", fold.index + 1, cv.folds,
                       loaded->train.size(), loaded->val.size());
        return train_or_reuse_member(t, loaded->data, loaded->train, loaded->val, seed, items[i].second, fold.dir,
                                     cv.resume, single_process())
            .to_bytes();
      },
      [&](std::size_t i, const std::string& bytes) {
        const auto [p, m] = items[i];
        pool.members[p][static_cast<std::size_t>(m)] = MemberSummary::from_bytes(bytes);
        ++pool.received[p];
        pool.finish_ready_folds();
      });
  if (!parallel::is_root() || one_fold) return std::move(pool.out);
  pool_study(pool.preds, t, cv, root, pool.out);
  return std::move(pool.out);
}

}  // namespace penumbra
