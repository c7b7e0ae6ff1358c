#include "priors/training.hpp"

#include <torch/torch.h>

#include <ATen/CPUGeneratorImpl.h>
#include <cmath>

#include "penumbra/version.hpp"
#include "priors/checkpoint.hpp"
#include "priors/patch_prior.hpp"
#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/rng.hpp"

namespace penumbra {

namespace {

constexpr std::uint64_t kStepStream = 0x7A1E57E9ull;  // per-step generator streams start here

at::Generator step_generator(std::uint64_t seed, std::int64_t step) {
  return at::make_generator<at::CPUGeneratorImpl>(derive_seed(seed, kStepStream + static_cast<std::uint64_t>(step)));
}

// Applies one of the 8 symmetries of the square to each image (codes [B] in 0..7).
torch::Tensor dihedral(const torch::Tensor& x, const torch::Tensor& code) {
  auto c = code.reshape({-1, 1, 1});
  auto y = torch::where((c.bitwise_and(1)).to(torch::kBool), x.flip({2}), x);
  y = torch::where((c.bitwise_and(2)).to(torch::kBool), y.flip({1}), y);
  if (x.size(1) == x.size(2)) y = torch::where((c.bitwise_and(4)).to(torch::kBool), y.transpose(1, 2), y);
  return y;
}

}  // namespace

void TrainConfig::validate() const {
  sde.validate();
  net.validate();
  require_at_least<std::int64_t>("batch", batch, 1);
  require_positive("learning rate", lr);
  require_non_negative("warm-up steps", warmup);
  if (!(ema_decay >= 0 && ema_decay < 1)) fail_check("EMA decay", "in [0, 1)", ema_decay);
}

nlohmann::json TrainConfig::to_json() const {
  return {{"batch", batch},         {"lr", lr},          {"warmup", warmup},
          {"grad_clip", grad_clip}, {"ema_decay", ema_decay}, {"adam_beta1", adam_beta1},
          {"adam_beta2", adam_beta2}, {"adam_eps", adam_eps}, {"augment", augment},
          {"seed", seed}};
}

TrainConfig TrainConfig::from_json(const nlohmann::json& j) {
  TrainConfig c;
  try {
    c.batch = j.at("batch").get<std::int64_t>();
    c.lr = j.at("lr").get<double>();
    c.warmup = j.at("warmup").get<std::int64_t>();
    c.grad_clip = j.at("grad_clip").get<double>();
    c.ema_decay = j.at("ema_decay").get<double>();
    c.adam_beta1 = j.at("adam_beta1").get<double>();
    c.adam_beta2 = j.at("adam_beta2").get<double>();
    c.adam_eps = j.at("adam_eps").get<double>();
    c.augment = j.at("augment").get<bool>();
    c.seed = j.at("seed").get<std::uint64_t>();
  } catch (const nlohmann::json::exception& e) {
    throw DataError(std::string("training configuration: ") + e.what());
  }
  return c;
}

nlohmann::json DataInfo::to_json() const {
  nlohmann::json j{{"height", height},     {"width", width},         {"normalisation", normalisation},
          {"scale", scale},       {"unit", unit},           {"pixel_mean", pixel_mean},
          {"pixel_std", pixel_std}, {"count", count},       {"source", source},
          {"lineage", lineage}};
  if (patch_size > 0) j["patch_size"] = patch_size;
  return j;
}

DataInfo DataInfo::from_json(const nlohmann::json& j) {
  DataInfo d;
  try {
    d.height = j.at("height").get<int>();
    d.width = j.at("width").get<int>();
    d.normalisation = j.at("normalisation").get<std::string>();
    d.scale = j.at("scale").get<double>();
    d.unit = j.at("unit").get<std::string>();
    d.pixel_mean = j.at("pixel_mean").get<double>();
    d.pixel_std = j.at("pixel_std").get<double>();
    d.count = j.at("count").get<std::int64_t>();
    d.source = j.at("source").get<std::string>();
    d.patch_size = j.value("patch_size", 0);
    if (j.contains("lineage")) {  // absent in checkpoints written before fine-tuning existed
      d.lineage = j.at("lineage");
      if (!d.lineage.is_array()) throw DataError("data description: lineage is not an array");
    }
  } catch (const nlohmann::json::exception& e) {
    throw DataError(std::string("data description: ") + e.what());
  }
  if (d.height < 1 || d.width < 1)
    throw DataError("data description: image size " + std::to_string(d.height) + "×" + std::to_string(d.width));
  if (d.patch_size < 0 || d.patch_size > std::min(d.height, d.width))
    throw DataError("data description: patch size " + std::to_string(d.patch_size) + " for " +
                    std::to_string(d.height) + "×" + std::to_string(d.width) + " images");
  return d;
}

double max_pairwise_distance(const at::Tensor& data, std::int64_t subsample, std::uint64_t seed) {
  torch::NoGradGuard ng;
  auto n = data.size(0);
  auto x = data.reshape({n, -1}).to(torch::kFloat64);
  if (n > subsample) {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(derive_seed(seed, 0x5167A3Aull));
    x = x.index_select(0, torch::randperm(n, gen, torch::TensorOptions().dtype(torch::kInt64)).slice(0, 0, subsample));
  }
  return torch::cdist(x, x).max().item<double>();
}

at::Tensor network_input_scale(const Sde& sde, const ScoreNetConfig& net, const at::Tensor& sigma_ve) {
  if (sde.kind == Sde::Kind::kVP) return torch::rsqrt(1 + sigma_ve * sigma_ve);
  if (!net.input_scaling) return torch::ones_like(sigma_ve);
  return torch::rsqrt(sigma_ve * sigma_ve + net.sigma_data * net.sigma_data);
}

namespace {
// DSM loss for clean images x0 [B,H,W] at times t [B] with noise z: ‖F(a·x_VE, log σ_VE) + z‖²
// where x_VE = x0 + σ_VE z (the VE form of x_t), averaged over pixels and images.
torch::Tensor dsm_loss(const ScoreNetwork& net, const Sde& sde, const torch::Tensor& x0, const torch::Tensor& t,
                       const torch::Tensor& z, const torch::Tensor& positions) {
  auto sig = (sde.sigma(t.to(torch::kFloat64)) / sde.mu(t.to(torch::kFloat64))).to(x0.scalar_type());
  auto xt = x0 + sig.reshape({-1, 1, 1}) * z;
  auto a = network_input_scale(sde, net.config(), sig);
  auto f = net.raw(xt, torch::log(sig), a, positions);
  return (f + z).square().mean();
}
}  // namespace

PatchCrops tile_crops(const at::Tensor& images, int patch, bool positions) {
  const int h = int(images.size(1)), w = int(images.size(2));
  if (patch <= 0) return {images, positions ? patch_position_maps(std::vector<int>(images.size(0), 0),
                                                                  std::vector<int>(images.size(0), 0), h, h, w, h, w)
                                            : torch::Tensor()};
  std::vector<torch::Tensor> tiles;
  std::vector<int> oy, ox;
  for (std::int64_t i = 0; i < images.size(0); ++i)
    for (int y = 0; y + patch <= h; y += patch)
      for (int x = 0; x + patch <= w; x += patch) {
        tiles.push_back(images[i].slice(0, y, y + patch).slice(1, x, x + patch));
        oy.push_back(y);
        ox.push_back(x);
      }
  PatchCrops c;
  c.images = torch::stack(tiles, 0);
  if (positions) c.positions = patch_position_maps(oy, ox, patch, h, w, h, w);
  return c;
}

PatchCrops random_crops(const at::Tensor& images, int patch, bool positions, at::Generator& gen) {
  const auto n = images.size(0);
  const int h = int(images.size(1)), w = int(images.size(2));
  auto opt = torch::TensorOptions().dtype(torch::kInt64);
  auto ry = torch::randint(h - patch + 1, {n}, gen, opt), rx = torch::randint(w - patch + 1, {n}, gen, opt);
  std::vector<int> oy(n), ox(n);
  std::vector<torch::Tensor> tiles;
  for (std::int64_t i = 0; i < n; ++i) {
    oy[i] = int(ry[i].item<std::int64_t>());
    ox[i] = int(rx[i].item<std::int64_t>());
    tiles.push_back(images[i].slice(0, oy[i], oy[i] + patch).slice(1, ox[i], ox[i] + patch));
  }
  PatchCrops c;
  c.images = torch::stack(tiles, 0);
  if (positions) c.positions = patch_position_maps(oy, ox, patch, h, w, h, w);
  return c;
}

double evaluate_dsm_loss(const ScoreNetwork& net, const Sde& sde, const at::Tensor& images, int levels,
                         std::int64_t batch, std::uint64_t seed, int patch_size) {
  torch::NoGradGuard ng;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(derive_seed(seed, 0xE7A1ull));
  const bool uses_positions = net.config().coord_channels > 0;
  auto crops = patch_size > 0 || uses_positions ? tile_crops(images, patch_size, uses_positions)
                                                : PatchCrops{images, torch::Tensor()};
  const auto& data = crops.images;
  double total = 0;
  auto n = data.size(0);
  for (int l = 0; l < levels; ++l) {
    double tl = levels == 1 ? 0.5 : sde.t_eps + (1 - sde.t_eps) * l / (levels - 1);
    double acc = 0;
    for (std::int64_t b = 0; b < n; b += batch) {
      auto x0 = data.slice(0, b, std::min(n, b + batch));
      auto z = torch::randn(x0.sizes(), gen, x0.options());
      auto t = torch::full({x0.size(0)}, tl, x0.options());
      auto pos = uses_positions ? crops.positions.slice(0, b, b + x0.size(0)) : torch::Tensor();
      acc += dsm_loss(net, sde, x0, t, z, pos).item<double>() * x0.size(0);
    }
    total += acc / n;
  }
  return total / levels;
}

namespace {

void require_finite_loss(double loss, std::int64_t step) {
  if (!std::isfinite(loss))
    throw InternalError("prior training: loss is " + std::to_string(loss) + " at step " + std::to_string(step) +
                        " (diverged; lower the learning rate or check the data)");
}

// This process's shard of the global batch (x0, t, z): its loss weighted by
// shard/global size, backpropagated, then the gradients and the loss summed
// over the processes, so every process holds the global batch's. Every
// parameter gets a gradient (zeros after an empty shard): all processes sum
// the same tensors.
double shard_gradients(const ScoreNetwork& net, std::vector<torch::Tensor>& params, const Sde& sde,
                       const DataParallel& dp, const torch::Tensor& x0, const torch::Tensor& t,
                       const torch::Tensor& z, const torch::Tensor& positions) {
  const auto batch = x0.size(0);
  const auto sh = dp.shard(batch);
  auto loss = torch::zeros({1}, torch::kFloat64);
  if (sh.size() > 0) {
    auto local = dsm_loss(net, sde, x0.slice(0, sh.begin, sh.end), t.slice(0, sh.begin, sh.end),
                          z.slice(0, sh.begin, sh.end),
                          positions.defined() ? positions.slice(0, sh.begin, sh.end) : positions) *
                 (static_cast<double>(sh.size()) / static_cast<double>(batch));
    local.backward();
    loss.fill_(local.item<double>());
  }
  std::vector<torch::Tensor> summed{loss};
  for (auto& p : params) {
    if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
    summed.push_back(p.grad());
  }
  dp.sum(summed);
  return loss.item<double>();
}

}  // namespace

struct PriorTrainer::State {
  explicit State(const ScoreNetConfig& c) : net(c), ema(c) {}
  ScoreNetwork net, ema;
  std::vector<torch::Tensor> params, ema_params, m, v;
  torch::Tensor data;
  void bind() {
    params.clear();
    ema_params.clear();
    for (auto& [n, p] : net.named_parameters()) params.push_back(p);
    for (auto& [n, p] : ema.named_parameters()) ema_params.push_back(p);
    if (m.empty())
      for (auto& p : params) {
        m.push_back(torch::zeros_like(p));
        v.push_back(torch::zeros_like(p));
      }
    ema.set_training(false);
  }
};

PriorTrainer::PriorTrainer(const TrainConfig& cfg, const DataInfo& info, at::Tensor data)
    : s_(std::make_unique<State>(cfg.net)), cfg_(cfg), info_(info) {
  cfg_.validate();
  if (data.dim() != 3 || data.size(0) < 1)
    throw UsageError("prior training: training data must be [N,H,W] with N ≥ 1");
  if (data.size(1) != info.height || data.size(2) != info.width)
    throw UsageError("prior training: data images are " + std::to_string(data.size(1)) + "×" + std::to_string(data.size(2)) +
                     " but the data description says " + std::to_string(info.height) + "×" + std::to_string(info.width));
  int div = cfg.net.patch << (cfg.net.multipliers.size() - 1);
  if (info.patch_size > 0) {
    if (info.patch_size > std::min(info.height, info.width))
      throw UsageError("prior training: patch size " + std::to_string(info.patch_size) + " exceeds the " +
                       std::to_string(info.height) + "×" + std::to_string(info.width) + " training images");
    if (info.patch_size % div)
      throw UsageError("prior training: patch size " + std::to_string(info.patch_size) +
                       " is not divisible by the stem factor·2^(levels−1) = " + std::to_string(div));
  } else if (info.height % div || info.width % div) {
    throw UsageError("prior training: image size " + std::to_string(info.height) + "×" + std::to_string(info.width) +
                     " is not divisible by patch·2^(levels−1) = " + std::to_string(div));
  }
  s_->data = data.to(torch::kFloat32).contiguous();
  s_->bind();
  torch::NoGradGuard ng;
  for (std::size_t i = 0; i < s_->params.size(); ++i) s_->ema_params[i].copy_(s_->params[i]);
}

PriorTrainer::~PriorTrainer() = default;
PriorTrainer::PriorTrainer(PriorTrainer&&) noexcept = default;

const ScoreNetwork& PriorTrainer::network() const { return s_->net; }

void PriorTrainer::set_data_parallel(DataParallel dp) {
  dp_ = std::move(dp);
  if (!dp_.active()) return;
  std::vector<torch::Tensor> state;
  for (auto* list : {&s_->params, &s_->ema_params, &s_->m, &s_->v})
    state.insert(state.end(), list->begin(), list->end());
  for (auto& [n, b] : s_->net.named_buffers()) state.push_back(b);
  for (auto& [n, b] : s_->ema.named_buffers()) state.push_back(b);
  dp_.broadcast(state);
}
const ScoreNetwork& PriorTrainer::ema_network() const { return s_->ema; }

double PriorTrainer::step() {
  auto& S = *s_;
  S.net.set_training(true);
  auto gen = step_generator(cfg_.seed, step_);
  auto n = S.data.size(0);
  auto idx = torch::randint(n, {cfg_.batch}, gen, torch::TensorOptions().dtype(torch::kInt64));
  auto x0 = S.data.index_select(0, idx);
  if (cfg_.augment) x0 = dihedral(x0, torch::randint(8, {cfg_.batch}, gen, torch::TensorOptions().dtype(torch::kInt64)));
  torch::Tensor positions;
  if (info_.patch_size > 0 || cfg_.net.coord_channels > 0) {
    // Crops of the (flipped) whole images, so a crop's position is where it lies in an image the data could hold.
    auto crops = info_.patch_size > 0 ? random_crops(x0, info_.patch_size, cfg_.net.coord_channels > 0, gen)
                                      : tile_crops(x0, 0, true);
    x0 = crops.images;
    positions = crops.positions;
  }
  auto t = torch::rand({cfg_.batch}, gen, torch::TensorOptions().dtype(torch::kFloat64)) * (1 - cfg_.sde.t_eps) +
           cfg_.sde.t_eps;
  auto z = torch::randn(x0.sizes(), gen, x0.options());
  for (auto& p : S.params)
    if (p.grad().defined()) p.mutable_grad().zero_();
  double lv = 0;
  if (dp_.active()) {
    lv = shard_gradients(S.net, S.params, cfg_.sde, dp_, x0, t.to(torch::kFloat32), z, positions);
    require_finite_loss(lv, step_);
  } else {
    auto loss = dsm_loss(S.net, cfg_.sde, x0, t.to(torch::kFloat32), z, positions);
    lv = loss.item<double>();
    require_finite_loss(lv, step_);
    loss.backward();
  }
  torch::NoGradGuard ng;
  double scale = 1;
  if (cfg_.grad_clip > 0) {
    double sq = 0;
    for (auto& p : S.params)
      if (p.grad().defined()) sq += p.grad().square().sum().item<double>();
    double norm = std::sqrt(sq);
    if (norm > cfg_.grad_clip) scale = cfg_.grad_clip / (norm + 1e-12);
  }
  double lr = cfg_.lr * (cfg_.warmup > 0 ? std::min(1.0, double(step_ + 1) / cfg_.warmup) : 1.0);
  double k = double(step_ + 1);
  double bc1 = 1 - std::pow(cfg_.adam_beta1, k), bc2 = 1 - std::pow(cfg_.adam_beta2, k);
  for (std::size_t i = 0; i < S.params.size(); ++i) {
    auto& p = S.params[i];
    if (!p.grad().defined()) continue;
    auto g = p.grad() * scale;
    S.m[i].mul_(cfg_.adam_beta1).add_(g, 1 - cfg_.adam_beta1);
    S.v[i].mul_(cfg_.adam_beta2).addcmul_(g, g, 1 - cfg_.adam_beta2);
    auto denom = (S.v[i] / bc2).sqrt_().add_(cfg_.adam_eps);
    p.addcdiv_(S.m[i], denom, -lr / bc1);
  }
  double d = std::min(cfg_.ema_decay, (1.0 + step_) / (10.0 + step_));
  for (std::size_t i = 0; i < S.params.size(); ++i) S.ema_params[i].mul_(d).add_(S.params[i], 1 - d);
  ++step_;
  pending_loss_ += lv;
  ++pending_n_;
  last_lr_ = lr;
  return lv;
}

void PriorTrainer::record_history() {
  if (pending_n_ == 0) return;
  history_.push_back({step_, pending_loss_ / pending_n_, last_lr_});
  pending_loss_ = 0;
  pending_n_ = 0;
}

void PriorTrainer::save(const std::filesystem::path& path) const {
  nlohmann::json h;
  h["format"] = "penumbra-prior";
  h["kind"] = "score-diffusion";
  h["software_version"] = std::string(kVersion);
  h["network"] = cfg_.net.to_json();
  h["sde"] = cfg_.sde.to_json();
  h["data"] = info_.to_json();
  h["training"] = cfg_.to_json();
  h["training"]["step"] = step_;
  h["training"]["rng"] = "per-step generators: derive_seed(seed, 0x7A1E57E9 + step)";
  if (!gpu_runs_.is_null()) h["training"]["gpu_runs"] = gpu_runs_;
  h["parameters"] = s_->net.parameter_count();
  std::vector<std::pair<std::string, at::Tensor>> t;
  auto np = s_->net.named_parameters();
  auto ne = s_->ema.named_parameters();
  for (std::size_t i = 0; i < np.size(); ++i) {
    t.emplace_back("raw/" + np[i].first, np[i].second);
    t.emplace_back("ema/" + ne[i].first, ne[i].second);
    t.emplace_back("adam_m/" + np[i].first, s_->m[i]);
    t.emplace_back("adam_v/" + np[i].first, s_->v[i]);
  }
  for (auto& [n, b] : s_->net.named_buffers()) t.emplace_back("buffer/" + n, b);
  auto hist = torch::zeros({static_cast<std::int64_t>(history_.size()), 3}, torch::kFloat64);
  for (std::size_t i = 0; i < history_.size(); ++i) {
    hist[i][0] = double(history_[i].step);
    hist[i][1] = history_[i].loss;
    hist[i][2] = history_[i].lr;
  }
  t.emplace_back("history", hist);
  save_checkpoint(path, h, t);
}

PriorTrainer PriorTrainer::resume(const std::filesystem::path& checkpoint, at::Tensor data, const DataInfo* current) {
  auto ck = load_checkpoint(checkpoint);
  const auto& h = ck.header;
  if (!h.is_object() || h.value("format", "") != "penumbra-prior")
    throw DataError(checkpoint.string() + ": not a Penumbra prior checkpoint (header format is not 'penumbra-prior')");
  TrainConfig cfg;
  DataInfo info;
  std::int64_t step = 0;
  try {
    cfg = TrainConfig::from_json(h.at("training"));
    cfg.net = ScoreNetConfig::from_json(h.at("network"));
    cfg.sde = Sde::from_json(h.at("sde"));
    info = DataInfo::from_json(h.at("data"));
    step = h.at("training").at("step").get<std::int64_t>();
  } catch (const nlohmann::json::exception& e) {
    throw DataError(checkpoint.string() + ": " + e.what());
  } catch (const DataError& e) {
    throw DataError(checkpoint.string() + ": " + e.what());
  }
  if (data.dim() != 3 || data.size(1) != info.height || data.size(2) != info.width)
    throw DataError(checkpoint.string() + ": checkpoint was trained on " + std::to_string(info.height) + "×" +
                    std::to_string(info.width) + " images; the data given are " +
                    (data.dim() == 3 ? std::to_string(data.size(1)) + "×" + std::to_string(data.size(2))
                                     : std::string("not [N,H,W]")));
  if (current && current->source != info.source) {
    if (current->normalisation != info.normalisation || current->unit != info.unit || current->scale != info.scale)
      throw DataError(checkpoint.string() + ": fine-tuning data are normalised '" + current->normalisation + "' (" +
                      (current->unit.empty() ? "dimensionless" : current->unit) + "); the checkpoint was trained on '" +
                      info.normalisation + "' (" + (info.unit.empty() ? "dimensionless" : info.unit) + ") data");
    DataInfo next = *current;
    next.patch_size = info.patch_size;  // the network's tiles, whatever the new data say
    next.lineage = info.lineage;
    next.lineage.push_back({{"source", info.source}, {"count", info.count}, {"until_step", step}});
    // A VE prior must start from noise that drowns every data point (σ_max ≥ the largest
    // pairwise distance, as for a fresh run); new data may be farther apart (peak-normalised
    // disks fill the image: ≈ 18 against ≈ 8 for galaxies at 64²). Raising σ_max only adds
    // noise levels, which the network, conditioned on log σ, learns while fine-tuning.
    if (cfg.sde.kind == Sde::Kind::kVE) {
      // A patch prior's network sees tiles: their distances, as a fresh --patch-size run measures.
      double d = max_pairwise_distance(info.patch_size > 0 ? tile_crops(data, info.patch_size, false).images : data,
                                       1000, cfg.seed);
      if (d > cfg.sde.sigma_max) {
        next.lineage.back()["sigma_max"] = cfg.sde.sigma_max;
        cfg.sde.sigma_max = d;
      }
    }
    info = next;
  }
  PriorTrainer tr(cfg, info, data);
  tr.step_ = step;
  if (h.at("training").contains("gpu_runs")) tr.gpu_runs_ = h.at("training").at("gpu_runs");
  torch::NoGradGuard ng;
  auto copy_in = [&](const std::string& name, torch::Tensor& dst) {
    const auto& src = ck.tensor(name);
    if (src.sizes() != dst.sizes() || src.scalar_type() != dst.scalar_type())
      throw DataError(checkpoint.string() + ": tensor '" + name + "' has shape " + c10::str(src.sizes()) +
                      "; the network built from the checkpoint's configuration needs " + c10::str(dst.sizes()));
    dst.copy_(src);
  };
  auto np = tr.s_->net.named_parameters();
  auto ne = tr.s_->ema.named_parameters();
  for (std::size_t i = 0; i < np.size(); ++i) {
    copy_in("raw/" + np[i].first, np[i].second);
    copy_in("ema/" + ne[i].first, ne[i].second);
    copy_in("adam_m/" + np[i].first, tr.s_->m[i]);
    copy_in("adam_v/" + np[i].first, tr.s_->v[i]);
  }
  for (auto& [n, b] : tr.s_->net.named_buffers()) copy_in("buffer/" + n, b);
  for (auto& [n, b] : tr.s_->ema.named_buffers()) copy_in("buffer/" + n, b);
  if (ck.has("history")) {
    auto hist = ck.tensor("history");
    if (hist.dim() != 2 || hist.size(1) != 3) throw DataError(checkpoint.string() + ": history tensor is not [K,3]");
    auto a = hist.accessor<double, 2>();
    for (std::int64_t i = 0; i < hist.size(0); ++i) tr.history_.push_back({std::int64_t(a[i][0]), a[i][1], a[i][2]});
  }
  return tr;
}

}  // namespace penumbra
