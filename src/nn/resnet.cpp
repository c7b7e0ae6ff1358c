#include "src/nn/resnet.hpp"

#include <fmt/format.h>

#include "src/core/errors.hpp"

namespace penumbra::nn {

int group_norm_groups(std::int64_t channels) {
  for (int g = 8; g > 1; --g)
    if (channels % g == 0) return g;
  return 1;
}

namespace {
torch::nn::GroupNorm group_norm(std::int64_t channels) {
  return torch::nn::GroupNorm(torch::nn::GroupNormOptions(group_norm_groups(channels), channels));
}
}  // namespace

ResidualBlockImpl::ResidualBlockImpl(std::int64_t in, std::int64_t out, const LayerOptions& opt) {
  c1 = register_module("c1", BayesConv2d(in, out, 3, 1, opt));
  n1 = register_module("n1", group_norm(out));
  c2 = register_module("c2", BayesConv2d(out, out, 3, 1, opt));
  n2 = register_module("n2", group_norm(out));
  torch::NoGradGuard no_grad;
  n2->weight.zero_();
  if (in != out) projection = register_module("projection", BayesConv2d(in, out, 1, 0, opt));
}

torch::Tensor ResidualBlockImpl::forward(const torch::Tensor& x) {
  auto h = torch::relu(n1->forward(c1->forward(x)));
  h = n2->forward(c2->forward(h));
  return torch::relu(h + (projection ? projection->forward(x) : x));
}

ResNetEncoderImpl::ResNetEncoderImpl(const EncoderConfig& c, const LayerOptions& opt) {
  check_encoder_config(c);
  stem = register_module("stem", BayesConv2d(c.channels, c.width, 3, 1, opt));
  stem_norm = register_module("stem_norm", group_norm(c.width));
  blocks = register_module("blocks", torch::nn::ModuleList());
  std::int64_t in = c.width;
  for (int s = 0; s < c.stages; ++s) {
    const std::int64_t out = static_cast<std::int64_t>(c.width) << s;
    for (int d = 0; d < c.depth; ++d) {
      blocks->push_back(ResidualBlock(in, out, opt));
      pool_before.push_back(s > 0 && d == 0);
      in = out;
    }
  }
  feature_dim = in;
}

torch::Tensor ResNetEncoderImpl::forward(const torch::Tensor& x) {
  auto h = symmetric_pool(torch::relu(stem_norm->forward(stem->forward(x))));
  for (std::size_t i = 0; i < blocks->size(); ++i) {
    if (pool_before[i]) h = symmetric_pool(h);
    h = blocks[i]->as<ResidualBlockImpl>()->forward(h);
  }
  return h.mean({2, 3});
}

ResNetImpl::ResNetImpl(const EncoderConfig& config, int classes, const LayerOptions& opt) {
  encoder = register_module("encoder", ResNetEncoder(config, opt));
  head = register_module("head", BayesLinear(encoder->feature_dim, classes, opt));
}

torch::Tensor ResNetImpl::forward(const torch::Tensor& x) {
  features = encoder->forward(x);
  return head->forward(features);
}

}  // namespace penumbra::nn
