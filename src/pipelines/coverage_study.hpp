#pragma once
// TARP coverage study (REFERENCE.md §2): simulate N observations of sky images
// the prior never saw, sample each posterior with the pipeline of
// posterior_model.hpp, and measure the expected coverage (tarp.hpp) and the
// per-pixel credible-interval coverage.
//
// Skies:
//  * "disk": random protoplanetary disks (src/datasets/protoplanetary_disk.hpp),
//    simulation j uses generator seed derive_seed(seed, kHeldOutDiskSeedOffset + j).
//    Training sets never draw disks from these streams (train-prior/dataset use
//    derive_seed(seed, 0xDA7A) for their generators), so this is a held-out test set.
//  * "prior-disk": disks drawn exactly as the prior's training set draws them
//    (DiskImageGenerator: random_disk on the training grid, peak-normalised, peak
//    U(0.5, 1) in prior units) from the held-out seed stream above, times a known
//    `flux_scale` Jy/pixel per prior unit, which the sampler is given (not estimated
//    from the dirty image). The truths are then draws from the distribution the prior
//    learned, so a faithful prior and an exact sampler must be calibrated: the test
//    of the learned prior and the sampler alone. "disk" adds what a user faces: truths
//    of any flux (log-uniform 0.05–1 Jy) and a scale estimated from the data.
//  * "prior-sample": the truth is an unconditional draw from the sampling prior
//    itself (reverse SDE, Euler–Maruyama, kPriorSampleSteps steps, seed stream
//    kPriorTruthStream + j), times `flux_scale` as for prior-disk. Simulation-based
//    calibration in its strict form: whatever the prior learned, the truths come from
//    it, so any miscalibration left is the sampler's and the likelihood's; the gap to
//    "prior-disk" is the prior's misfit to the disks it was trained on.
//  * "gaussian-prior": the truth is a draw from the analytic prior
//    "gaussian:MEAN,STD" itself (pixels i.i.d. N(MEAN, STD²), Jy/pixel), the case
//    in which an exact sampler must be calibrated.
//
// Observation: the array's earth-rotation uv tracks (one fixed uv coverage for
// every simulation; baselines the image grid cannot represent, |u| or |v| ≥
// 0.49/cell, are dropped), model visibilities by the NUFFT (ε = 1e-9), thermal
// noise of rms `noise_rms` Jy per Stokes-I visibility (Re and Im each), weights 1/σ².
//
// Per-simulation results are written to DIR/simulations/sim_NNNNN.h5 (/samples
// [K, H, W] float Jy/pixel, /truth [H, W]); a resumed study skips the files that
// exist. DIR/study.json holds the options' fingerprint (all but N) and N.
// Simulation j depends only on (seed, j), so a resume with a larger N extends a
// finished study: simulations 0..N_old−1 are reused as they are and N_old..N−1
// are run with their own seeds, exactly as a fresh study of N would run them.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "src/core/image_grid.hpp"
#include "src/core/observation.hpp"
#include "src/pipelines/posterior_settings.hpp"
#include "src/pipelines/gaussian_limit_settings.hpp"
#include "src/pipelines/prior_registry.hpp"
#include "src/diagnostics/tarp.hpp"

namespace penumbra {

constexpr std::uint64_t kHeldOutDiskSeedOffset = 1'000'000'000ull;

struct CoverageStudyOptions {
  int n = 100;                   // simulations
  int size = 64;                 // image side, pixels
  double cell = 0;               // radians (required)
  std::string sky = "disk";      // disk | prior-disk | prior-sample | gaussian-prior
  std::string prior;             // pipeline prior spec or checkpoint
  GaussianLimitSettings gaussian_limit;  // a whole-image checkpoint's large-σ treatment (also of prior-sample truths)
  PosteriorSettings posterior;  // sampler, likelihood, tempering
  std::int64_t nsamples = 64, batch = 64;
  std::string layout = "alma-long";
  double freq_hz = 240e9;
  double dec = -14.369 * 0.017453292519943295, ra = 252.314 * 0.017453292519943295;  // AS 209
  double ha_start = -0.2617993877991494, ha_end = 0.2617993877991494;               // ±1 h
  double integration = 300;      // seconds per dump
  double noise_rms = 0;          // Jy per Stokes-I visibility; 0: radiometer (SEFD 2900 Jy, 7.5 GHz, η 0.88)
  std::uint64_t seed = 0;
  int n_alpha = 101, n_bootstrap = 200;
  int workers = 0;               // simulations in flight (0: min(thread_count(), n))
  // gaussian-prior sky only: truths are MEAN + truth_scale·STD·z. 1 = drawn from the
  // prior; ≠ 1 is a deliberately misspecified prior (the study must detect it).
  double truth_scale = 1.0;
  // prior-disk and prior-sample skies: Jy/pixel per prior unit, of the truths and given to the sampler.
  double flux_scale = 1.5e-3;
  void validate() const;         // UsageError naming the quantity
  std::string fingerprint() const;
};

// The fixed uv coverage of the study (u, v in wavelengths) and the noise rms used.
struct StudyUv {
  std::vector<double> u, v;
  double noise_rms = 0;
  std::size_t dropped = 0;  // visibilities the grid could not represent
};
StudyUv study_uv_coverage(const CoverageStudyOptions& o);

struct SimulatedObservation {
  VisibilitySet vis;
  ImageGrid grid;
  std::vector<double> truth;  // [H][W] Jy/pixel
  std::string sky;            // one line
};
// Reverse-SDE steps of a prior-sample truth.
constexpr int kPriorSampleSteps = 500;

// Simulation j of the study (deterministic in (seed, j)). The prior-sample sky
// draws its truth from `prior` (UsageError without one).
SimulatedObservation simulate_study_observation(const CoverageStudyOptions& o, const StudyUv& uv, int j,
                                                int threads = 0, const PipelinePrior* prior = nullptr);

struct CoverageStudyResult {
  TarpResult tarp;         // per-coordinate normalisation (the TARP paper's)
  TarpResult tarp_global;  // one range for all pixels (distances in flux units); see tarp.hpp
  std::vector<double> levels, pixel_coverage;  // credible level → fraction of truth pixels inside
  double coverage_68 = 0, coverage_95 = 0;
  IntervalCoverage coverage_test_68, coverage_test_95;  // the same with the test across simulations (tarp.hpp)
  int simulated = 0, resumed = 0;              // simulations run now (all ranks) / found finished
  double seconds = 0;                          // wall time of the simulations run now
  int ranks = 1;                               // processes the simulations were split over
  std::size_t nvis = 0, dropped = 0;
  double noise_rms = 0;
  std::vector<double> rmse;                    // per simulation: posterior mean vs truth, Jy/pixel
};

// Runs (or resumes) the study in `dir`. With resume = false an existing
// simulations/ folder is cleared; with resume = true its options must match
// except N (UsageError otherwise); a smaller N measures simulations 0..N−1 and
// leaves the others on disk. `on_done` is called (serialised) after each simulation.
//
// Under mpirun every rank calls this (a collective): rank 0 opens the folder and
// lists the unfinished simulations, the ranks share them out by position in that
// list (src/parallel: my_share), and rank 0 alone reads every file back and
// measures; on other ranks the result holds the counts only. The result files, and
// so every number measured from them, do not depend on the number of ranks, nor
// on which ranks an interrupted study had (resume with any number).
// With several ranks, --workers W may not oversubscribe the node (UsageError).
CoverageStudyResult run_coverage_study(const CoverageStudyOptions& o, const std::filesystem::path& dir, bool resume,
                                       const std::function<void(int done, int total)>& on_done = {});

}  // namespace penumbra
