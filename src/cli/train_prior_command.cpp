// penumbra train-prior: denoising score matching of a diffusion prior on an
// image dataset (HDF5 from `penumbra dataset`, or galaxies/disks generated in memory),
// with periodic atomic checkpoints, exact --resume, and the loss curve (CSV +
// PNG) in the run folder. See docs/prior.md.
#include <fmt/format.h>
#include <torch/torch.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>

#include "priors/training.hpp"
#include "src/cli/commands.hpp"
#include "src/core/errors.hpp"
#include "src/core/log.hpp"
#include "src/core/progress.hpp"
#include "src/core/rng.hpp"
#include "src/datasets/training_set.hpp"
#include "src/datasets/image_importer.hpp"
#include "src/io/png.hpp"

namespace penumbra::cli {

namespace {

struct TrainOptions {
  std::string data, dataset = "images";
  std::int64_t generate = 0;
  std::string kind = "galaxies";
  int size = 64;
  double psf_fwhm = 0, noise = 0;
  std::int64_t held_out = -1;
  std::string sde = "ve";
  int width = 16, res_blocks = 1, patch = 2;
  std::string mult = "1,2,4,4";
  bool no_attention = false;
  double sigma_min = 0.01, sigma_max = 0, sigma_data = 0, t_eps = 0;
  std::int64_t steps = 10000, batch = 16, warmup = 500, checkpoint_every = 500, log_every = 25;
  double lr = 2e-4, ema = 0.999, grad_clip = 1.0;
  bool resume = false;
  std::string resume_from;
};

std::vector<int> parse_int_list(const std::string& s, const std::string& opt) {
  std::vector<int> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    try {
      std::size_t pos;
      out.push_back(std::stoi(item, &pos));
      if (pos != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      throw UsageError(opt + " '" + s + "': expected comma-separated integers, e.g. 1,2,4,4");
    }
  }
  return out;
}

void write_loss_outputs(RunFolder& run, const std::vector<LossRecord>& hist) {
  std::string csv = "step,loss,lr\n";
  Series s;
  s.label = "DSM loss (mean per logging interval)";
  for (auto& r : hist) {
    csv += fmt::format("{},{:.6g},{:.6g}\n", r.step, r.loss, r.lr);
    s.x.push_back(double(r.step));
    s.y.push_back(r.loss);
  }
  write_text_atomic(run.path("loss.csv"), csv);
  if (hist.size() >= 2) {
    // A running mean over ~5 % of the records shows the trend through the noise.
    Series m;
    m.label = "running mean";
    std::size_t w = std::max<std::size_t>(1, hist.size() / 20);
    double acc = 0;
    for (std::size_t i = 0; i < hist.size(); ++i) {
      acc += hist[i].loss;
      if (i >= w) acc -= hist[i - w].loss;
      m.x.push_back(s.x[i]);
      m.y.push_back(acc / double(std::min(i + 1, w)));
    }
    LinePlot p;
    p.title = "train-prior: denoising score-matching loss";
    p.xlabel = "step";
    p.ylabel = "loss";
    p.logy = true;
    write_atomic(run.path("loss.png"),
                 [&](const std::filesystem::path& tmp) { write_line_plot_png(tmp, {s, m}, p); });
  }
}

}  // namespace

Runner add_train_prior(CLI::App& root) {
  auto* app = root.add_subcommand("train-prior", "Train a score-based diffusion prior (denoising score matching)");
  auto o = std::make_shared<TrainOptions>();
  app->add_option("--data", o->data, "HDF5 file with an [N,H,W] image stack (from `penumbra dataset`)");
  app->add_option("--dataset", o->dataset, "Name of the image stack in --data")->capture_default_str();
  app->add_option("--generate", o->generate, "Instead of --data: train on N images generated in memory (seed: --seed)")
      ->check(CLI::PositiveNumber);
  app->add_option("--kind", o->kind, "What --generate makes: galaxies, disks (protoplanetary) or mix (half/half)")
      ->capture_default_str();
  app->add_option("--size", o->size, "Image size of --generate")->capture_default_str();
  app->add_option("--psf-fwhm", o->psf_fwhm, "PSF FWHM (pixels) of --generate")->capture_default_str();
  app->add_option("--noise", o->noise, "Noise σ (fraction of the peak) of --generate")->capture_default_str();
  app->add_option("--held-out", o->held_out,
                  "Images kept out of training for the held-out loss (default: 256 when N ≥ 2560, else 0)");
  app->add_option("--sde", o->sde, "ve or vp")->capture_default_str();
  app->add_option("--width", o->width, "Channels at the first U-Net level")->capture_default_str();
  app->add_option("--mult", o->mult, "Channel multipliers per level")->capture_default_str();
  app->add_option("--res-blocks", o->res_blocks, "Residual blocks per level")->capture_default_str();
  app->add_option("--patch", o->patch, "Pixel-unshuffle stem factor (1 = none)")->capture_default_str();
  app->add_flag("--no-attention", o->no_attention, "No self-attention at the lowest resolution");
  app->add_option("--sigma-min", o->sigma_min, "VE σ_min")->capture_default_str();
  app->add_option("--sigma-max", o->sigma_max, "VE σ_max (0: largest pairwise distance of 1000 training images)")
      ->capture_default_str();
  app->add_option("--sigma-data", o->sigma_data, "σ_data of the input scaling (0: pixel std of the data)")
      ->capture_default_str();
  app->add_option("--t-eps", o->t_eps, "Smallest training time (0: 1e-5 for VE, 1e-3 for VP)");
  app->add_option("--steps", o->steps, "Total optimisation steps (also when resuming)")->capture_default_str();
  app->add_option("--batch", o->batch, "Images per step")->capture_default_str();
  app->add_option("--lr", o->lr, "Adam learning rate")->capture_default_str();
  app->add_option("--warmup", o->warmup, "Linear learning-rate warm-up steps")->capture_default_str();
  app->add_option("--grad-clip", o->grad_clip, "Global gradient-norm clip (0: off)")->capture_default_str();
  app->add_option("--ema", o->ema, "EMA decay of the weights")->capture_default_str();
  app->add_option("--checkpoint-every", o->checkpoint_every, "Steps between checkpoints")->capture_default_str();
  app->add_option("--log-every", o->log_every, "Steps per loss-history record")->capture_default_str();
  app->add_option("--resume", o->resume_from,
                  "Continue exactly from a checkpoint (no value: <run folder>/checkpoint.ckpt)")
      ->expected(0, 1);
  return [o, app](Context& ctx) {
    o->resume = app->count("--resume") > 0;
    if (o->data.empty() == (o->generate == 0))
      throw UsageError("train-prior: give exactly one of --data FILE.h5 or --generate N");
    if (o->steps < 1 || o->checkpoint_every < 1 || o->log_every < 1)
      throw UsageError("train-prior: --steps, --checkpoint-every and --log-every must be ≥ 1");
    RunFolder& run = ctx.run("train-prior");

    // ---- data -------------------------------------------------------------
    at::Tensor all;
    DataInfo info;
    if (!o->data.empty()) {
      auto ds = read_image_stack(o->data, o->dataset);
      info.height = ds.height;
      info.width = ds.width;
      info.normalisation = ds.normalisation.empty() ? "unknown" : ds.normalisation;
      info.source = o->data + ":" + o->dataset + (ds.source.empty() ? "" : " (" + ds.source + ")");
      all = torch::from_blob(ds.images.data(), {ds.count, ds.height, ds.width}, torch::kFloat32).clone();
    } else {
      GalaxyOptions go;
      go.size = o->size;
      go.psf_fwhm = o->psf_fwhm;
      go.noise = o->noise;
      auto kind = parse_training_kind(o->kind);
      // The same stream as `penumbra dataset`, so --data of that file trains on identical images.
      TrainingSetGenerator gen(kind, static_cast<std::size_t>(o->generate), go, derive_seed(ctx.seed(), 0xDA7Aull));
      all = torch::empty({o->generate, o->size, o->size}, torch::kFloat32);
      log().info("generating {} {} images of {}² pixels", o->generate, o->kind, o->size);
      gen.write_images(0, static_cast<std::size_t>(o->generate), all.data_ptr<float>());
      info.height = info.width = o->size;
      info.normalisation = "peak";
      // Unchanged for galaxies since the first shipped prior: a plain --resume of it is not "new data".
      info.source = fmt::format("generator {} n={} size={} psf_fwhm={} noise={} seed=derive_seed({}, 0xDA7A)",
                                o->kind, o->generate, o->size, o->psf_fwhm, o->noise, ctx.seed());
    }
    std::int64_t n = all.size(0);
    std::int64_t held = o->held_out >= 0 ? o->held_out : (n >= 2560 ? 256 : 0);
    if (held >= n) throw UsageError(fmt::format("train-prior: --held-out {} leaves no training images of {}", held, n));
    auto train = all.slice(0, 0, n - held);
    auto test = all.slice(0, n - held, n);
    info.count = train.size(0);
    info.pixel_mean = train.mean().item<double>();
    info.pixel_std = train.std().item<double>();

    // ---- trainer ------------------------------------------------------------
    std::filesystem::path ckpt = run.path("checkpoint.ckpt");
    std::unique_ptr<PriorTrainer> tr;
    if (o->resume) {
      std::filesystem::path from = o->resume_from.empty() ? ckpt : std::filesystem::path(o->resume_from);
      tr = std::make_unique<PriorTrainer>(PriorTrainer::resume(from, train, &info));
      log().info("resumed {} at step {}", from.string(), tr->steps_done());
      if (!tr->data_info().lineage.empty() && tr->data_info().lineage.back().value("until_step", -1) == tr->steps_done())
        log().info("fine-tuning on new data ({}); earlier data: {}", info.source, tr->data_info().lineage.dump());
      if (o->steps <= tr->steps_done())
        log().warn("--steps {} ≤ the checkpoint's step {}: nothing to train (--steps counts from step 0)", o->steps,
                   tr->steps_done());
    } else {
      TrainConfig cfg;
      cfg.sde.kind = Sde::parse_kind(o->sde);
      cfg.sde.t_eps = o->t_eps > 0 ? o->t_eps : (cfg.sde.kind == Sde::Kind::kVE ? 1e-5 : 1e-3);
      cfg.sde.sigma_min = o->sigma_min;
      if (cfg.sde.kind == Sde::Kind::kVE)
        cfg.sde.sigma_max = o->sigma_max > 0 ? o->sigma_max : max_pairwise_distance(train, 1000, ctx.seed());
      cfg.net.width = o->width;
      cfg.net.multipliers = parse_int_list(o->mult, "--mult");
      cfg.net.res_blocks = o->res_blocks;
      cfg.net.patch = o->patch;
      cfg.net.attention = !o->no_attention;
      cfg.net.input_scaling = cfg.sde.kind == Sde::Kind::kVE;
      cfg.net.sigma_data = o->sigma_data > 0 ? o->sigma_data : std::max(1e-3, info.pixel_std);
      cfg.net.init_seed = derive_seed(ctx.seed(), 0x1417ull);
      cfg.batch = o->batch;
      cfg.lr = o->lr;
      cfg.warmup = o->warmup;
      cfg.grad_clip = o->grad_clip;
      cfg.ema_decay = o->ema;
      cfg.seed = derive_seed(ctx.seed(), 0x7EA1ull);
      tr = std::make_unique<PriorTrainer>(cfg, info, train);
    }
    const auto& cfg = tr->config();
    log().info("score network: {} parameters, {:.3f} GFLOP per {}×{} evaluation; SDE {} σ_VE ∈ [{:.4g}, {:.4g}]",
               tr->network().parameter_count(), tr->network().flops_per_image(info.height, info.width) / 1e9,
               info.height, info.width, cfg.sde.kind_name(), cfg.sde.ve_sigma_min(), cfg.sde.ve_sigma_max());
    log().info("training on {} images ({} held out), batch {}, lr {}, steps {} → {}", train.size(0), held, cfg.batch,
               cfg.lr, tr->steps_done(), o->steps);

    // ---- loop ---------------------------------------------------------------
    Progress bar("train-prior", o->steps - std::min(o->steps, tr->steps_done()), "step");
    double recent = 0;
    std::int64_t recent_n = 0;
    while (tr->steps_done() < o->steps) {
      double l = tr->step();
      recent += l;
      ++recent_n;
      if (tr->steps_done() % o->log_every == 0) tr->record_history();
      bar.tick(1, fmt::format("loss {:.4f}", recent / recent_n));
      if (recent_n >= 50) recent = 0, recent_n = 0;
      if (tr->steps_done() % o->checkpoint_every == 0 || tr->steps_done() == o->steps) {
        tr->record_history();
        tr->save(ckpt);
        write_loss_outputs(run, tr->history());
      }
    }
    bar.finish();
    tr->save(ckpt);
    write_loss_outputs(run, tr->history());

    nlohmann::json results{{"checkpoint", ckpt.string()},
                           {"steps", tr->steps_done()},
                           {"parameters", tr->network().parameter_count()},
                           {"sde", cfg.sde.to_json()},
                           {"network", cfg.net.to_json()},
                           {"data", tr->data_info().to_json()}};
    if (!tr->history().empty()) results["final_train_loss"] = tr->history().back().loss;
    if (held > 0) {
      double hl = evaluate_dsm_loss(tr->ema_network(), cfg.sde, test, 6, 32, 0x4E1Dull);
      results["held_out_dsm_loss"] = hl;
      results["held_out_images"] = held;
      log().info("held-out DSM loss (EMA weights, {} images, 6 levels): {:.5f}", held, hl);
    }
    run.finish(results);
    fmt::print("{}\n", ckpt.string());
  };
}

}  // namespace penumbra::cli
