#include "samplers/variational.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include <cmath>

#include "src/core/errors.hpp"

namespace penumbra {

ElboTempering parse_tempering(const std::string& name) {
  if (name == "partial") return ElboTempering::kPartial;
  if (name == "full") return ElboTempering::kFull;
  throw UsageError(fmt::format("tempering '{}' unknown; expected partial (KL × T) or full (entropy × T)", name));
}

std::string tempering_name(ElboTempering t) { return t == ElboTempering::kPartial ? "partial" : "full"; }

at::Tensor tempered_loss(const ElboTerms& t, const ElboSettings& s) {
  if (s.n_train <= 0) throw UsageError(fmt::format("ELBO needs the training-set size N > 0, got {}", s.n_train));
  if (!(s.temperature > 0)) throw UsageError(fmt::format("temperature {} must be > 0", s.temperature));
  if (t.batch_size <= 0) throw UsageError("ELBO minibatch is empty");
  auto n = static_cast<double>(s.n_train);
  auto data = t.nll_sum / static_cast<double>(t.batch_size);
  if (s.tempering == ElboTempering::kPartial) return data + s.temperature * (t.cross_entropy - t.entropy) / n;
  return data + (t.cross_entropy - s.temperature * t.entropy) / n;
}

struct VariationalInference::Impl {
  explicit Impl(std::vector<at::Tensor> p, double lr) : params(std::move(p)), adam(params, torch::optim::AdamOptions(lr)) {}
  std::vector<at::Tensor> params;
  torch::optim::Adam adam;
};

VariationalInference::VariationalInference(std::vector<at::Tensor> parameters, double learning_rate,
                                           ElboSettings settings, TermsFn terms)
    : impl_(std::make_unique<Impl>(std::move(parameters), learning_rate)),
      settings_(settings),
      terms_(std::move(terms)) {
  if (!(learning_rate > 0)) throw UsageError(fmt::format("learning rate {} must be > 0", learning_rate));
}

VariationalInference::~VariationalInference() = default;

void VariationalInference::set_learning_rate(double lr) {
  for (auto& g : impl_->adam.param_groups()) static_cast<torch::optim::AdamOptions&>(g.options()).lr(lr);
}

VariationalStepInfo VariationalInference::step() {
  impl_->adam.zero_grad();
  ElboTerms t = terms_(step_);
  auto loss = tempered_loss(t, settings_);
  VariationalStepInfo info;
  info.step = step_;
  info.loss = loss.item<double>();
  info.nll = (t.nll_sum / static_cast<double>(t.batch_size)).item<double>();
  info.kl = (t.cross_entropy - t.entropy).item<double>();
  if (!std::isfinite(info.loss))
    throw InternalError(fmt::format("variational inference diverged at step {}: loss {} (NLL {}, KL {})", step_,
                                    info.loss, info.nll, info.kl));
  loss.backward();
  if (gradient_hook_) gradient_hook_(impl_->params);
  impl_->adam.step();
  ++step_;
  return info;
}

}  // namespace penumbra
