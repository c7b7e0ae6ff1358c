// penumbra classify doubt --model DIR [--data mirabest:DIR] [--samples K] [--tta none|d4] [--replicates R] [--level L]
//   The model (one model, an ensemble, BBB or FixMatch run) trained on MiraBest Confident predicts its own
//   held-out Confident images (its validation split, or its cross-validation fold) and every Uncertain image;
//   → doubt.json and doubt.csv: accuracy, NLL, ECE, mean entropy and mutual information per group and for
//   both together, and the entropy ratio Uncertain/Confident with its bootstrap interval.
#include "src/cli/classify_doubt_command.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include <memory>

#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/log.hpp"
#include "src/core/rng.hpp"
#include "src/core/run_folder.hpp"
#include "src/nn/ensemble.hpp"
#include "src/parallel/communicator.hpp"
#include "src/pipelines/classifier_evaluation.hpp"
#include "src/pipelines/classifier_prediction.hpp"
#include "src/pipelines/human_doubt.hpp"

namespace penumbra::cli {

namespace {

struct DoubtOptions {
  std::string model, data, tta = "none";
  int samples = 20, replicates = 1000;
  double level = 0.9;
};

// The model's own data settings with its held-out split; UsageError when its
// Uncertain images are not held out or it was not trained on MiraBest.
ClassifierDataOptions held_out_data(const ClassifierConfig& cfg, const DoubtOptions& o) {
  const auto& x = cfg.extra;
  ClassifierDataOptions d;
  d.data = o.data.empty() ? x.value("data", d.data) : o.data;
  if (d.data.rfind("mirabest:", 0) != 0)
    throw UsageError(fmt::format("{} was trained on {}: the doubt report needs MiraBest (give --data mirabest:DIR)",
                                 o.model, d.data));
  d.subset = x.value("subset", d.subset);
  if (d.subset != "confident" || !x.value("extra_train", std::string()).empty())
    throw UsageError(fmt::format("{} was trained on subset '{}'{}: its Uncertain images are not held out", o.model,
                                 d.subset, x.value("extra_train", std::string()).empty() ? "" : " with extra images"));
  d.batches = x.value("batches", d.batches);
  d.crop = x.value("crop", 0);
  d.bin = x.value("bin", 1);
  d.val_fraction = x.value("val_fraction", d.val_fraction);
  d.folds = x.value("folds", 0);
  d.fold = x.value("fold", 0);
  d.split = "val";
  return d;
}

void run_doubt(const DoubtOptions& o, Context& ctx) {
  if (parallel::size() > 1) throw UsageError("classify doubt runs as one process; start it without mpirun");
  require_at_least("--samples", o.samples, 1);
  require_at_least("--replicates", o.replicates, 2);
  if (!(o.level > 0 && o.level < 1)) throw UsageError(fmt::format("--level {} not in (0, 1)", o.level));
  const auto tta = parse_test_time_augmentation(o.tta, "--tta");
  auto model = ClassifierEnsemble::load(o.model);
  const auto& cfg = model.config();
  const auto d = held_out_data(cfg, o);
  const auto confident = evaluation_images(cfg, d, ctx.seed(), o.model);
  const auto uncertain = read_labelled_images(d, "uncertain", ctx.seed());
  // A FixMatch pool that drew on Uncertain images saw them without labels: the
  // report is then transductive for that group, which the JSON records.
  const auto pool = cfg.extra.value("unlabelled", std::string());
  const bool seen = cfg.extra.value("ssl", std::string()) == "fixmatch" &&
                    (pool.find("uncertain") != std::string::npos || pool.find("rest") != std::string::npos ||
                     pool.find("degraded") != std::string::npos || pool.find("imbalanced") != std::string::npos);
  if (seen) log().warn("{}: its FixMatch pool '{}' held Uncertain images (without labels)", o.model, pool);
  auto& run = ctx.run("classify-doubt");
  const bool bayesian = cfg.bayesian;
  const int k = bayesian ? o.samples : 1;
  torch::manual_seed(derive_seed(ctx.seed(), 0xE7A1));
  PredictedGroup c{predict_probabilities(model, confident, k, bayesian, tta), confident.labels};
  PredictedGroup u{predict_probabilities(model, uncertain, k, bayesian, tta), uncertain.labels};
  const int K = k * static_cast<int>(model.size());
  const auto r = doubt_report(c, u, K, cfg.n_classes, o.replicates, o.level, ctx.seed());
  auto j = r.to_json();
  j.update({{"model", o.model}, {"data", d.data}, {"tta", o.tta}, {"samples", K}, {"ensemble", model.size()},
            {"bayesian", bayesian}, {"uncertain_in_unlabelled_pool", seen}});
  write_text_atomic(run.dir() / "doubt.json", j.dump(2) + "\n");
  write_text_atomic(run.dir() / "doubt.csv", doubt_csv(r));
  for (const auto& [name, g] : {std::pair<const char*, const CalibrationReport*>{"confident", &r.confident},
                                {"uncertain", &r.uncertain},
                                {"both", &r.both}})
    fmt::print("{:10s} n {:4d}  accuracy {:.4f}  ece {:.4f}  nll {:.4f}  entropy {:.4f}  MI {:.4f}\n", name, g->n,
               g->accuracy, g->ece, g->nll, g->entropy, g->mutual_information);
  fmt::print("entropy ratio Uncertain/Confident {:.3f}, {:g}% interval [{:.3f}, {:.3f}]\n", r.entropy_ratio,
             100 * r.level, r.ratio_lower, r.ratio_upper);
  run.finish({{"entropy_ratio", r.entropy_ratio}, {"ece_both", r.both.ece}});
}

}  // namespace

Runner add_classify_doubt(CLI::App* classify) {
  auto o = std::make_shared<DoubtOptions>();
  auto* c = classify->add_subcommand(
      "doubt", "Does the model's uncertainty track human doubt? Metrics on MiraBest Confident vs Uncertain images");
  c->add_option("--model", o->model, "Model or ensemble folder trained on MiraBest Confident")->required();
  c->add_option("--data", o->data, "mirabest:DIR (default: the model's)");
  c->add_option("--samples", o->samples, "Posterior samples K per member")->capture_default_str();
  c->add_option("--tta", o->tta, "Test-time augmentation: none or d4")->capture_default_str();
  c->add_option("--replicates", o->replicates, "Bootstrap replicates of the entropy ratio")->capture_default_str();
  c->add_option("--level", o->level, "Interval level")->capture_default_str();
  return [o, c](Context& ctx) {
    if (c->parsed()) run_doubt(*o, ctx);
  };
}

}  // namespace penumbra::cli
