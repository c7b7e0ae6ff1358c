// penumbra train-prior: denoising score matching of a diffusion prior on an
// image dataset (HDF5 from `penumbra dataset`, or galaxies/disks generated in memory),
// with periodic atomic checkpoints, exact --resume, and the loss curve (CSV +
// PNG) in the run folder (src/pipelines/prior_training.hpp). See docs/prior.md.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "src/cli/commands.hpp"
#include "src/cli/shared_run_folder.hpp"
#include "src/parallel/communicator.hpp"
#include "src/pipelines/prior_training.hpp"

namespace penumbra::cli {

namespace {

void add_data_options(CLI::App* app, PriorTrainingOptions& o) {
  app->add_option("--data", o.data, "HDF5 file with an [N,H,W] image stack (from `penumbra dataset`)");
  app->add_option("--dataset", o.dataset, "Name of the image stack in --data")->capture_default_str();
  app->add_option("--generate", o.generate, "Instead of --data: train on N images generated in memory (seed: --seed)")
      ->check(CLI::PositiveNumber);
  app->add_option("--kind", o.kind, "What --generate makes: galaxies, disks (protoplanetary) or mix (half/half)")
      ->capture_default_str();
  app->add_option("--size", o.size, "Image size of --generate")->capture_default_str();
  app->add_option("--patch-size", o.patch_size,
                  "Train a patch prior: random N×N crops of the images with their positions (0: whole images; "
                  "samples any multiple of N, docs/prior.md)")
      ->capture_default_str();
  app->add_option("--psf-fwhm", o.psf_fwhm, "PSF FWHM (pixels) of --generate")->capture_default_str();
  app->add_option("--noise", o.noise, "Noise σ (fraction of the peak) of --generate")->capture_default_str();
  app->add_option("--held-out", o.held_out,
                  "Images kept out of training for the held-out loss (default: 256 when N ≥ 2560, else 0)");
}

void add_network_options(CLI::App* app, PriorTrainingOptions& o, bool& no_attention) {
  app->add_option("--sde", o.sde, "ve or vp")->capture_default_str();
  app->add_option("--width", o.width, "Channels at the first U-Net level")->capture_default_str();
  app->add_option("--mult", o.multipliers, "Channel multipliers per level")->capture_default_str();
  app->add_option("--res-blocks", o.res_blocks, "Residual blocks per level")->capture_default_str();
  app->add_option("--patch", o.patch, "Pixel-unshuffle stem factor (1 = none)")->capture_default_str();
  app->add_flag("--no-attention", no_attention, "No self-attention at the lowest resolution");
  app->add_option("--sigma-min", o.sigma_min, "VE σ_min")->capture_default_str();
  app->add_option("--sigma-max", o.sigma_max, "VE σ_max (0: largest pairwise distance of 1000 training images)")
      ->capture_default_str();
  app->add_option("--sigma-data", o.sigma_data, "σ_data of the input scaling (0: pixel std of the data)")
      ->capture_default_str();
  app->add_option("--t-eps", o.t_eps, "Smallest training time (0: 1e-5 for VE, 1e-3 for VP)");
}

void add_optimiser_options(CLI::App* app, PriorTrainingOptions& o) {
  app->add_option("--steps", o.steps, "Total optimisation steps (also when resuming)")->capture_default_str();
  app->add_option("--batch", o.batch, "Images per step")->capture_default_str();
  app->add_option("--lr", o.lr, "Adam learning rate")->capture_default_str();
  app->add_option("--warmup", o.warmup, "Linear learning-rate warm-up steps")->capture_default_str();
  app->add_option("--grad-clip", o.grad_clip, "Global gradient-norm clip (0: off)")->capture_default_str();
  app->add_option("--ema", o.ema, "EMA decay of the weights")->capture_default_str();
  app->add_option("--checkpoint-every", o.checkpoint_every, "Steps between checkpoints")->capture_default_str();
  app->add_option("--log-every", o.log_every, "Steps per loss-history record")->capture_default_str();
  app->add_option("--resume", o.resume_from,
                  "Continue exactly from a checkpoint (no value: <run folder>/checkpoint.ckpt)")
      ->expected(0, 1);
}

struct TrainOptions {
  PriorTrainingOptions run;
  bool no_attention = false;
};

}  // namespace

Runner add_train_prior(CLI::App& root) {
  auto* app = root.add_subcommand("train-prior", "Train a score-based diffusion prior (denoising score matching)");
  auto o = std::make_shared<TrainOptions>();
  add_data_options(app, o->run);
  add_network_options(app, o->run, o->no_attention);
  add_optimiser_options(app, o->run);
  return [o, app](Context& ctx) {
    auto& r = o->run;
    r.resume = app->count("--resume") > 0;
    r.attention = !o->no_attention;
    r.seed = ctx.seed();
    r.validate();
    // Under mpirun every rank trains (data-parallel); rank 0 writes and prints.
    auto results = run_prior_training(r, shared_run_dir(ctx, "train-prior"));
    if (!parallel::is_root()) return;
    ctx.run("train-prior").finish(results);
    fmt::print("{}\n", results["checkpoint"].get<std::string>());
  };
}

}  // namespace penumbra::cli
