#include "src/pipelines/prior_training.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include <cmath>

#include <algorithm>
#include <memory>
#include <optional>
#include <sstream>
#include <vector>

#include "priors/training.hpp"
#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/log.hpp"
#include "src/core/progress.hpp"
#include "src/core/rng.hpp"
#include "src/core/run_folder.hpp"
#include "src/core/units.hpp"
#include "src/datasets/image_importer.hpp"
#include "src/datasets/training_set.hpp"
#include "src/io/png.hpp"
#include "src/pipelines/data_parallel.hpp"

namespace penumbra {
namespace prior_training_impl {

constexpr std::uint64_t kDataStream = 0xDA7Aull;  // the same stream as `penumbra dataset`
constexpr std::uint64_t kInitStream = 0x1417ull;
constexpr std::uint64_t kTrainStream = 0x7EA1ull;

std::vector<int> parse_int_list(const std::string& s, const std::string& what) {
  std::vector<int> out;
  for (double x : parse_number_list(s, what)) {
    if (x != std::floor(x)) throw UsageError(what + " '" + s + "': expected comma-separated integers, e.g. 1,2,4,4");
    out.push_back(static_cast<int>(x));
  }
  return out;
}

void write_loss_outputs(const std::filesystem::path& dir, const std::vector<LossRecord>& hist) {
  std::string csv = "step,loss,lr\n";
  Series s;
  s.label = "DSM loss (mean per logging interval)";
  for (auto& r : hist) {
    csv += fmt::format("{},{:.6g},{:.6g}\n", r.step, r.loss, r.lr);
    s.x.push_back(double(r.step));
    s.y.push_back(r.loss);
  }
  write_text_atomic(dir / "loss.csv", csv);
  if (hist.size() < 2) return;
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
  write_atomic(dir / "loss.png", [&](const std::filesystem::path& tmp) { write_line_plot_png(tmp, {s, m}, p); });
}

struct TrainingImages {
  at::Tensor all;  // [N, H, W]
  DataInfo info;   // without the training split's count and moments
};

TrainingImages load_training_images(const PriorTrainingOptions& o) {
  TrainingImages t;
  auto& info = t.info;
  if (!o.data.empty()) {
    auto ds = read_image_stack(o.data, o.dataset);
    info.height = ds.height;
    info.width = ds.width;
    info.normalisation = ds.normalisation.empty() ? "unknown" : ds.normalisation;
    info.source = o.data + ":" + o.dataset + (ds.source.empty() ? "" : " (" + ds.source + ")");
    t.all = torch::from_blob(ds.images.data(), {ds.count, ds.height, ds.width}, torch::kFloat32).clone();
    return t;
  }
  GalaxyOptions go;
  go.size = o.size;
  go.psf_fwhm = o.psf_fwhm;
  go.noise = o.noise;
  TrainingSetGenerator gen(parse_training_kind(o.kind), static_cast<std::size_t>(o.generate), go,
                           derive_seed(o.seed, kDataStream));
  t.all = torch::empty({o.generate, o.size, o.size}, torch::kFloat32);
  log().info("generating {} {} images of {}² pixels", o.generate, o.kind, o.size);
  gen.write_images(0, static_cast<std::size_t>(o.generate), t.all.data_ptr<float>());
  info.height = info.width = o.size;
  info.normalisation = "peak";
  // Unchanged for galaxies since the first shipped prior: a plain resume of it is not "new data".
  info.source = fmt::format("generator {} n={} size={} psf_fwhm={} noise={} seed=derive_seed({}, 0xDA7A)", o.kind,
                            o.generate, o.size, o.psf_fwhm, o.noise, o.seed);
  return t;
}

TrainConfig new_training_config(const PriorTrainingOptions& o, const at::Tensor& train, const DataInfo& info) {
  TrainConfig cfg;
  cfg.sde.kind = Sde::parse_kind(o.sde);
  cfg.sde.t_eps = o.t_eps > 0 ? o.t_eps : (cfg.sde.kind == Sde::Kind::kVE ? 1e-5 : 1e-3);
  cfg.sde.sigma_min = o.sigma_min;
  if (cfg.sde.kind == Sde::Kind::kVE)
    cfg.sde.sigma_max = o.sigma_max > 0 ? o.sigma_max
                                        : max_pairwise_distance(o.patch_size > 0 ? tile_crops(train, o.patch_size, false).images
                                                                                 : train,
                                                                1000, o.seed);
  cfg.net.width = o.width;
  cfg.net.multipliers = parse_int_list(o.multipliers, "channel multipliers");
  cfg.net.res_blocks = o.res_blocks;
  cfg.net.patch = o.patch;
  cfg.net.attention = o.attention;
  cfg.net.coord_channels = o.patch_size > 0 ? 2 : 0;
  cfg.net.input_scaling = cfg.sde.kind == Sde::Kind::kVE;
  cfg.net.sigma_data = o.sigma_data > 0 ? o.sigma_data : std::max(1e-3, info.pixel_std);
  cfg.net.init_seed = derive_seed(o.seed, kInitStream);
  cfg.batch = o.batch;
  cfg.lr = o.lr;
  cfg.warmup = o.warmup;
  cfg.grad_clip = o.grad_clip;
  cfg.ema_decay = o.ema;
  cfg.seed = derive_seed(o.seed, kTrainStream);
  return cfg;
}

std::unique_ptr<PriorTrainer> make_trainer(const PriorTrainingOptions& o, const at::Tensor& train, DataInfo& info,
                                           const std::filesystem::path& ckpt) {
  if (!o.resume) return std::make_unique<PriorTrainer>(new_training_config(o, train, info), info, train);
  std::filesystem::path from = o.resume_from.empty() ? ckpt : std::filesystem::path(o.resume_from);
  auto tr = std::make_unique<PriorTrainer>(PriorTrainer::resume(from, train, &info));
  log().info("resumed {} at step {}", from.string(), tr->steps_done());
  if (!tr->data_info().lineage.empty() && tr->data_info().lineage.back().value("until_step", -1) == tr->steps_done())
    log().info("fine-tuning on new data ({}); earlier data: {}", info.source, tr->data_info().lineage.dump());
  if (o.steps <= tr->steps_done())
    log().warn("steps {} ≤ the checkpoint's step {}: nothing to train (steps count from step 0)", o.steps,
               tr->steps_done());
  return tr;
}

// Every process steps (the steps are collectives under data parallelism); the
// writer (rank 0) alone shows progress and writes the checkpoint and loss curve.
void train(const PriorTrainingOptions& o, PriorTrainer& tr, const std::filesystem::path& dir, bool writer) {
  const auto ckpt = dir / "checkpoint.ckpt";
  std::optional<Progress> bar;
  if (writer) bar.emplace("train-prior", o.steps - std::min(o.steps, tr.steps_done()), "step");
  double recent = 0;
  std::int64_t recent_n = 0;
  while (tr.steps_done() < o.steps) {
    double l = tr.step();
    recent += l;
    ++recent_n;
    if (tr.steps_done() % o.log_every == 0) tr.record_history();
    if (bar) bar->tick(1, fmt::format("loss {:.4f}", recent / recent_n));
    if (recent_n >= 50) recent = 0, recent_n = 0;
    if (tr.steps_done() % o.checkpoint_every == 0 || tr.steps_done() == o.steps) {
      tr.record_history();
      if (writer) tr.save(ckpt), write_loss_outputs(dir, tr.history());
    }
  }
  if (!writer) return;
  bar->finish();
  tr.save(ckpt);
  write_loss_outputs(dir, tr.history());
}

}  // namespace prior_training_impl

void PriorTrainingOptions::validate() const {
  if (data.empty() == (generate == 0))
    throw UsageError("training data: give exactly one of an image stack (data) or a number of images to generate");
  require_non_negative("images to generate", generate);
  require_at_least<std::int64_t>("steps", steps, 1);
  require_at_least<std::int64_t>("checkpoint interval", checkpoint_every, 1);
  require_at_least<std::int64_t>("log interval", log_every, 1);
  require_non_negative("patch size", patch_size);
  if (patch_size > 0 && generate > 0 && patch_size > size)
    fail_check("patch size", fmt::format("at most the image size {}", size), patch_size);
}

nlohmann::json run_prior_training(const PriorTrainingOptions& o, const std::filesystem::path& dir) {
  using namespace prior_training_impl;
  o.validate();
  auto images = load_training_images(o);
  std::int64_t n = images.all.size(0);
  std::int64_t held = o.held_out >= 0 ? o.held_out : (n >= 2560 ? 256 : 0);
  if (held >= n) fail_check("held out images", fmt::format("fewer than the {} images", n), held);
  auto training = images.all.slice(0, 0, n - held);
  auto test = images.all.slice(0, n - held, n);
  DataInfo info = images.info;
  info.patch_size = o.patch_size;
  info.count = training.size(0);
  info.pixel_mean = training.mean().item<double>();
  info.pixel_std = training.std().item<double>();

  const auto ckpt = dir / "checkpoint.ckpt";
  auto tr = make_trainer(o, training, info, ckpt);
  const auto dp = job_data_parallel();
  tr->set_data_parallel(dp);
  const auto& cfg = tr->config();
  const auto& trained = tr->data_info();
  const int side_y = trained.patch_size > 0 ? trained.patch_size : trained.height;
  const int side_x = trained.patch_size > 0 ? trained.patch_size : trained.width;
  log().info("score network: {} parameters, {:.3f} GFLOP per {}×{} evaluation; SDE {} σ_VE ∈ [{:.4g}, {:.4g}]",
             tr->network().parameter_count(), tr->network().flops_per_image(side_y, side_x) / 1e9, side_y, side_x,
             cfg.sde.kind_name(), cfg.sde.ve_sigma_min(), cfg.sde.ve_sigma_max());
  if (trained.patch_size > 0)
    log().info("patch prior: random {}² crops of {}×{} images with their positions", trained.patch_size,
               trained.height, trained.width);
  log().info("training on {} images ({} held out), batch {}, lr {}, steps {} → {}", training.size(0), held, cfg.batch,
             cfg.lr, tr->steps_done(), o.steps);
  if (dp.active())
    log().info("data-parallel over {} processes: each computes {}–{} images of every batch of {}", dp.size,
               cfg.batch / dp.size, (cfg.batch + dp.size - 1) / dp.size, cfg.batch);
  train(o, *tr, dir, dp.rank == 0);

  nlohmann::json results{{"checkpoint", ckpt.string()},      {"steps", tr->steps_done()},
                         {"parameters", tr->network().parameter_count()}, {"sde", cfg.sde.to_json()},
                         {"network", cfg.net.to_json()},    {"data", tr->data_info().to_json()}};
  if (!tr->history().empty()) results["final_train_loss"] = tr->history().back().loss;
  if (held > 0 && dp.rank == 0) {
    double hl = evaluate_dsm_loss(tr->ema_network(), cfg.sde, test, 6, 32, 0x4E1Dull, tr->data_info().patch_size);
    results["held_out_dsm_loss"] = hl;
    results["held_out_images"] = held;
    log().info("held-out DSM loss (EMA weights, {} images, 6 levels): {:.5f}", held, hl);
  }
  return results;
}

}  // namespace penumbra
