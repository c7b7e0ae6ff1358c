#include "src/pipelines/classifier_semi_supervised.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include <sstream>

#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/log.hpp"
#include "src/core/rng.hpp"
#include "src/pipelines/classifier_evaluation.hpp"

namespace penumbra {

namespace {

std::vector<std::string> split_list(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream ss(list);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

}  // namespace

void validate(const SemiSupervisedOptions& o, const ClassifierDataOptions& d) {
  if (!o.method.empty() && o.method != "fixmatch")
    throw UsageError(fmt::format("semi-supervised method '{}' unknown; expected fixmatch", o.method));
  require_non_negative("labelled images", o.labels);
  validate(o.fixmatch);
  if (o.method.empty()) return;
  require_at_least("synthetic unlabelled images", o.n_synthetic, 1);
  const auto pools = split_list(o.unlabelled);
  if (pools.empty()) throw UsageError("unlabelled pool: none named; expected train, synthetic or MiraBest subsets");
  for (const auto& p : pools) {
    if (p == "train" || p == "synthetic") continue;
    if (d.data == "synthetic")
      throw UsageError(fmt::format("unlabelled pool '{}' needs MiraBest data; expected train or synthetic", p));
    if (p == d.subset || p == "all" || d.subset == "all")
      throw UsageError(fmt::format("unlabelled subset '{}' overlaps the validation fold (drawn from subset '{}'); "
                                   "'train' adds the training split's own images",
                                   p, d.subset));
  }
}

LabelledImages take_labelled(const LabelledImages& train, int labels) {
  if (labels == 0) return train;
  const int C = static_cast<int>(train.class_names.size());
  if (labels > static_cast<int>(train.size()))
    throw UsageError(fmt::format("labelled images: {} exceeds the {} training images", labels, train.size()));
  if (labels % C != 0)
    throw UsageError(fmt::format("labelled images: {} is not divisible across the {} classes", labels, C));
  std::vector<std::vector<std::size_t>> by_class(C);
  for (std::size_t i = 0; i < train.size(); ++i) by_class[train.labels[i]].push_back(i);
  std::vector<std::size_t> keep;
  for (int c = 0; c < C; ++c) {
    if (static_cast<int>(by_class[c].size()) < labels / C)
      throw UsageError(fmt::format("labelled images: {} per class, but class {} has {} training images", labels / C,
                                   train.class_names[c], by_class[c].size()));
    keep.insert(keep.end(), by_class[c].begin(), by_class[c].begin() + labels / C);
  }
  return train.subset(keep);
}

LabelledImages unlabelled_pool(const SemiSupervisedOptions& o, const ClassifierDataOptions& d,
                               const LabelledImages& train, std::uint64_t seed) {
  validate(o, d);
  LabelledImages pool;
  pool.height = train.height;
  pool.width = train.width;
  pool.class_names = train.class_names;
  const auto add = [&](const LabelledImages& images, const std::string& name) {
    if (images.height != pool.height || images.width != pool.width)
      throw DataError(fmt::format("unlabelled pool '{}': {}×{} px images, the training images are {}×{}", name,
                                  images.height, images.width, pool.height, pool.width));
    pool.pixels.insert(pool.pixels.end(), images.pixels.begin(), images.pixels.end());
    pool.labels.insert(pool.labels.end(), images.size(), 0);  // hidden
  };
  for (const auto& p : split_list(o.unlabelled)) {
    if (p == "train") {
      add(train, p);
      continue;
    }
    auto dp = d;
    if (p == "synthetic") {  // a seed of its own: never the synthetic training or validation images
      dp.data = "synthetic";
      dp.n_synthetic = o.n_synthetic;
      if (d.data != "synthetic") dp.synthetic_size = 150;  // MiraBest's side, then the same crop and binning
    }
    add(read_labelled_images(dp, p == "synthetic" ? d.subset : p, derive_seed(seed, 0x55100L)), p);
  }
  return pool;
}

SemiSupervisedResult train_semi_supervised_folder(const ClassifierTrainOptions& t, const ClassifierDataOptions& d,
                                                  const SemiSupervisedOptions& o, const LabelledImages& train,
                                                  const LabelledImages& val, std::uint64_t seed,
                                                  const std::filesystem::path& dir) {
  validate(o, d);
  if (t.ensemble > 1) throw UsageError("semi-supervised training trains one model; drop --ensemble");
  SemiSupervisedResult r;
  const auto labelled = take_labelled(train, o.labels);
  r.labelled = labelled.size();
  const bool fixmatch = o.method == "fixmatch";
  const auto pool = fixmatch ? unlabelled_pool(o, d, train, seed) : LabelledImages{};
  r.unlabelled = pool.size();
  auto cfg = member_config(t, d, labelled, val, seed, seed);
  cfg.extra.update({{"ssl", fixmatch ? o.method : "none"}, {"labels", labelled.size()}});
  if (fixmatch)
    cfg.extra.update({{"unlabelled", o.unlabelled},
                      {"unlabelled_images", pool.size()},
                      {"tau", o.fixmatch.threshold},
                      {"mu", o.fixmatch.mu},
                      {"lambda_u", o.fixmatch.lambda_u},
                      {"ema", o.fixmatch.ema}});
  Classifier model(cfg, seed);
  const auto log_epoch = [&](const EpochSummary& e) {
    log().info("epoch {}/{}: loss {:.4f} nll {:.4f} ({:.1f} s)", e.epoch, t.epochs, e.loss, e.nll, e.seconds);
  };
  if (fixmatch) {
    FixMatchEpochStats stats;
    r.seconds_per_epoch =
        train_fixmatch(model, labelled, pool, training_settings(t), o.fixmatch, seed, log_epoch, &stats);
    r.mask_rate = stats.mask_rate;
  } else {
    r.seconds_per_epoch = train_classifier(model, labelled, training_settings(t), seed, log_epoch);
  }
  model.save(dir);
  if (val.size() == 0) return r;
  const int K = model.config().bayesian ? t.eval_samples : 1;
  const auto p = predict_probabilities(model, val, K, model.config().bayesian);
  r.val = calibration_report(p, K, static_cast<std::int64_t>(val.size()), model.config().n_classes, val.labels);
  write_metrics(dir, r.val,
                {{"split", "val"}, {"ssl", o.method.empty() ? "none" : o.method}, {"labels", r.labelled},
                 {"unlabelled_images", r.unlabelled}, {"mask_rate", r.mask_rate},
                 {"seconds_per_epoch", r.seconds_per_epoch}},
                fmt::format("{} {} labels", t.backbone, r.labelled));
  return r;
}

}  // namespace penumbra
