#pragma once
// "Image one observation" as library calls, for the studies (coverage, compare)
// and the map command:
//
//  * load_pipeline_prior: an analytic prior spec or a diffusion-prior checkpoint,
//    with the map from prior units to Jy/pixel (PixelUnits);
//  * make_pipeline_sampler: the sampler kernel named on the command line;
//  * make_posterior_model + sample_batches: prior ⊕ likelihood (convolved-gridded
//    or NUFFT-exact) ⊕ sampler, then K posterior samples in Jy/pixel drawn in
//    seeded batches with a per-batch hook (penumbra sample checkpoints there and
//    resumes from a batch index); sample_observation does both in one call;
//  * map_image: MAP / regularised maximum likelihood with MEM, TV or L1
//    (samplers/map_estimate.hpp) and its χ² history.
//
// Prior specs (all analytic ones in Jy/pixel): "gaussian:MEAN,STD",
// "laplace:LOC,SCALE", "spectrum:VARIANCE,SLOPE", or a checkpoint path. The
// analytic priors are sampled in units of their scale (STD, SCALE, √VARIANCE:
// PixelUnits.scale), so the samplers' defaults (initial N(0, 1), step sizes)
// are on the posterior's scale whatever the flux units.
#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "instruments/torch/exact_likelihood.hpp"
#include "samplers/posterior.hpp"
#include "samplers/split_gibbs.hpp"
#include "src/core/image_grid.hpp"
#include "src/model/model.hpp"
#include "src/core/observation.hpp"

