#include "samplers/posterior.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "src/core/errors.hpp"

namespace penumbra {

Posterior::Posterior(std::shared_ptr<const Prior> prior, std::shared_ptr<const Likelihood> likelihood,
                     Tempering tempering)
    : prior_(std::move(prior)), likelihood_(std::move(likelihood)), tempering_(tempering) {
  if (!prior_) throw UsageError("posterior: a prior is required");
  if (!(tempering_.likelihood_weight >= 0) || !std::isfinite(tempering_.likelihood_weight))
    throw UsageError(fmt::format("posterior: likelihood weight must be finite and >= 0, got {}",
                                 tempering_.likelihood_weight));
  if (!(tempering_.temperature > 0) || !std::isfinite(tempering_.temperature))
    throw UsageError(fmt::format("posterior: temperature must be finite and > 0, got {}", tempering_.temperature));
  tempering_.anneal = tempering_.anneal.resolved(prior_->sigma_min(), prior_->sigma_max());
}

at::Tensor Posterior::score(const at::Tensor& x, const at::Tensor& sigma) const {
  auto s = timing_->prior.time([&] { return prior_->score(x, sigma); }, x.size(0));
  if (likelihood_ && tempering_.likelihood_weight > 0) {
    auto l = timing_->likelihood.time([&] { return likelihood_->score(x, sigma); }, x.size(0));
    if (tempering_.anneal.active()) {
      std::vector<std::int64_t> per_chain(static_cast<std::size_t>(l.dim()), 1);
      per_chain[0] = -1;
      s = s + (tempering_.likelihood_weight * tempering_.anneal.factor(sigma)).to(l.scalar_type()).view(per_chain) * l;
    } else {
      s = tempering_.likelihood_weight == 1.0 ? s + l : s + tempering_.likelihood_weight * l;
    }
  }
  return tempering_.temperature == 1.0 ? s : s / tempering_.temperature;
}

at::Tensor Posterior::score(const at::Tensor& x, double sigma) const {
  return score(x, torch::full({x.size(0)}, sigma, x.options()));
}

at::Tensor Posterior::log_prob(const at::Tensor& x) const {
  auto lp = prior_->log_prob(x);
  if (likelihood_ && tempering_.likelihood_weight > 0) lp = lp - tempering_.likelihood_weight * likelihood_->energy(x);
  return lp / tempering_.temperature;
}

std::string Posterior::describe() const {
  std::string d = fmt::format("prior={} likelihood={} weight={} temperature={}", prior_->name(),
                              likelihood_ ? likelihood_->name() : "none", tempering_.likelihood_weight,
                              tempering_.temperature);
  return tempering_.anneal.active() ? d + " anneal=" + tempering_.anneal.describe() : d;
}

}  // namespace penumbra
