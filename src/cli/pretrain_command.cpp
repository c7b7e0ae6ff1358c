// penumbra pretrain supervised|byol|hybrid --data FILE.h5|catalogue:CSV [--vote-columns --assumed-total --tree]
//   [--width --depth --stages]
//   [--steps --batch --lr] [--lambda --vote-fraction] [--tau-base --hidden --projection]
//   [--min-scale --blur --jitter --view-noise] [--resume]
// Pretrains a ResNet-style encoder on Galaxy Zoo-style votes (Dirichlet vote
// loss), on BYOL views, or on both; the run folder is an encoder checkpoint for
// `penumbra finetune --encoder` (src/pipelines/pretraining.hpp).
#include <fmt/format.h>

#include <memory>

#include "src/cli/commands.hpp"
#include "src/core/errors.hpp"
#include "src/pipelines/pretraining.hpp"

namespace penumbra::cli {

namespace {

struct PretrainCli {
  PretrainOptions run;
  std::string data;
  std::int64_t first = 0, count = -1;
  int size = 64, channels = 3;  // catalogue:CSV only
  CatalogueVoteOptions votes;   // catalogue:CSV only
};

void add_data_options(CLI::App* c, PretrainCli& o) {
  c->add_option("method", o.run.method, "supervised (vote loss), byol, or hybrid (BYOL + λ · vote loss)")->required();
  c->add_option("--data", o.data,
                "HDF5 from `penumbra dataset gz-votes`, or catalogue:CSV (votes from --vote-columns, else images "
                "only: byol)")
      ->required();
  c->add_option("--first", o.first, "First image used")->capture_default_str();
  c->add_option("--count", o.count, "Images used (-1: all)")->capture_default_str();
  c->add_option("--size", o.size, "catalogue: image side in pixels")->capture_default_str();
  c->add_option("--channels", o.channels, "catalogue: 1 or 3")->capture_default_str();
  c->add_option("--vote-columns", o.votes.columns,
                "catalogue: vote columns, names or patterns (question_answer counts, question_answer_fraction "
                "fractions), e.g. '*_fraction'")
      ->delimiter(',');
  c->add_option("--assumed-total", o.votes.assumed_total,
                "catalogue: votes per question that fraction columns stand for (e.g. 40 for GZ DECaLS DR5)");
  c->add_option("--tree", o.votes.tree, "catalogue: decision tree JSON (default: data/gz/decals_tree.json)");
  c->add_option("--vote-fraction", o.run.vote_fraction,
                "Fraction of the images whose votes are used; the rest count as unlabelled")
      ->capture_default_str();
}

void add_model_options(CLI::App* c, PretrainCli& o) {
  auto& r = o.run;
  c->add_option("--width", r.encoder.width, "Encoder first-stage width (4..64)")->capture_default_str();
  c->add_option("--depth", r.encoder.depth, "Residual blocks per stage (1..4)")->capture_default_str();
  c->add_option("--stages", r.encoder.stages, "Stages (3 or 4)")->capture_default_str();
  c->add_option("--hidden", r.byol.hidden, "BYOL projector/predictor hidden width")->capture_default_str();
  c->add_option("--projection", r.byol.projection, "BYOL projection width")->capture_default_str();
  c->add_option("--tau-base", r.byol.tau_base, "BYOL target EMA decay at step 0 (cosine to 1)")->capture_default_str();
  c->add_option("--lambda", r.lambda, "hybrid: weight of the vote loss")->capture_default_str();
  c->add_option("--min-scale", r.views.min_scale, "Views: smallest crop side (fraction)")->capture_default_str();
  c->add_option("--blur", r.views.blur, "Views: blur probability")->capture_default_str();
  c->add_option("--jitter", r.views.jitter, "Views: brightness/colour jitter")->capture_default_str();
  c->add_option("--view-noise", r.views.noise, "Views: largest noise rms (× the image rms)")->capture_default_str();
}

void add_optimiser_options(CLI::App* c, PretrainCli& o) {
  auto& r = o.run;
  c->add_option("--steps", r.steps, "Total optimisation steps (also when resuming)")->capture_default_str();
  c->add_option("--batch", r.batch, "Images per step")->capture_default_str();
  c->add_option("--lr", r.lr, "Adam learning rate")->capture_default_str();
  c->add_option("--weight-decay", r.weight_decay, "Adam weight decay")->capture_default_str();
  c->add_option("--checkpoint-every", r.checkpoint_every, "Steps between checkpoints")->capture_default_str();
  c->add_flag("--resume", r.resume, "Continue from the checkpoint in --out");
}

void run_pretrain(PretrainCli& o, Context& ctx) {
  o.run.validate();
  if (o.run.resume && ctx.options().out.empty()) throw UsageError("--resume needs --out (the folder to continue)");
  if (o.data.rfind("catalogue:", 0) != 0 && (!o.votes.columns.empty() || !o.votes.tree.empty()))
    throw UsageError("--vote-columns and --tree read a catalogue:CSV; a gz-votes file carries its votes and tree");
  auto data = read_pretrain_data(o.data, o.first, o.count, o.size, o.channels, o.votes);
  check_pretrain_data(o.run, data);
  auto& run = ctx.run("pretrain");
  fmt::print("pretrain {}: {} images ({} channel(s), {}² px){} from {}\n", o.run.method, data.count, data.channels,
             data.size, data.has_votes() ? fmt::format(", {} answers", data.tree.answer_count()) : "", o.data);
  auto r = run_pretraining(o.run, data, ctx.seed(), run.dir());
  fmt::print("encoder resnet w{} d{} s{}: {} parameters; steps {}→{}, final loss {:.4g}, {:.1f} s → {}\n",
             o.run.encoder.width, o.run.encoder.depth, o.run.encoder.stages, r.encoder_parameters, r.start_step,
             r.steps, r.final_loss, r.seconds, run.dir().string());
  run.finish({{"method", o.run.method}, {"steps", r.steps}, {"final_loss", r.final_loss},
              {"encoder_parameters", r.encoder_parameters}, {"seconds", r.seconds}});
}

}  // namespace

Runner add_pretrain(CLI::App& root) {
  auto o = std::make_shared<PretrainCli>();
  auto* c = root.add_subcommand(
      "pretrain", "Pretrain a ResNet-style encoder: Dirichlet vote loss (supervised), BYOL, or hybrid");
  add_data_options(c, *o);
  add_model_options(c, *o);
  add_optimiser_options(c, *o);
  return [o, c](Context& ctx) {
    if (c->parsed()) run_pretrain(*o, ctx);
  };
}

}  // namespace penumbra::cli
