#pragma once
// A score prior examined one noise level at a time on clean held-out images x:
// at each σ (log-spaced over the prior's range) the noisy x_σ = x + σz is scored and
// compared with (a) the denoising target, (b) the exact score of a Gaussian fitted
// to images of the same kind (priors/gaussian_image_model.hpp), which every true
// score approaches once σ² exceeds the data's variance, and (c) the flux of the
// implied denoiser D(x_σ) = x_σ + σ² s(x_σ, σ): Tweedie's formula makes E[D] = E[x]
// exactly at every σ for the true score, so a mean flux bias of D at some level is
// an error the reverse sampler integrates into its samples' brightness.
// prior-validate writes the table as noise_levels.csv / noise_levels.png.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

#include "priors/gaussian_image_model.hpp"
#include "src/model/model.hpp"

namespace penumbra {

struct NoiseLevelRow {
  double sigma = 0;
  double dsm_loss = 0;           // mean over pixels of (σ s + z)², the training loss at this level
  double gaussian_dsm_loss = 0;  // the same for the Gaussian's score
  double flux_reference = 0;     // mean Σx of the clean images
  double flux_bias = 0;          // mean Σ(D − x) of the prior's denoiser
  double flux_bias_se = 0;       // its standard error over the images
  double gaussian_flux_bias = 0; // mean Σ(D_G − x) of the Gaussian's denoiser
  double score_departure = 0;    // mean ‖s − s_G‖ / ‖s_G‖
  // The weight w of the Gaussian in the blend (1 − w) s + w s_G that minimises the
  // DSM loss at this level (a quadratic in w; not clamped), and that loss.
  double best_gaussian_weight = 0;
  double best_blend_dsm_loss = 0;
};

struct NoiseLevelOptions {
  int levels = 12;          // log-spaced from sigma_min to sigma_max
  std::int64_t batch = 32;  // images scored together
  std::uint64_t seed = 0;   // noise draws
  void validate() const;    // UsageError naming the quantity
};

// images [N, H, W] in the prior's units; σ range [sigma_min, sigma_max].
std::vector<NoiseLevelRow> noise_level_table(const Prior& prior, const GaussianImageModel& gaussian,
                                             const at::Tensor& images, double sigma_min, double sigma_max,
                                             const NoiseLevelOptions& options);

// noise_levels.csv (one row per level) and noise_levels.png (|flux bias| of both
// denoisers and the score departure against σ); returns the rows as JSON.
nlohmann::json write_noise_level_table(const std::vector<NoiseLevelRow>& rows, const std::filesystem::path& csv,
                                       const std::filesystem::path& png);

}  // namespace penumbra
