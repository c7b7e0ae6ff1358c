#pragma once
// Group-equivariant self-attention backbone (`--backbone ge-attention`), after
// Romero & Cordonnier (2021) and the radio-galaxy study that uses it: the
// input is lifted to C_N / D_N (N ∈ {4, 8, 16}) by the group convolutions of
// bayesian_layers.hpp, and self-attention runs over each group element's
// feature map on a downsampled grid (side ≤ 12), with a relative positional
// bias b(T_g⁻¹ (q − p)): the offset between query p and key q seen in the
// frame of element g. Rotating the input by u moves the features of g to u g
// at rotated positions, and the bias moves with them, so attention maps rotate
// with the input and the prediction (max over the group, mean over space) is
// invariant: exactly for 90° steps and flips, approximately for N = 8, 16,
// whose filters are interpolated and whose grid is not invariant under 45°.
// Internal to src/nn (includes <torch/torch.h>).
#include <torch/torch.h>

#include <vector>

#include "src/nn/backbones.hpp"

namespace penumbra::nn {

// Throws UsageError unless the group's order N is one the backbone supports.
void check_attention_group(const Group& group);

// Multi-head self-attention within each group element's map, [B, C·|G|, n, n]
// → same shape, channel c·|G| + g as in LiftingConv; the projections act on
// channels only (shared across g), so they commute with the group action.
class GroupSelfAttentionImpl : public torch::nn::Module {
 public:
  GroupSelfAttentionImpl(std::int64_t channels, int heads, std::int64_t side, const Group& g, const LayerOptions& opt);
  torch::Tensor forward(const torch::Tensor& x);
  // Attention received by each key position of the last forward, averaged over
  // heads, group elements and queries: [B, 1, n, n], scaled to a peak of 1 per image.
  torch::Tensor last_map;
  BayesConv2d query{nullptr}, key{nullptr}, value{nullptr}, out{nullptr};
  BayesParam pos_w1{nullptr}, pos_b1{nullptr}, pos_w2{nullptr}, pos_b2{nullptr};
  Group group;
  int heads;
  std::int64_t channels, side;
  torch::Tensor offsets;  // [|G|, n²·n², 2]: T_g⁻¹ (q − p) / n for every query p, key q

 private:
  torch::Tensor positional_bias() const;  // [|G|, heads, n², n²]
};
TORCH_MODULE(GroupSelfAttention);

// Lifting conv (5×5, 8 channels), pool, a group conv (5×5, 12 channels: 3×3
// filters turned by 22.5° lose too much to interpolation) at
// side ≤ 40, pools to side ≤ 12, group self-attention (2 heads) with a
// residual, max over the group, spatial mean, dense head (32, C).
class GroupAttentionNetImpl : public BackboneImpl {
 public:
  GroupAttentionNetImpl(int size, int classes, const Group& group, const LayerOptions& opt);
  torch::Tensor forward(const torch::Tensor& x) override;
  std::vector<torch::Tensor> attention_maps() const override { return maps_; }
  Group group;
  LiftingConv lift{nullptr};
  GroupConv conv{nullptr};
  GroupSelfAttention attention{nullptr};
  BayesLinear f1{nullptr}, f2{nullptr};
  int pools_before_conv = 0, pools_before_attention = 0;

 private:
  std::vector<torch::Tensor> maps_;
};

}  // namespace penumbra::nn
