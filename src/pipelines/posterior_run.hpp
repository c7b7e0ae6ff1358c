#pragma once
// A posterior run as `penumbra sample` makes it: prior ⊕ likelihood ⊕ sampler
// on one PlannedObservation (one NUFFT plan for the dirty image, the likelihood,
// the χ² of the samples and the residual), samples drawn in seeded batches with
// one checkpoint file per finished batch (--resume continues after the last
// one), then the summaries and the files users get.
//
// Outputs (in `dir`): samples.h5 (stack /samples [K, N, N] Jy/pixel, /chi2_reduced
// [K]), mean/std/q16/q50/q84.fits (Jy/pixel, SIN WCS), dirty.fits and
// residual.fits (Jy/beam), panel.png, summary.json, and batches/ (the checkpoints).
//
// Under mpirun every rank calls run_posterior (a collective): the batches still to
// draw are dealt over the ranks (src/parallel: my_share), each rank writes its
// batches' checkpoints, and rank 0 reads them all back and writes every output.
// Batch b is seeded by (seed, b) alone, so the outputs equal those of one process
// with the same threads per process, and --resume continues with any rank count.
// stop_after counts the batches of each rank.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "src/core/image_grid.hpp"
#include "src/core/observation.hpp"
#include "src/pipelines/posterior_settings.hpp"
#include "src/pipelines/prior_registry.hpp"

namespace penumbra {

struct PosteriorRunRequest {
  std::string input;            // where the visibilities came from (summary, fingerprint)
  VisibilitySet vis;            // validated Stokes I
  ImageGrid grid;               // square, phase centre of the data
  double freq_hz = 0;           // for the FITS headers (0: unknown)
  PipelinePrior prior;          // units.scale 0: from flux_scale or the dirty image
  double flux_scale = 0;        // Jy/pixel per unit of a checkpoint prior (0: the prior's or the data's)
  std::string scale_spec;       // the pixel size as the user gave it (fingerprint)
  PosteriorSettings settings;
  std::int64_t nsamples = 16, batch = 16;
  std::uint64_t seed = 0;
  std::vector<double> truth;    // [N][N] Jy/pixel; empty: no truth
  std::string truth_path;
  bool resume = false;          // continue after the batches a previous run of the same request finished
  int stop_after = 0;           // testing aid: stop after this many batches (an interruption)
  void validate() const;        // UsageError naming the quantity, before any work
  void validate_units() const;  // the flux scale against the prior (part of validate())
};

struct PosteriorRunReport {
  bool interrupted = false;     // stopped by stop_after: no summaries written
  bool written = false;         // this process wrote the outputs (rank 0 of a finished run)
  nlohmann::json summary;       // what summary.json holds
};

PosteriorRunReport run_posterior(const PosteriorRunRequest& request, const std::filesystem::path& dir);

}  // namespace penumbra
