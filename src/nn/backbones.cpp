#include "src/nn/backbones.hpp"

#include <fmt/format.h>

#include "src/core/errors.hpp"

namespace penumbra::nn {

namespace F = torch::nn::functional;

namespace {
std::int64_t valid_then_pool(std::int64_t n, int k) {
  n -= k - 1;
  if (n < 2) throw UsageError("image size too small for the lenet backbone (needs at least 76 px)");
  return symmetric_pool_size(n);
}
}  // namespace

LeNetImpl::LeNetImpl(int size, int classes, const LayerOptions& opt) {
  c1 = register_module("c1", BayesConv2d(1, 6, 5, 0, opt));
  c2 = register_module("c2", BayesConv2d(6, 16, 5, 0, opt));
  c3 = register_module("c3", BayesConv2d(16, 26, 5, 0, opt));
  c4 = register_module("c4", BayesConv2d(26, 32, 5, 0, opt));
  std::int64_t n = size;
  for (int i = 0; i < 4; ++i) n = valid_then_pool(n, 5);
  f1 = register_module("f1", BayesLinear(32 * n * n, 120, opt));
  f2 = register_module("f2", BayesLinear(120, 84, opt));
  f3 = register_module("f3", BayesLinear(84, classes, opt));
}

torch::Tensor LeNetImpl::forward(const torch::Tensor& x) {
  auto h = symmetric_pool(torch::relu(c1->forward(x)));
  h = symmetric_pool(torch::relu(c2->forward(h)));
  h = symmetric_pool(torch::relu(c3->forward(h)));
  h = symmetric_pool(torch::relu(c4->forward(h)));
  h = h.flatten(1);
  h = torch::relu(f1->forward(h));
  features = torch::relu(f2->forward(h));
  return f3->forward(features);
}

AttentionGateImpl::AttentionGateImpl(std::int64_t xc, std::int64_t gc, std::int64_t inter,
                                     const LayerOptions& opt, GateNormalisation norm)
    : normalisation(norm) {
  theta = register_module("theta", BayesConv2d(xc, inter, 1, 0, opt));
  phi = register_module("phi", BayesConv2d(gc, inter, 1, 0, opt));
  psi = register_module("psi", BayesConv2d(inter, 1, 1, 0, opt));
}

torch::Tensor AttentionGateImpl::forward(const torch::Tensor& x, const torch::Tensor& g) {
  auto gu = F::interpolate(phi->forward(g), F::InterpolateFuncOptions()
                                                .size(std::vector<std::int64_t>{x.size(2), x.size(3)})
                                                .mode(torch::kBilinear)
                                                .align_corners(false));
  auto e = psi->forward(torch::relu(theta->forward(x) + gu));
  if (normalisation == GateNormalisation::kSigmoid) return torch::sigmoid(e);
  return torch::softmax(e.flatten(1), 1).view_as(e);
}

AttentionNetImpl::AttentionNetImpl(int size, int classes, const LayerOptions& opt, GateNormalisation gate,
                                   GateAggregation agg)
    : aggregation(agg) {
  if (size < 16) throw UsageError("image size too small for the attention backbone (needs at least 16 px)");
  c1a = register_module("c1a", BayesConv2d(1, 8, 3, 1, opt));
  c1b = register_module("c1b", BayesConv2d(8, 16, 3, 1, opt));
  c2 = register_module("c2", BayesConv2d(16, 32, 3, 1, opt));
  c3 = register_module("c3", BayesConv2d(32, 64, 3, 1, opt));
  g1 = register_module("g1", AttentionGate(16, 64, 16, opt, gate));
  g2 = register_module("g2", AttentionGate(32, 64, 16, opt, gate));
  if (aggregation == GateAggregation::kConcat) {
    f1 = register_module("f1", BayesLinear(16 + 32 + 64, 64, opt));
    f2 = register_module("f2", BayesLinear(64, classes, opt));
    return;
  }
  for (std::int64_t k = 0; std::int64_t in : {16, 32, 64}) {
    heads.emplace_back(register_module(fmt::format("h{}a", k), BayesLinear(in, 64, opt)),
                       register_module(fmt::format("h{}b", k), BayesLinear(64, classes, opt)));
    ++k;
  }
}

torch::Tensor AttentionNetImpl::forward(const torch::Tensor& x) {
  auto x1 = symmetric_pool(torch::relu(c1b->forward(torch::relu(c1a->forward(x)))));
  auto x2 = symmetric_pool(torch::relu(c2->forward(x1)));
  auto g = symmetric_pool(torch::relu(c3->forward(x2)));
  auto a1 = g1->forward(x1, g), a2 = g2->forward(x2, g);
  maps_ = {a1.detach(), a2.detach()};
  // Attention-weighted averages: the network looks where the gate points.
  auto pool = [](const torch::Tensor& f, const torch::Tensor& a) {
    return (f * a).sum({2, 3}) / (a.sum({2, 3}) + 1e-6);
  };
  std::vector<torch::Tensor> d = {pool(x1, a1), pool(x2, a2), g.mean({2, 3})};
  if (aggregation == GateAggregation::kConcat) {
    features = torch::relu(f1->forward(torch::cat(d, 1)));
    return f2->forward(features);
  }
  std::vector<torch::Tensor> hidden, logits;
  for (std::size_t k = 0; k < heads.size(); ++k) {
    hidden.push_back(torch::relu(heads[k].first->forward(d[k])));
    logits.push_back(heads[k].second->forward(hidden.back()));
  }
  features = torch::cat(hidden, 1);
  return torch::stack(logits).mean(0);
}

EquivariantNetImpl::EquivariantNetImpl(int size, int classes, const Group& g, const LayerOptions& opt)
    : group(g) {
  if (size < 8) throw UsageError("image size too small for the equivariant backbone (needs at least 8 px)");
  l1 = register_module("l1", LiftingConv(1, 6, 5, group, opt));
  l2 = register_module("l2", GroupConv(6, 12, 5, group, opt));
  l3 = register_module("l3", GroupConv(12, 16, 5, group, opt));
  f1 = register_module("f1", BayesLinear(16, 32, opt));
  f2 = register_module("f2", BayesLinear(32, classes, opt));
}

torch::Tensor EquivariantNetImpl::forward(const torch::Tensor& x) {
  auto h = symmetric_pool(torch::relu(l1->forward(x)));
  h = symmetric_pool(torch::relu(l2->forward(h)));
  h = symmetric_pool(torch::relu(l3->forward(h)));
  h = group_max_pool(h, group.order()).mean({2, 3});
  features = torch::relu(f1->forward(h));
  return f2->forward(features);
}

}  // namespace penumbra::nn
