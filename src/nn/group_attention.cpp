#include "src/nn/group_attention.hpp"

#include <fmt/format.h>

#include <cmath>
#include <numbers>

#include "src/core/errors.hpp"

namespace penumbra::nn {

namespace {

constexpr std::int64_t kLiftChannels = 8, kChannels = 12, kKeyDim = 8, kPosHidden = 16;
constexpr int kHeads = 2;
constexpr std::int64_t kMaxConvSide = 40, kMaxAttentionSide = 12;

// T_g⁻¹ Δ = F^m R(−θ) Δ, the convention of Group::filter_transforms; integer
// results are snapped so 90° steps and flips map the offset table onto itself exactly.
torch::Tensor group_offsets(const Group& group, std::int64_t n) {
  const std::int64_t P = n * n;
  auto t = torch::empty({group.order(), P * P, 2});
  auto acc = t.accessor<float, 3>();
  auto snap = [](double v) { return std::abs(v - std::round(v)) < 1e-9 ? std::round(v) : v; };
  for (int g = 0; g < group.order(); ++g) {
    int m = g / group.n(), r = g % group.n();
    double th = 2 * std::numbers::pi * r / group.n(), c = std::cos(th), s = std::sin(th);
    for (std::int64_t p = 0; p < P; ++p)
      for (std::int64_t q = 0; q < P; ++q) {
        double dx = static_cast<double>(q % n - p % n), dy = static_cast<double>(q / n - p / n);
        double ox = snap(c * dx + s * dy), oy = snap(-s * dx + c * dy);
        if (m) ox = -ox;
        acc[g][p * P + q][0] = static_cast<float>(ox / n);
        acc[g][p * P + q][1] = static_cast<float>(oy / n);
      }
  }
  return t;
}

}  // namespace

void check_attention_group(const Group& group) {
  int n = group.n();
  if (n != 4 && n != 8 && n != 16)
    throw UsageError(fmt::format("group order N = {} ({}) not supported by the ge-attention backbone; "
                                 "expected C4, C8, C16, D4, D8 or D16",
                                 n, group.name()));
}

GroupSelfAttentionImpl::GroupSelfAttentionImpl(std::int64_t ch, int h, std::int64_t n, const Group& g,
                                               const LayerOptions& opt)
    : group(g), heads(h), channels(ch), side(n) {
  if (ch % h != 0) throw InternalError(fmt::format("{} channels do not split into {} heads", ch, h));
  query = register_module("query", BayesConv2d(ch, h * kKeyDim, 1, 0, opt));
  key = register_module("key", BayesConv2d(ch, h * kKeyDim, 1, 0, opt));
  value = register_module("value", BayesConv2d(ch, ch, 1, 0, opt));
  out = register_module("out", BayesConv2d(ch, ch, 1, 0, opt));
  pos_w1 = register_module("pos_w1", BayesParam(std::vector<std::int64_t>{kPosHidden, 2}, 1 / std::sqrt(2.0), opt));
  pos_b1 = register_module("pos_b1", BayesParam(std::vector<std::int64_t>{kPosHidden}, 1 / std::sqrt(2.0), opt));
  double b2 = 1 / std::sqrt(static_cast<double>(kPosHidden));
  pos_w2 = register_module("pos_w2", BayesParam(std::vector<std::int64_t>{h, kPosHidden}, b2, opt));
  pos_b2 = register_module("pos_b2", BayesParam(std::vector<std::int64_t>{h}, b2, opt));
  offsets = register_buffer("offsets", group_offsets(group, n));
}

torch::Tensor GroupSelfAttentionImpl::positional_bias() const {
  const std::int64_t P = side * side;
  // Weights drawn once per forward (not per offset), so a sampled network is still equivariant.
  auto hidden = torch::relu(torch::nn::functional::linear(offsets, pos_w1->sample(), pos_b1->sample()));
  auto b = torch::nn::functional::linear(hidden, pos_w2->sample(), pos_b2->sample());  // [G, P², heads]
  return b.view({group.order(), P, P, heads}).permute({0, 3, 1, 2});
}

torch::Tensor GroupSelfAttentionImpl::forward(const torch::Tensor& x) {
  const std::int64_t B = x.size(0), G = group.order(), n = side, P = n * n, dv = channels / heads;
  if (x.size(1) != channels * G || x.size(2) != n || x.size(3) != n)
    throw InternalError(fmt::format("group attention expects [B, {}, {}, {}]", channels * G, n, n));
  // [B, C·G, n, n] → one map per (image, group element): [B·G, C, n, n].
  auto xs = x.reshape({B, channels, G, n, n}).transpose(1, 2).reshape({B * G, channels, n, n});
  auto split = [&](const torch::Tensor& t, std::int64_t d) {  // → [B, G, heads, P, d]
    return t.reshape({B, G, heads, d, P}).permute({0, 1, 2, 4, 3});
  };
  auto q = split(query->forward(xs), kKeyDim), k = split(key->forward(xs), kKeyDim);
  auto v = split(value->forward(xs), dv);
  auto logits = torch::matmul(q, k.transpose(-1, -2)) / std::sqrt(static_cast<double>(kKeyDim)) +
                positional_bias().unsqueeze(0);
  auto a = torch::softmax(logits, -1);  // [B, G, heads, P(query), P(key)]
  // Scaled to a peak of 1 per image, the range of the attention-gated maps that predict draws.
  auto received = a.detach().mean({1, 2, 3}).reshape({B, 1, n, n});
  last_map = received / received.amax({2, 3}, true);
  auto o = torch::matmul(a, v).permute({0, 1, 2, 4, 3}).reshape({B * G, channels, n, n});
  return out->forward(o).reshape({B, G, channels, n, n}).transpose(1, 2).reshape({B, channels * G, n, n});
}

GroupAttentionNetImpl::GroupAttentionNetImpl(int size, int classes, const Group& g, const LayerOptions& opt)
    : group(g) {
  check_attention_group(group);
  if (size < 8) throw UsageError("image size too small for the ge-attention backbone (needs at least 8 px)");
  std::int64_t n = symmetric_pool_size(size);
  for (; n > kMaxConvSide; n = symmetric_pool_size(n)) ++pools_before_conv;
  for (n = symmetric_pool_size(n); n > kMaxAttentionSide; n = symmetric_pool_size(n)) ++pools_before_attention;
  lift = register_module("lift", LiftingConv(1, kLiftChannels, 5, group, opt));
  conv = register_module("conv", GroupConv(kLiftChannels, kChannels, 5, group, opt));
  attention = register_module("attention", GroupSelfAttention(kChannels, kHeads, n, group, opt));
  f1 = register_module("f1", BayesLinear(kChannels, 32, opt));
  f2 = register_module("f2", BayesLinear(32, classes, opt));
}

torch::Tensor GroupAttentionNetImpl::forward(const torch::Tensor& x) {
  auto h = symmetric_pool(torch::relu(lift->forward(x)));
  for (int i = 0; i < pools_before_conv; ++i) h = symmetric_pool(h);
  h = symmetric_pool(torch::relu(conv->forward(h)));
  for (int i = 0; i < pools_before_attention; ++i) h = symmetric_pool(h);
  h = torch::relu(h + attention->forward(h));
  maps_ = {attention->last_map};
  h = group_max_pool(h, group.order()).mean({2, 3});
  features = torch::relu(f1->forward(h));
  return f2->forward(features);
}

}  // namespace penumbra::nn
