#pragma once
// train-prior's run: denoising score matching of a diffusion prior on an image
// stack (HDF5 from `penumbra dataset`) or on galaxies/disks generated in memory,
// with periodic atomic checkpoints, exact resumption and fine-tuning on new data,
// and the loss curve (loss.csv + loss.png) in the run folder. See docs/prior.md.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include <filesystem>

namespace penumbra {

struct PriorTrainingOptions {
  // Data: an image stack, or `generate` images of `kind` made in memory.
  std::string data, dataset = "images";
  std::int64_t generate = 0;
  std::string kind = "galaxies";
  int size = 64;
  double psf_fwhm = 0, noise = 0;
  std::int64_t held_out = -1;  // -1: 256 when there are ≥ 2560 images, else 0
  // > 0: a patch prior (priors/patch_prior.hpp): every step trains on one random
  // patch_size² crop of each batch image, with its position; a new run's network
  // gets the two position channels. 0: whole images.
  int patch_size = 0;
  // Network and SDE of a new run (a resumed run keeps its checkpoint's).
  std::string sde = "ve";
  int width = 16, res_blocks = 1, patch = 2;
  std::string multipliers = "1,2,4,4";
  bool attention = true;
  double sigma_min = 0.01, sigma_max = 0, sigma_data = 0, t_eps = 0;  // 0: from the data / the SDE
  // Optimisation.
  std::int64_t steps = 10000, batch = 16, warmup = 500, checkpoint_every = 500, log_every = 25;
  double lr = 2e-4, ema = 0.999, grad_clip = 1.0;
  bool resume = false;
  std::string resume_from;  // empty: the run folder's checkpoint.ckpt
  std::uint64_t seed = 0;   // the run's seed: data, initialisation and training streams derive from it
  void validate() const;    // UsageError naming the quantity
};

// Trains up to `steps` in total, writes checkpoint.ckpt, loss.csv and loss.png
// into the run folder `dir` and returns the numbers of run.json (with the
// held-out DSM loss of the EMA weights when images were held out).
//
// Under mpirun every process calls it with the same options and folder: the
// training is data-parallel (each process a shard of every batch of `batch`
// images, the gradients summed), and rank 0 alone writes; the loss curve is
// the one-process run's within floating-point reduction differences
// (docs/parallel.md).
nlohmann::json run_prior_training(const PriorTrainingOptions& options, const std::filesystem::path& dir);

}  // namespace penumbra
