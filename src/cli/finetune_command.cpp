// penumbra finetune --encoder CKPT|scratch --data catalogue:CSV|mirabest:DIR
//   [--head linear|mlp] [--freeze|--no-freeze] [--labels 25,50,100,200,400] [--folds 5]
// A head on a pretrained encoder (or the same network from scratch) on a binary
// task, at each label count by stratified K-fold cross-validation: accuracy,
// ROC AUC and ECE of the pooled out-of-fold predictions → curve.csv,
// finetune.csv, finetune.json, label_efficiency.png (src/pipelines/finetuning.hpp).
#include <fmt/format.h>

#include <memory>

#include "src/cli/commands.hpp"
#include "src/core/errors.hpp"
#include "src/pipelines/finetuning.hpp"

namespace penumbra::cli {

namespace {

struct FinetuneCli {
  FinetuneOptions run;
  std::string data, label_column = "ring";
  double crop = 1.0;
  int size = 64, channels = 0;  // scratch only (a checkpoint brings its own)
};

void add_encoder_options(CLI::App* c, FinetuneCli& o) {
  c->add_option("--encoder", o.run.encoder, "Encoder checkpoint folder (from `penumbra pretrain`), or scratch")
      ->required();
  c->add_option("--width", o.run.scratch.width, "scratch: first-stage width (4..64)")->capture_default_str();
  c->add_option("--depth", o.run.scratch.depth, "scratch: residual blocks per stage (1..4)")->capture_default_str();
  c->add_option("--stages", o.run.scratch.stages, "scratch: stages (3 or 4)")->capture_default_str();
  c->add_option("--size", o.size,
                "Input side in pixels (scratch; a checkpoint runs at its pretraining side unless --size is given)")
      ->capture_default_str();
  c->add_option("--channels", o.channels, "scratch: 1 or 3 (default: 3 for a catalogue, 1 for MiraBest)");
}

void add_task_options(CLI::App* c, FinetuneCli& o) {
  c->add_option("--data", o.data, "catalogue:CSV (e.g. the Galaxy Zoo rings) or mirabest:DIR (Confident FRI/FRII)")
      ->required();
  c->add_option("--label-column", o.label_column, "catalogue: the 0/1 label column")->capture_default_str();
  c->add_option("--crop", o.crop, "Centre crop, fraction of the image side, before resizing")->capture_default_str();
  c->add_option("--head", o.run.head, "linear or mlp")->capture_default_str();
  c->add_option("--head-hidden", o.run.head_hidden, "Hidden width of the mlp head")->capture_default_str();
  c->add_flag("--freeze,!--no-freeze", o.run.freeze, "Train the head only (default) or the encoder too");
  c->add_option("--labels", o.run.labels, "Label counts of the curve")->delimiter(',')->capture_default_str();
  c->add_option("--folds", o.run.folds, "Stratified cross-validation folds")->capture_default_str();
  c->add_option("--steps", o.run.steps, "Optimisation steps per model")->capture_default_str();
  c->add_option("--batch", o.run.batch, "Images per step")->capture_default_str();
  c->add_option("--lr", o.run.lr, "Adam learning rate of the head (a pretrained encoder gets lr/10)")
      ->capture_default_str();
  c->add_option("--weight-decay", o.run.weight_decay, "Adam weight decay")->capture_default_str();
}

void run_finetune(FinetuneCli& o, const CLI::App* cmd, Context& ctx) {
  const bool mirabest = o.data.rfind("mirabest:", 0) == 0;
  if (!mirabest && o.data.rfind("catalogue:", 0) != 0)
    throw UsageError(fmt::format("--data '{}' unknown; expected catalogue:CSV or mirabest:DIR", o.data));
  if (!(o.crop > 0 && o.crop <= 1)) throw UsageError(fmt::format("--crop must be in (0, 1], got {}", o.crop));
  int size = o.size, channels = o.channels ? o.channels : (mirabest ? 1 : 3);
  if (o.run.encoder == "scratch") {
    o.run.scratch.image_size = size, o.run.scratch.channels = channels;
  } else {
    const auto& c = Encoder::load(o.run.encoder)->config();  // refuses another backbone in one line
    channels = c.channels;
    size = c.image_size;
    if (cmd->count("--size") > 0) o.run.input_size = size = o.size;
  }
  o.run.validate();
  auto data = read_downstream(o.data, o.label_column, size, channels, o.crop);
  auto& run = ctx.run("finetune");
  fmt::print("finetune: {} images ({} channel(s), {}² px) from {}\n", data.count, data.channels, data.size, o.data);
  auto r = run_finetuning(o.run, data, ctx.seed(), run.dir(), [](const FinetunePoint& p) {
    fmt::print("labels {:4d} (used {:4d}): accuracy {:.3f} ± {:.3f}  ROC AUC {:.3f}  ECE {:.3f}\n", p.labels,
               p.labels_used, p.accuracy, p.accuracy_sd, p.auc, p.ece);
  });
  fmt::print("{} ({} encoder parameters), {:.1f} s → {}\n", r.encoder_description, r.encoder_parameters, r.seconds,
             (run.dir() / "curve.csv").string());
  nlohmann::json points = nlohmann::json::array();
  for (const auto& p : r.curve) points.push_back({{"labels_used", p.labels_used}, {"accuracy", p.accuracy}, {"auc", p.auc}, {"ece", p.ece}});
  run.finish({{"description", r.encoder_description}, {"curve", points}});
}

}  // namespace

Runner add_finetune(CLI::App& root) {
  auto o = std::make_shared<FinetuneCli>();
  auto* c = root.add_subcommand("finetune",
                                "Transfer an encoder to a binary task: label-efficiency curve by stratified K-fold CV "
                                "(accuracy, ROC AUC, ECE)");
  add_encoder_options(c, *o);
  add_task_options(c, *o);
  return [o, c](Context& ctx) {
    if (c->parsed()) run_finetune(*o, c, ctx);
  };
}

}  // namespace penumbra::cli
