#pragma once
// prior-validate's run: a diffusion prior's unconditional samples against held-out
// images — radial power spectrum, pixel histogram, flux and size distributions (PNG
// figures in the run folder) and the held-out DSM loss. See docs/validation.md.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "priors/diffusion_prior.hpp"
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
  void validate() const;              // UsageError naming the quantity
};

// Writes power_spectrum.png, pixel_histogram.png, flux_cdf.png and size_cdf.png
// into `run` and returns the numbers of run.json. `checkpoint` names the prior in them.
nlohmann::json run_prior_validation(std::shared_ptr<const DiffusionPrior> prior, const std::filesystem::path& checkpoint,
                                    const PriorValidationOptions& options, RunFolder& run);

}  // namespace penumbra
