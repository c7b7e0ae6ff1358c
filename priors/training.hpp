#pragma once
// Denoising score matching for the diffusion prior (REFERENCE.md §2):
//   L = E_t E_z ‖σ(t)·s_θ(μ(t)x₀ + σ(t)z, t) + z‖²,  t ~ U(t_eps, 1),
// averaged over pixels, with Adam (own implementation, so its state is plain
// tensors in the checkpoint), linear learning-rate warm-up, global gradient-norm
// clipping and an EMA of the weights (decay ramped as min(d, (1+k)/(10+k))).
//
// Exact resumption: every random draw of step k (batch indices, dihedral
// flips, t, z) comes from a generator seeded derive_seed(seed, k), so the state
// of a run is (weights, EMA, Adam moments, k) — all in the checkpoint — and
// "train 2n steps" equals "train n, save, load, train n" bit for bit on the same
// thread count.
//
// Data-parallel (set_data_parallel): every process draws the same global batch
// from the step's generator and computes its shard; the summed gradients make
// the step of one process within floating-point reduction differences.
#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "priors/score_network.hpp"
#include "priors/sde.hpp"
#include "src/model/data_parallel.hpp"

namespace penumbra {

struct TrainConfig {
  Sde sde;
  ScoreNetConfig net;
  std::int64_t batch = 16;
  double lr = 2e-4;
  std::int64_t warmup = 500;       // steps of linear learning-rate warm-up
  double grad_clip = 1.0;          // global L2 norm; ≤ 0: off
  double ema_decay = 0.999;
  double adam_beta1 = 0.9, adam_beta2 = 0.999, adam_eps = 1e-8;
  bool augment = true;             // random flips and transposes (the 8 symmetries of the square)
  std::uint64_t seed = 0;
  void validate() const;
  nlohmann::json to_json() const;
  static TrainConfig from_json(const nlohmann::json& j);
};

// What the data looked like (saved in the checkpoint so a sampler can map
// physical units ↔ network units and check image shapes).
struct DataInfo {
  int height = 0, width = 0;
  // A patch prior's tile side: the network saw random patch_size² crops of the
  // height×width images, with their positions (priors/patch_prior.hpp); 0: whole
  // images. Saved only when > 0, so older checkpoints read as whole-image priors.
  int patch_size = 0;
  std::string normalisation = "peak";  // how images were scaled (see src/datasets/galaxy_generator.hpp)
  double scale = 1.0;                  // physical units per network unit of the training data (1: dimensionless)
  std::string unit;                    // physical unit of `scale`, "" when dimensionless
  double pixel_mean = 0, pixel_std = 0;
  std::int64_t count = 0;
  std::string source;                  // e.g. "galaxies.h5" or "generator galaxies n=20000 seed=1"
  // Earlier training data of a fine-tuned prior, oldest first: one object
  // {"source", "count", "until_step"} per data set it was trained on before `source`.
  nlohmann::json lineage = nlohmann::json::array();
  nlohmann::json to_json() const;
  static DataInfo from_json(const nlohmann::json& j);
};

struct LossRecord {
  std::int64_t step;
  double loss;       // mean DSM loss of the logged steps since the previous record
  double lr;
};

// The largest Euclidean distance between two of up to `subsample` images of
// `data` [N,H,W] (REFERENCE: the natural σ_max of a VE SDE).
double max_pairwise_distance(const at::Tensor& data, std::int64_t subsample, std::uint64_t seed);

// Held-out DSM loss of `net` on `data` [N,H,W]: `levels` noise levels evenly
// spaced in t ∈ [t_eps, 1], each over all images (in batches of `batch`), with
// z from `seed`. Returns the mean over levels.
// A patch prior's loss (patch_size > 0) is over every non-overlapping
// patch_size² tile of the images, with its position when the network takes one.
double evaluate_dsm_loss(const ScoreNetwork& net, const Sde& sde, const at::Tensor& data, int levels,
                         std::int64_t batch, std::uint64_t seed, int patch_size = 0);

// Crops of images [N,H,W] and their position maps ([M,2,P,P], priors/patch_prior.hpp;
// undefined unless asked for), positions normalised to the H×W images themselves.
struct PatchCrops {
  at::Tensor images, positions;
};
// Every non-overlapping patch² tile of every image, image by image, row by row
// (patch 0: the whole images, at their positions).
PatchCrops tile_crops(const at::Tensor& images, int patch, bool positions);
// One patch² crop of each image at an origin uniform over the image.
PatchCrops random_crops(const at::Tensor& images, int patch, bool positions, at::Generator& gen);

// The input scaling a of the network, score(x, σ_VE) = F(a·x, log σ_VE)/σ_VE:
// VE: 1/sqrt(σ_data² + σ²) (or 1 when input scaling is off); VP: μ = 1/sqrt(1 + σ²).
at::Tensor network_input_scale(const Sde& sde, const ScoreNetConfig& net, const at::Tensor& sigma_ve);

class PriorTrainer {
 public:
  // A fresh run on `data` [N,H,W] float32 (network units).
  PriorTrainer(const TrainConfig& cfg, const DataInfo& info, at::Tensor data);
  // Continue from a checkpoint written by save(); `data` must match its image size.
  // With `current` (the description of `data`) whose source differs from the
  // checkpoint's, this is fine-tuning on new data: the checkpoint's source moves to
  // the lineage (until its step) and `current` becomes the data description; its
  // normalisation and unit must match the checkpoint's (DataError otherwise). A VE
  // σ_max below the new data's largest pairwise distance is raised to it (the old
  // value is kept in the lineage entry). Step counter, learning-rate schedule, EMA
  // and Adam state all continue.
  static PriorTrainer resume(const std::filesystem::path& checkpoint, at::Tensor data,
                             const DataInfo* current = nullptr);
  ~PriorTrainer();
  PriorTrainer(PriorTrainer&&) noexcept;

  // Trains as one of `dp.size` processes from here on: the weights, EMA and
  // Adam moments take rank 0's values (a collective: every process calls it),
  // and every step is one global batch of config().batch images.
  void set_data_parallel(DataParallel dp);
  double step();  // one optimisation step; returns its DSM loss (of the global batch)
  std::int64_t steps_done() const { return step_; }
  void save(const std::filesystem::path& path) const;
  const TrainConfig& config() const { return cfg_; }
  const DataInfo& data_info() const { return info_; }
  const std::vector<LossRecord>& history() const { return history_; }
  // Logs the mean loss of the steps since the last call as one history record.
  void record_history();
  const ScoreNetwork& network() const;      // raw weights
  const ScoreNetwork& ema_network() const;  // EMA weights (sample with these)

 private:
  PriorTrainer() = default;
  struct State;
  std::unique_ptr<State> s_;
  TrainConfig cfg_;
  DataInfo info_;
  std::int64_t step_ = 0;
  std::vector<LossRecord> history_;
  // Runs of scripts/train_prior_torch.py (header training.gpu_runs), kept across saves.
  nlohmann::json gpu_runs_;
  double pending_loss_ = 0;
  std::int64_t pending_n_ = 0;
  double last_lr_ = 0;
  DataParallel dp_;
};

}  // namespace penumbra
