#pragma once
// prior-validate's run: a diffusion prior's unconditional samples against held-out
// images — radial power spectrum, pixel histogram, flux and size distributions (PNG
// figures in the run folder) and the held-out DSM loss. See docs/validation.md.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include <ATen/core/Tensor.h>

#include "priors/diffusion_prior.hpp"
#include "priors/patch_prior.hpp"
#include "src/core/run_folder.hpp"
#include "src/pipelines/prior_sampling.hpp"

namespace penumbra {

struct PriorValidationOptions {
  std::string samples_file;           // samples.h5 from prior-sample; empty: draw `n` here
  std::int64_t n = 64;                // samples to draw (batches of 16)
  PriorSamplingSettings sampling;     // how to draw them
  std::string kind = "galaxies";      // generated references: galaxies, disks or mix
  std::string reference_file;         // or an HDF5 stack (/images [N,H,W]); the first `reference` are used
  std::int64_t reference = 512;       // held-out images
  std::uint64_t seed = 0;             // the run's seed: sampling and reference streams derive from it
  int size = 0;                       // image side of a patch prior's samples (0: its training images')
  PatchTilingOptions tiling;          // how a patch prior assembles its score
  // Per-noise-level table (src/pipelines/prior_noise_levels.hpp) on the first
  // min(128, reference) references, against a Gaussian fitted to `reference` more
  // images of the same kind (another seed stream; a --reference-file's own images).
  // 0: none.
  int noise_levels = 12;
  void validate() const;              // UsageError naming the quantity
};

// The seam check of a patch prior: power at the tile frequency k₀ = N/P (cycles
// per image) on the two frequency axes, where fixed tile edges put theirs,
// against the mean power of the ring |k| = k₀, for samples and references, both
// [n, N, N]; excess = samples' ratio / references' ratio (1: no seams).
struct TilePeriodPower {
  int period_px = 0, frequency = 0;
  double axis_to_ring_samples = 0, axis_to_ring_reference = 0, excess = 0;
  double radial_ratio_excess = 0;  // P_s/P_r at k₀ over its mean at k₀ ± 1 (1: no bump in the radial spectrum)
};
TilePeriodPower tile_period_power(const at::Tensor& samples, const at::Tensor& references, int period_px);

// Writes power_spectrum.png, pixel_histogram.png, flux_cdf.png, size_cdf.png and
// (noise_levels > 0) noise_levels.csv / noise_levels.png into `run` and returns the numbers of run.json. `checkpoint` names the prior in them.
nlohmann::json run_prior_validation(std::shared_ptr<const DiffusionPrior> prior, const std::filesystem::path& checkpoint,
                                    const PriorValidationOptions& options, RunFolder& run);

}  // namespace penumbra
