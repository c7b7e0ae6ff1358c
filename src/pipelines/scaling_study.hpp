#pragma once
// Supervised scaling study (Walmsley et al., galaxy scaling laws): a grid of
// training-set sizes N × model sizes (encoder width w), each cell trained on
// the first N galaxies of a vote dataset and scored by the Dirichlet-multinomial
// NLL per galaxy on a fixed held-out split (the file's last `heldout` galaxies,
// the same for every cell). Then L(N) = a·N^(−α) + c is fitted per model size
// and L(P) per data size (P = parameter count), with α's Jacobian error and a
// bootstrap over cells (src/diagnostics/power_law_fit.hpp).
//
// Folder layout (DIR = --out):
//   study.json          the fingerprint of the training settings (a resume must match)
//   cells/nN_wW_sK/     one run folder per cell and seed: config.toml at its start,
//                       result.json when it finished (written atomically: a folder
//                       without it is a cell that was interrupted)
//   scaling.csv         one row per cell and seed
//   fits.json           a, α ± σ, c (and the bootstrap interval of α) per curve
//   scaling_data.png, scaling_parameters.png   log–log points and fits
// A resume skips finished cells, retrains interrupted ones, and may extend the
// grid (other --data-sizes / --model-sizes) as long as the training settings
// match. Under mpirun the cells are dealt over the ranks
// (src/pipelines/distributed_items.hpp); a cell's result depends on its
// (N, w, seed) alone, so the fits do not depend on the number of ranks.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "src/diagnostics/power_law_fit.hpp"

namespace penumbra {

struct ScalingStudyOptions {
  std::string data;                        // vote dataset (penumbra dataset gz-votes)
  std::vector<std::int64_t> data_sizes;    // training galaxies per cell
  std::vector<int> model_sizes;            // encoder width (first-stage channels)
  int depth = 1;                           // residual blocks per stage
  int seeds = 1;                           // trainings per cell (different initialisation and order)
  int epochs = 0;                          // passes over the cell's N galaxies, or
  std::int64_t steps = 0;                  // optimiser steps per cell (exactly one of the two > 0)
  int batch = 32;
  double lr = 1e-3;
  std::int64_t heldout = 500;              // galaxies held out at the end of the file
  int bootstrap = 500;                     // replicates of the α bootstrap
  std::uint64_t seed = 0;

  // UsageError naming the quantity (data size, model size, epochs, ...).
  void validate() const;
  // What a cell's result depends on besides (N, w, seed index): a resume must match.
  std::string fingerprint() const;
};

struct ScalingCell {
  std::int64_t data_size = 0;
  int model_size = 0;
  int seed_index = 0;
  std::string name() const;  // "n1000_w8_s0"
  std::uint64_t seed(std::uint64_t study_seed) const;
};

struct ScalingCellResult {
  ScalingCell cell;
  std::int64_t parameters = 0;
  double heldout_nll = 0;     // mean Dirichlet-multinomial NLL per held-out galaxy
  double heldout_nll_se = 0;  // its standard error over the held-out galaxies
  std::int64_t steps = 0;
  double wall_seconds = 0;
};

// Trains one cell into `cell_dir` (which exists) and scores it.
using ScalingCellTrainer = std::function<ScalingCellResult(const ScalingCell&, const std::filesystem::path& cell_dir)>;

struct ScalingCurve {
  bool versus_data = true;  // L(N) at a fixed model size, or L(P) at a fixed data size
  std::int64_t fixed = 0;   // the model size (width) or the data size
  PowerLawData points;      // x = N or P, y = held-out NLL (equal weights), group = cell
  std::optional<PowerLawFit> fit;
  std::string skipped;      // why there is no fit (fewer than 3 distinct x)
};

struct ScalingStudyResult {
  std::vector<ScalingCellResult> cells;  // grid order: N, then w, then seed
  std::vector<ScalingCurve> curves;      // L(N) per model size, then L(P) per data size
  int trained = 0, reused = 0, interrupted = 0;  // this run; cells found finished; found interrupted
  double cell_seconds = 0;               // wall time summed over every cell of the grid
};

// UsageError when `dir` holds a study and `resume` is false, or holds one made
// with other training settings (what a resume may not change).
void require_resumable(const ScalingStudyOptions& options, const std::filesystem::path& dir, bool resume);

// Runs the grid's missing cells with `train` and, on rank 0, reads every
// cell's result and fits the curves (other ranks return their share only).
ScalingStudyResult run_scaling_study(const ScalingStudyOptions& options, const std::filesystem::path& dir,
                                     bool resume, const ScalingCellTrainer& train,
                                     const std::function<void(const ScalingCellResult&)>& on_cell = nullptr);

// The curves and their fits from the cells' results (power-law bootstrap over cells).
std::vector<ScalingCurve> fit_scaling_curves(const ScalingStudyOptions& options,
                                             const std::vector<ScalingCellResult>& cells);

// scaling.csv, fits.json and the two PNGs into `dir`.
void write_scaling_report(const std::filesystem::path& dir, const ScalingStudyResult& result);

}  // namespace penumbra
