// penumbra classify label-volume --data mirabest:DIR --labels 50,100,200,all --methods supervised,fixmatch
//     --pools rest,imbalanced:1:4,imbalanced:4:1,degraded,synthetic --folds K [--pool-size M] [--resume]
//     [training options of classify train] [--tau --mu --lambda-u --ema] [--degradation-blur --degradation-noise]
//     [--encoder DIR] [--replicates R --level L]
//   → cells/<cell>/ (a model folder each, cell.json last), label_volume.csv, label_volume_summary.csv,
//     ssl_gain.csv, label_volume.json, label_volume_accuracy.png, label_volume_ece.png
// The study is src/pipelines/label_volume_study.hpp; under mpirun the cells are shared over the ranks.
#include "src/cli/classify_label_volume_command.hpp"

#include <fmt/format.h>

#include <memory>

#include "src/cli/classify_options.hpp"
#include "src/cli/shared_run_folder.hpp"
#include "src/core/errors.hpp"
#include "src/parallel/communicator.hpp"
#include "src/pipelines/label_volume_study.hpp"

namespace penumbra::cli {

namespace {

struct LabelVolumeCliOptions {
  ClassifierDataOptions data;
  ClassifierTrainOptions train;
  LabelVolumeOptions study;
  std::vector<std::string> labels = {"50", "100", "200"};
};

void add_options(CLI::App* c, LabelVolumeCliOptions& o) {
  auto& d = o.data;
  auto& t = o.train;
  auto& s = o.study;
  c->add_option("--data", d.data, "mirabest:DIR or synthetic: the labelled images")->capture_default_str();
  c->add_option("--subset", d.subset, "Labelled MiraBest subset (confident)")->capture_default_str();
  c->add_option("--batches", d.batches, "MiraBest batches (1..7)")->capture_default_str();
  c->add_option("--n-synthetic", d.n_synthetic, "Labelled synthetic images")->capture_default_str();
  c->add_option("--synthetic-size", d.synthetic_size, "Synthetic image side (px)")->capture_default_str();
  c->add_option("--crop", d.crop, "Centre crop (px; 0 = full)")->capture_default_str();
  c->add_option("--bin", d.bin, "Binning factor after the crop")->capture_default_str();
  c->add_option("--backbone", t.backbone, "Backbone of every cell's model")->capture_default_str();
  c->add_option("--group", t.group, "Group of an equivariant backbone")->capture_default_str();
  add_resnet_options(c, t);
  c->add_flag("--deterministic", t.deterministic, "Plain (MAP) networks instead of Bayesian ones");
  c->add_option("--prior", t.prior, "Weight prior")->capture_default_str();
  c->add_option("--temperature", t.temperature, "Posterior temperature")->capture_default_str();
  c->add_option("--epochs", t.epochs, "Epochs (passes over the labelled images)")->capture_default_str();
  c->add_option("--batch", t.batch, "Labelled images per step")->capture_default_str();
  c->add_option("--lr", t.lr, "Adam learning rate")->capture_default_str();
  c->add_option("--eval-samples", t.eval_samples, "Posterior samples of a Bayesian cell's metrics")
      ->capture_default_str();
  c->add_flag("!--no-augment", t.augment, "No random rotations and flips of the labelled images");
  c->add_option("--labels", o.labels, "Label counts, comma-separated (multiples of the classes; 'all')")
      ->delimiter(',')
      ->capture_default_str();
  c->add_option("--methods", s.methods, "supervised and/or fixmatch")->delimiter(',')->capture_default_str();
  c->add_option("--pools", s.pools,
                "FixMatch's unlabelled pools: rest (Uncertain + Hybrid + unused Confident), imbalanced:A:B "
                "(FRI:FRII), degraded (rest blurred and noisier), synthetic, uncertain, hybrid")
      ->delimiter(',')
      ->capture_default_str();
  c->add_option("--folds", s.folds, "Stratified folds of the labelled subset")->capture_default_str();
  c->add_flag("--resume", s.resume, "Reuse the finished cells of an earlier run in the same --out folder");
  c->add_option("--pool-size", s.pool_size, "At most this many images per pool (seeded draw; 0: all)")
      ->capture_default_str();
  c->add_option("--synthetic-pool-images", s.n_synthetic, "Images generated for a synthetic pool")
      ->capture_default_str();
  c->add_option("--encoder", s.encoder,
                "Model folder whose features give the Fréchet distance (default: the supervised model of the "
                "same fold and label count)");
  c->add_option("--tau", s.fixmatch.threshold, "FixMatch confidence threshold τ")->capture_default_str();
  c->add_option("--mu", s.fixmatch.mu, "FixMatch unlabelled images per labelled one")->capture_default_str();
  c->add_option("--lambda-u", s.fixmatch.lambda_u, "FixMatch unlabelled loss weight")->capture_default_str();
  c->add_option("--ema", s.fixmatch.ema, "FixMatch EMA decay (0: none)")->capture_default_str();
  c->add_option("--degradation-blur", s.degrade.blur, "Degraded pool: Gaussian σ (px, after crop and binning)")
      ->capture_default_str();
  c->add_option("--degradation-noise", s.degrade.noise, "Degraded pool: noise σ (pixel scale [0, 1])")
      ->capture_default_str();
  c->add_option("--replicates", s.shift.replicates, "Bootstrap replicates of the Fréchet distance")
      ->capture_default_str();
  c->add_option("--level", s.shift.level, "Fréchet interval level")->capture_default_str();
}

void print_summary(const nlohmann::json& summary) {
  for (const auto& g : summary["ssl_gain"])
    fmt::print("labels {:>4} pool {:<16} gain accuracy {:+.4f} ± {:.4f}  ece {:+.4f} ± {:.4f}  Fréchet {:.4g} "
               "[{:.4g}, {:.4g}]\n",
               g["labels"].get<int>(), g["pool"].get<std::string>(), g["accuracy_gain"].get<double>(),
               g["accuracy_gain_se"].get<double>(), g["ece_gain"].get<double>(), g["ece_gain_se"].get<double>(),
               g["frechet"].get<double>(), g["frechet_lower"].get<double>(), g["frechet_upper"].get<double>());
  for (const auto& r : summary["gain_vs_frechet"])
    fmt::print("labels {:>4}: correlation of the gain with the Fréchet distance: {} pools r = {}, {} cells r = {}\n",
               r["labels"].get<int>(), r["pools"].get<int>(), r["r_pools"].dump(), r["cells"].get<int>(),
               r["r_cells"].dump());
}

void run_label_volume(LabelVolumeCliOptions& o, Context& ctx) {
  o.study.labels.clear();
  for (const auto& n : o.labels) o.study.labels.push_back(parse_label_count(n));
  validate_train_options(o.train);
  validate_data_options(o.data);
  validate(o.study, o.data);
  const auto dir = shared_run_dir(ctx, "classify-label-volume");
  auto res = label_volume_study(o.train, o.data, o.study, ctx.seed(), dir, [](const LabelVolumeCellResult& r) {
    fmt::print("{}: accuracy {:.4f}  nll {:.4f}  ece {:.4f}  ({} labelled, {} unlabelled{}){}\n", r.cell.name(),
               r.accuracy, r.nll, r.ece, r.labelled, r.unlabelled,
               r.frechet ? fmt::format(", Fréchet {:.4g}", r.frechet->distance) : std::string(),
               r.reused ? " (reused)" : "");
  });
  if (!parallel::is_root()) return;
  print_summary(res.summary);
  ctx.run("classify-label-volume").finish({{"cells", res.cells.size()}});
}

}  // namespace

Runner add_classify_label_volume(CLI::App* classify) {
  auto o = std::make_shared<LabelVolumeCliOptions>();
  auto* c = classify->add_subcommand(
      "label-volume", "Supervised vs FixMatch against the number of labels, per unlabelled pool, cross-validated; "
                      "the SSL gain against the Fréchet distance of the pool");
  add_options(c, *o);
  return [o, c](Context& ctx) {
    if (c->parsed()) run_label_volume(*o, ctx);
  };
}

}  // namespace penumbra::cli
