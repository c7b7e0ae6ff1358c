#pragma once
// The score network: a U-Net in the NCSN++ style (Song et al. 2021) for
// single-channel images. Residual blocks with GroupNorm and SiLU, the noise
// level enters every block through a Gaussian-Fourier embedding of log σ, a
// self-attention block at the lowest resolution, and the output is divided by
// σ so the network predicts −z (the DSM target scaled by σ) at every level.
//
// Shapes: x [B, H, W] (or [B, 1, H, W]), float32; sigma [B] > 0.
// H and W must be divisible by patch·2^(levels−1), levels = multipliers.size().
//
// The input is pre-scaled by c_in(σ) = 1/sqrt(σ_data² + σ²) (Karras et al.
// 2022) so the first convolution sees unit-variance input at every noise
// level; σ_data is part of the configuration (measured on the training set)
// and saved in the checkpoint. For a VP-trained network x is already unit-scale
// and input_scaling is disabled.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <utility>
#include <vector>

namespace penumbra {

struct ScoreNetConfig {
  int in_channels = 1;
  // Extra input channels that carry no noise: the normalised (x, y) position
  // maps of a patch prior (priors/patch_prior.hpp), so the network can learn
  // what depends on where the patch lies in the image (disks are centred). The
  // output keeps in_channels channels. 0 (the default, and what a checkpoint
  // without the field means) or 2.
  int coord_channels = 0;
  // Pixel-unshuffle stem: the U-Net runs on (H/patch)×(W/patch) images of
  // in_channels·patch² channels and a pixel-shuffle restores full resolution.
  // patch = 2 cuts the cost of the full-resolution level by 4 — on a CPU the
  // difference between a prior that trains in hours and one that does not.
  int patch = 1;
  int width = 32;                       // channels at the first level
  std::vector<int> multipliers{1, 2, 2};  // channels per level = width · multiplier
  int res_blocks = 1;                   // residual blocks per level (decoder has res_blocks + 1)
  bool attention = true;                // self-attention at the lowest resolution
  int embedding_dim = 0;                // noise embedding width; 0 → 4·width
  double fourier_scale = 16.0;          // std of the random Fourier frequencies (NCSN++)
  bool input_scaling = true;            // multiply x by 1/sqrt(σ_data² + σ²)
  double sigma_data = 0.5;              // data pixel std (network units), used by input_scaling
  std::uint64_t init_seed = 0;          // seed of the initial weights and the Fourier frequencies

  int groups(int channels) const;       // GroupNorm groups for a layer of `channels`
  // Throws UsageError naming the bad field.
  void validate() const;
  nlohmann::json to_json() const;
  static ScoreNetConfig from_json(const nlohmann::json& j);  // DataError on missing/bad fields
  static std::string fmt_error(const std::string& field, const std::string& value, const std::string& expected);
};

class ScoreNetwork {
 public:
  explicit ScoreNetwork(const ScoreNetConfig& config);
  ~ScoreNetwork();
  ScoreNetwork(ScoreNetwork&&) noexcept;
  ScoreNetwork& operator=(ScoreNetwork&&) noexcept;

  const ScoreNetConfig& config() const { return config_; }
  // Raw network output F(x, σ) before the 1/σ scaling, [B, H, W]. `cond` is the
  // value fed to the Fourier embedding (log σ in the VE form). `coords`
  // [B, coord_channels, H, W] is required when coord_channels > 0 and must be
  // undefined otherwise; it is concatenated after the input scaling.
  at::Tensor raw(const at::Tensor& x, const at::Tensor& cond, const at::Tensor& in_scale,
                 const at::Tensor& coords = {}) const;
  // Score estimate F(c_in·x, log σ) / σ, [B, H, W].
  at::Tensor score(const at::Tensor& x, const at::Tensor& sigma) const;

  // Parameters (trainable) and buffers (Fourier frequencies), in a fixed order with
  // stable names; the tensors alias the network's own storage.
  std::vector<std::pair<std::string, at::Tensor>> named_parameters() const;
  std::vector<std::pair<std::string, at::Tensor>> named_buffers() const;
  std::int64_t parameter_count() const;
  void set_training(bool training);
  // Floating-point operations of one forward pass of one image of h×w pixels
  // (multiply-add = 2 FLOPs; convolutions, linear layers and attention matmuls;
  // norms and activations are counted at a few FLOPs per element).
  double flops_per_image(int h, int w) const;

  struct Impl;
  Impl& impl() const { return *impl_; }

 private:
  ScoreNetConfig config_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace penumbra
