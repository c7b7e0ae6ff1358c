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

#include "priors/score_network.hpp"
#include "priors/sde.hpp"
#include "priors/training.hpp"
#include "src/model/model.hpp"

namespace penumbra {

class DiffusionPrior final : public Prior {
 public:
  // Loads the EMA weights (raw weights with use_ema = false). MissingInputError /
  // DataError (one line naming the file) for anything that is not a usable prior.
  static std::shared_ptr<DiffusionPrior> load(const std::filesystem::path& checkpoint, bool use_ema = true);

  at::Tensor score(const at::Tensor& x, const at::Tensor& sigma) const override;
  int height() const override { return info_.height; }
  int width() const override { return info_.width; }
  double sigma_max() const override { return sde_.ve_sigma_max() * scale_; }
  double sigma_min() const override { return sde_.ve_sigma_min() * scale_; }
  std::string name() const override;

  void set_physical_scale(double s);  // UsageError unless s > 0
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
};

}  // namespace penumbra