namespace penumbra {

class Sampler;
class Progress;

struct PipelinePrior {
  std::shared_ptr<const Prior> prior;
  PixelUnits units;  // Jy/pixel = scale·x + offset; scale 0: set from the data (peak-normalised checkpoints)
  std::string spec;
};
// UsageError for a malformed spec; MissingInputError for a missing checkpoint.
// `size` (--size; 0: not given) is needed by "spectrum:" and checked against a
// checkpoint's image size.
PipelinePrior load_pipeline_prior(const std::string& spec, int size);

struct SamplerSettings {
  std::string sampler = "pc";  // pc | ald | em | mala | hmc | split-gibbs
  std::int64_t steps = 1000;   // score evaluations per sample (split-gibbs: steps / prior_steps iterations)
  std::int64_t levels = 10, corrector = 1;
  double snr = 0.16, epsilon = 0, sigma_min = 0, sigma_max = 0;
  std::string final_step = "mean";  // pc: mean | spread | exact (samplers/diffusion_samplers.hpp)
  std::int64_t final_probes = 8;     // pc: Rademacher probes of the spread and exact final steps
  std::int64_t prior_steps = 10;     // split-gibbs: reverse-diffusion levels of each prior step
  double anneal_fraction = SplitGibbsOptions{}.anneal_fraction;  // split-gibbs: share of iterations annealing ρ
  ConjugateGradientOptions split_gibbs_cg = SplitGibbsOptions{}.cg;  // split-gibbs: its likelihood step's CG
  std::string likelihood = "convolved";  // convolved | exact (split-gibbs: always exact)
  int pad = 2;                           // uv-grid padding of the convolved likelihood
  double nufft_epsilon = 1e-6;
  int threads = 0;  // NUFFT/dirty-image threads (0: thread_count())
  Tempering tempering;  // likelihood weight λ and temperature T (1, 1: the Bayesian posterior)
  void validate() const;  // UsageError naming the option
  // The settings that change the samples, as keys of a run's --resume fingerprint.
  // Keys added after runs existed are written only when they differ from their
  // default, so older run folders still resume.
  void add_to_fingerprint(nlohmann::json& j) const;
};
// `exact`: the exact likelihood of the pc sampler's exact final step (final_step "exact").
std::unique_ptr<Sampler> make_pipeline_sampler(const SamplerSettings& s, std::shared_ptr<const Posterior> post,
                                               std::shared_ptr<const Likelihood> exact = nullptr);

// Peak brightness estimate (Jy/pixel) from a dirty image (Jy/beam) and its PSF:
// dirty peak / beam area in pixels, the area of a Gaussian main lobe being
// (pixels above half maximum)/ln 2. DataError when the dirty image has no positive peak.
double dirty_peak_jy_per_pixel(const std::vector<double>& dirty, const std::vector<double>& psf,
                               const std::string& where);
// Beam area in pixels from a PSF (peak 1), as above.
double psf_beam_area_pixels(const std::vector<double>& psf);

// A peak-normalised prior (units.scale 0) gets its Jy/pixel scale from the data:
// the dirty-peak estimate above. Returns where the scale came from ("prior" when
// it was already set), for logs and summaries. DataError as above.
std::string set_units_from_dirty(PixelUnits& units, const std::vector<double>& dirty, const std::vector<double>& psf,
                                 const std::string& where);

// Prior ⊕ likelihood ⊕ sampler for one observation, built once and run by
// sample_batches.
struct PosteriorModel {
  std::shared_ptr<const Likelihood> likelihood;
  std::shared_ptr<const Posterior> posterior;
  std::shared_ptr<const Sampler> sampler;
  PixelUnits units;
  int size = 0;                     // image side N
  std::int64_t gridded_cells = 0;   // convolved likelihood: occupied cells of the padded uv grid (else 0)
  std::string describe() const;     // posterior + sampler description
};
// `prior.units.scale` must be set (> 0): the prior's own, --flux-scale, or set_units_from_dirty.
PosteriorModel make_posterior_model(const VisibilitySet& vis, const ImageGrid& grid, const PipelinePrior& prior,
                                    const SamplerSettings& settings);

struct BatchHooks {
  std::int64_t first_batch = 0;  // resume: batches before this one were drawn earlier and are not redrawn
  Progress* progress = nullptr;  // ticked once per sampler step
  std::int64_t* solver_iterations = nullptr;  // when set: += the linear-solver (CG) iterations of every step
  // After batch b with its samples [nb, N, N] float64 Jy/pixel (a caller's
  // checkpoint); returning false stops before the next batch.
  std::function<bool(std::int64_t b, const at::Tensor& samples)> on_batch;
};
std::int64_t batch_count(std::int64_t nsamples, std::int64_t batch);
// Draws batches first_batch, first_batch+1, … of `batch` chains (the last one
// smaller) until `nsamples` or until on_batch says stop; batch b uses stream
// derive_seed(seed, 1000 + b), so a resumed run draws exactly what an
// uninterrupted one would. Returns the samples of the batches it drew [K', N, N]
// float64 Jy/pixel.
at::Tensor sample_batches(const PosteriorModel& model, std::int64_t nsamples, std::int64_t batch,
                          std::uint64_t seed, const BatchHooks& hooks = {});

struct PosteriorRun {
  at::Tensor samples;   // [K, H, W] float64, Jy/pixel
  PixelUnits units;     // used
  std::string describe; // posterior + sampler description
  std::int64_t score_evaluations = 0;  // per sample
};
// Samples the posterior of `vis` on `grid` (grid.nx == grid.ny): the unit scale
// from the dirty image when the prior has none, make_posterior_model, sample_batches.
PosteriorRun sample_observation(const VisibilitySet& vis, const ImageGrid& grid, PipelinePrior prior,
                                const SamplerSettings& settings, std::int64_t nsamples, std::int64_t batch,
                                std::uint64_t seed, Progress* progress = nullptr);

// ---- MAP imaging
struct MapImagingOptions {
  std::string prior = "tv";  // mem | tv | l1
  double lambda = 1.0;       // regularisation weight (> 0), in prior units (see units below)
  bool positive = false;     // project onto x ≥ 0
  bool start_from_dirty = true;
  int max_iterations = 300;
  double tolerance = 1e-7;
  double nufft_epsilon = 1e-6;
  void validate() const;  // UsageError naming the option
};
struct MapImagingResult {
  std::vector<double> image;       // [ny][nx] Jy/pixel
  std::vector<double> energy;      // per iteration
  std::vector<double> start;       // starting image, Jy/pixel
  double pixel_unit = 0;           // Jy/pixel per optimiser unit (the dirty-peak estimate)
  double chi2_start = 0, chi2 = 0; // reduced χ² of the start and of the result
  int iterations = 0;
  bool converged = false;
};
// Optimiser units: x_phys = pixel_unit·x with pixel_unit the peak-brightness
// estimate of the dirty image, so pixels are O(1) whatever the flux scale and
// λ means the same for faint and bright sources. MEM default level 1e-3, TV
// smoothing ε 1e-3 and the Laplace scale 1/λ are in those units.
MapImagingResult map_image(const VisibilitySet& vis, const ImageGrid& grid, const MapImagingOptions& options);

// χ²_red of each image of `images` [K, ny, nx] (Jy/pixel) against `vis`
// (posterior_summary.hpp's definition) → [K] float64; one NUFFT plan, 16 images at a time.
at::Tensor images_reduced_chi2(const VisibilitySet& vis, const ImageGrid& grid, const at::Tensor& images,
                               double nufft_epsilon = 1e-8);
// The same for one image ([ny][nx]).
double image_reduced_chi2(const VisibilitySet& vis, const ImageGrid& grid, const std::vector<double>& image,
                          double nufft_epsilon = 1e-8);
// Dirty image (Jy/beam) of the residual visibilities vis − A·image with the given imaging weights.
std::vector<double> residual_dirty_image(const VisibilitySet& vis, const std::vector<double>& imaging_weight,
                                         const ImageGrid& grid, const std::vector<double>& image,
                                         double nufft_epsilon = 1e-8);

}  // namespace penumbra
