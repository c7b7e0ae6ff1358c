#pragma once
// ResNet-style encoders (He et al. 2016, basic blocks) with a width and a depth
// knob, and the `resnet` classifier backbone built on one. Internal to src/nn
// (includes <torch/torch.h>); other layers use src/nn/encoder.hpp.
//
//   stem    3×3 conv (C → w), GroupNorm, ReLU, symmetric pool (S → S/2)
//   stage s (s = 0..stages−1): a symmetric pool first (s > 0), then `depth`
//           basic blocks [3×3 conv, GN, ReLU, 3×3 conv, GN] + identity (a 1×1
//           conv where the width doubles), ReLU; widths w, 2w, 4w, 8w
//   output  global mean over the positions: features [B, w·2^(stages−1)]
//
// GroupNorm rather than BatchNorm: the statistics are per image, so a
// prediction does not depend on the rest of its batch, training and inference
// behave alike (no running averages: a Bayesian classifier's weight samples and
// the small CPU batches of a fine-tuning fold see the same normalisation), and
// data-parallel shards give the one-process result. The last GN of each block
// starts at zero scale (Goyal et al. 2017), so every block starts as the
// identity and deep stacks train from the first step.
// Downsampling is the repo's symmetric pool, not a stride-2 conv: it commutes
// with rotations by 90° and flips, which galaxy images do not prefer.
#include <torch/torch.h>

#include "src/nn/backbones.hpp"
#include "src/nn/encoder.hpp"

namespace penumbra::nn {

class ResidualBlockImpl : public torch::nn::Module {
 public:
  ResidualBlockImpl(std::int64_t in, std::int64_t out, const LayerOptions& opt);
  torch::Tensor forward(const torch::Tensor& x);
  BayesConv2d c1{nullptr}, c2{nullptr}, projection{nullptr};
  torch::nn::GroupNorm n1{nullptr}, n2{nullptr};
};
TORCH_MODULE(ResidualBlock);

class ResNetEncoderImpl : public torch::nn::Module {
 public:
  ResNetEncoderImpl(const EncoderConfig& config, const LayerOptions& opt);
  torch::Tensor forward(const torch::Tensor& x);  // [B, C, S, S] → [B, F]
  std::int64_t feature_dim = 0;
  BayesConv2d stem{nullptr};
  torch::nn::GroupNorm stem_norm{nullptr};
  torch::nn::ModuleList blocks{nullptr};
  std::vector<bool> pool_before;  // [block]: the first block of stages 1.. follows a pool
};
TORCH_MODULE(ResNetEncoder);

// The classifier backbone: encoder + a dense layer to the logits.
class ResNetImpl : public BackboneImpl {
 public:
  ResNetImpl(const EncoderConfig& config, int classes, const LayerOptions& opt);
  torch::Tensor forward(const torch::Tensor& x) override;
  ResNetEncoder encoder{nullptr};
  BayesLinear head{nullptr};
};

// GroupNorm groups for `channels`: the largest divisor of `channels` ≤ 8.
int group_norm_groups(std::int64_t channels);

}  // namespace penumbra::nn
