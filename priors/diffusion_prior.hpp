#pragma once
// A trained score-based diffusion prior behind the penumbra::Prior interface
// (src/model/model.hpp): score(x, σ) in the VE form at every noise level, from
// the EMA weights of a checkpoint written by `penumbra train-prior`.
//
// For a VP-trained network the VE form is exact: with μ = 1/sqrt(1 + σ²) and
// σ_VP = σ·μ, score_VE(x, σ) = μ·score_VP(μx, t(σ)) = F(μx, log σ)/σ.
//
// Units: the network works in "network units" (the training data's
// normalisation, e.g. peak ≈ 1 for the galaxy generator). set_physical_scale(s)
// declares that physical image = s · network image (e.g. s = expected peak in
// Jy/pixel); score() then takes and returns physical units:
//   score_phys(x, σ) = score_net(x/s, σ/s) / s.
#include <ATen/core/Tensor.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "priors/gaussian_image_model.hpp"
#include "priors/patch_prior.hpp"
#include "priors/score_network.hpp"
#include "priors/sde.hpp"
#include "priors/training.hpp"
#include "src/model/model.hpp"

namespace penumbra {

// The large-noise treatment of a whole-image prior: above sigma_from (network
// units) score() blends the network's score with the exact score of a Gaussian
// fitted to training-like images, s = (1 − w) s_net + w s_G, the weight rising as a
// smoothstep in log σ from 0 at sigma_from to 1 at sigma_to. Where σ² exceeds the
// data's variance every true score tends to the Gaussian's, but the network
// predicts −z and its score is F/σ, so the implied denoiser x + σ²s carries its
// output error times σ: at σ ≳ 5 the shipped disk prior's held-out DSM loss is
// 2.4–31× the Gaussian's and its denoiser adds +14 to +275 flux (docs/validation.md,
// "The brightness excess"). The defaults follow the DSM-optimal blend weight measured
// there (0.15 at σ = 0.64, 0.42 at 1.3, 0.85 at 2.6, 1 from 5). The patch score
// (score_at) is never blended.
struct GaussianLimit {
  std::shared_ptr<const GaussianImageModel> model;  // null: the network alone
  double sigma_from = 0.5, sigma_to = 5;
  std::string source;  // what the Gaussian was fitted to, for the prior's name
  void validate() const;  // UsageError naming the quantity
  double weight(double sigma) const;  // w(σ), σ in network units
};

// A patch checkpoint (data_info().patch_size > 0) is not a prior on any one
// image size by itself: make_patch_prior() makes it one on height×width images
// (priors/patch_prior.hpp); its own score() refuses and says so.
class DiffusionPrior final : public Prior {
 public:
  // Loads the EMA weights (raw weights with use_ema = false). MissingInputError /
  // DataError (one line naming the file) for anything that is not a usable prior.
  static std::shared_ptr<DiffusionPrior> load(const std::filesystem::path& checkpoint, bool use_ema = true);

  at::Tensor score(const at::Tensor& x, const at::Tensor& sigma) const override;
  // The network's score on images of any size it takes, with position maps
  // [B, 2, h, w] when it has coordinate channels (the patch score of a patch prior).
  at::Tensor score_at(const at::Tensor& x, const at::Tensor& sigma, const at::Tensor& positions) const;
  bool is_patch_prior() const { return info_.patch_size > 0; }
  int height() const override { return info_.height; }
  int width() const override { return info_.width; }
  double sigma_max() const override { return sde_.ve_sigma_max() * scale_; }
  double sigma_min() const override { return sde_.ve_sigma_min() * scale_; }
  std::string name() const override;

  void set_physical_scale(double s);  // UsageError unless s > 0
  // UsageError for a patch prior or a model of another image size.
  void set_gaussian_limit(GaussianLimit limit);
  const GaussianLimit& gaussian_limit() const { return limit_; }
  double physical_scale() const { return scale_; }
  const Sde& sde() const { return sde_; }
  const DataInfo& data_info() const { return info_; }
  const ScoreNetwork& network() const { return *net_; }
  const nlohmann::json& header() const { return header_; }
  std::int64_t training_steps() const { return steps_; }

  // The default prior shipped in data/prior/default.ckpt: <exe_dir>/../data/prior,
  // <exe_dir>/../share/penumbra/prior, then the source tree (PENUMBRA_SOURCE_DIR
  // when compiled in). MissingInputError listing the places tried.
  static std::filesystem::path default_checkpoint_path();

 private:
  DiffusionPrior() = default;
  std::unique_ptr<ScoreNetwork> net_;
  Sde sde_;
  DataInfo info_;
  nlohmann::json header_;
  std::filesystem::path path_;
  std::int64_t steps_ = 0;
  double scale_ = 1;
  GaussianLimit limit_;
};

// A patch checkpoint as a prior on height×width images (UsageError naming both
// sizes when the patch does not divide them; DataError for a whole-image checkpoint).
std::shared_ptr<PatchPrior> make_patch_prior(std::shared_ptr<const DiffusionPrior> prior, int height, int width,
                                             const PatchTilingOptions& options = {});

}  // namespace penumbra
