#pragma once
// Classifier backbones (internal to src/nn; includes <torch/torch.h>). Each
// maps [B, 1, S, S] to logits [B, C] and is deterministic or Bayesian through
// LayerOptions. Pooling is symmetric_pool throughout, so spatial bookkeeping
// commutes with rotations by 90° and flips.
//   lenet        Mohan et al. (2022) style: 4 conv (5×5, no padding; 6, 16, 26, 32
//                channels, ReLU, pool) + 3 dense (120, 84, C).
//   attention    Bowles et al. (2021) style attention-gated CNN: three conv blocks
//                (3×3; 8→16, 32, 64 channels); the deepest features gate the two
//                shallower ones through additive attention (1×1 convs, then
//                sigmoid or a softmax over positions) — the attention maps are
//                kept; attention-weighted averages of the gated features and the
//                mean of the deepest features feed one dense head (64, C) on
//                their concatenation, or one head each with the logits averaged
//                (src/nn/attention_options.hpp).
//   equivariant  G-CNN for C_N / D_N: a lifting conv and two group convs (5×5;
//                6, 12, 16 channels per group element), ReLU and pooling, a max
//                over the group (invariance), a global spatial mean and a dense
//                head (32, C). Invariant to the group exactly for N = 4 on inputs
//                whose side survives the pools symmetrically (always, with
//                symmetric_pool), approximately for N = 8, 16.
#include <torch/torch.h>

#include <string>
#include <vector>

#include "src/nn/attention_options.hpp"
#include "src/nn/bayesian_layers.hpp"

namespace penumbra::nn {

class BackboneImpl : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(const torch::Tensor& x) = 0;
  // Attention maps of the last forward, [B, 1, h, w] each (attention backbones only).
  virtual std::vector<torch::Tensor> attention_maps() const { return {}; }
  // The last forward's input to the final dense layer, [B, F]: the encoder's
  // feature space (dataset-shift measures compare image sets there).
  torch::Tensor features;
};

class LeNetImpl : public BackboneImpl {
 public:
  LeNetImpl(int size, int classes, const LayerOptions& opt);
  torch::Tensor forward(const torch::Tensor& x) override;
  BayesConv2d c1{nullptr}, c2{nullptr}, c3{nullptr}, c4{nullptr};
  BayesLinear f1{nullptr}, f2{nullptr}, f3{nullptr};
};

class AttentionGateImpl : public torch::nn::Module {
 public:
  AttentionGateImpl(std::int64_t x_channels, std::int64_t g_channels, std::int64_t inter,
                    const LayerOptions& opt, GateNormalisation normalisation = GateNormalisation::kSigmoid);
  // Returns the attention map [B, 1, h, w] for features x [B, Cx, h, w] and gate g
  // (softmax: each image's map sums to 1).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& g);
  BayesConv2d theta{nullptr}, phi{nullptr}, psi{nullptr};
  GateNormalisation normalisation;
};
TORCH_MODULE(AttentionGate);

class AttentionNetImpl : public BackboneImpl {
 public:
  AttentionNetImpl(int size, int classes, const LayerOptions& opt,
                   GateNormalisation gate = GateNormalisation::kSigmoid,
                   GateAggregation aggregation = GateAggregation::kConcat);
  torch::Tensor forward(const torch::Tensor& x) override;
  std::vector<torch::Tensor> attention_maps() const override { return maps_; }
  BayesConv2d c1a{nullptr}, c1b{nullptr}, c2{nullptr}, c3{nullptr};
  AttentionGate g1{nullptr}, g2{nullptr};
  BayesLinear f1{nullptr}, f2{nullptr};  // concat: the one head
  // mean: a head (hidden, output) per descriptor: gate 1, gate 2, deepest mean.
  std::vector<std::pair<BayesLinear, BayesLinear>> heads;
  GateAggregation aggregation;

 private:
  std::vector<torch::Tensor> maps_;
};

class EquivariantNetImpl : public BackboneImpl {
 public:
  EquivariantNetImpl(int size, int classes, const Group& group, const LayerOptions& opt);
  torch::Tensor forward(const torch::Tensor& x) override;
  Group group;
  LiftingConv l1{nullptr};
  GroupConv l2{nullptr}, l3{nullptr};
  BayesLinear f1{nullptr}, f2{nullptr};
};

}  // namespace penumbra::nn
