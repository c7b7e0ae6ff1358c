#pragma once
// A likelihood with everything in closed form, for the sampler tests.
#include <ATen/ATen.h>

#include <cmath>
#include <string>
#include <utility>

#include "src/model/model.hpp"

namespace penumbra {

// y = x + n, n ~ N(0, v I): an exact linear-Gaussian likelihood (H = I/v) whose
// noise-level-aware score (y − x)/(v + σ²) is exact too.
class IdentityLikelihood final : public Likelihood {
 public:
  IdentityLikelihood(at::Tensor y, double v) : y_(std::move(y)), v_(v) {}
  at::Tensor score(const at::Tensor& x, const at::Tensor& sigma) const override {
    return (y_.to(x.scalar_type()) - x) / (v_ + sigma.square().view({-1, 1, 1}));
  }
  at::Tensor energy(const at::Tensor& x) const override {
    return (x - y_.to(x.scalar_type())).square().flatten(1).sum(1) / (2 * v_);
  }
  std::string name() const override { return "identity"; }
  bool can_perturb_data() const override { return true; }
  at::Tensor perturbed_score(const at::Tensor& x, at::Generator& gen) const override {
    auto n = at::normal(0.0, std::sqrt(v_), x.sizes(), gen, x.options());
    return (y_.to(x.scalar_type()) + n - x) / v_;
  }

 private:
  at::Tensor y_;
  double v_;
};

}  // namespace penumbra
