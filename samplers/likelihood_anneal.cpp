#include "samplers/likelihood_anneal.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "src/core/checks.hpp"

namespace penumbra {

std::string anneal_kind_name(AnnealKind kind) {
  switch (kind) {
    case AnnealKind::kLinear:
      return "linear";
    case AnnealKind::kSigma:
      return "sigma";
    default:
      return "none";
  }
}

AnnealKind parse_anneal_kind(const std::string& name) {
  require_in("likelihood anneal", name, {"none", "linear", "sigma"});
  return name == "linear" ? AnnealKind::kLinear : name == "sigma" ? AnnealKind::kSigma : AnnealKind::kNone;
}

LikelihoodAnneal LikelihoodAnneal::resolved(double prior_sigma_min, double prior_sigma_max) const {
  LikelihoodAnneal r = *this;
  if (!active()) return r;
  require_in_range("likelihood anneal start", start, 0.0, 1.0);
  require_non_negative("likelihood anneal sigma", sigma_full);
  require_non_negative("largest noise level of the likelihood anneal", sigma_max);
  if (r.sigma_full == 0) r.sigma_full = prior_sigma_min;
  if (r.sigma_max == 0) r.sigma_max = prior_sigma_max;
  require_positive("likelihood anneal sigma", r.sigma_full);
  // Without a range to ramp over, linear would divide by log 1 = 0.
  if (kind == AnnealKind::kLinear && !(r.sigma_max > r.sigma_full))
    fail_check("likelihood anneal sigma", fmt::format("< the largest noise level {}", r.sigma_max), r.sigma_full);
  return r;
}

double LikelihoodAnneal::factor(double sigma) const {
  if (!active() || sigma <= sigma_full) return 1.0;
  if (kind == AnnealKind::kSigma) return (sigma_full / sigma) * (sigma_full / sigma);
  double t = std::min(1.0, std::log(sigma / sigma_full) / std::log(sigma_max / sigma_full));
  return start + (1 - start) * (1 - t);
}

at::Tensor LikelihoodAnneal::factor(const at::Tensor& sigma) const {
  auto s = sigma.to(torch::kFloat64);
  at::Tensor a;
  if (!active()) {
    a = torch::ones_like(s);
  } else if (kind == AnnealKind::kSigma) {
    a = (sigma_full / s).square().clamp_max(1.0);  // σ = 0: +inf → 1
  } else {
    auto t = (s / sigma_full).log().div(std::log(sigma_max / sigma_full)).clamp(0.0, 1.0);  // σ = 0: −inf → 0
    a = start + (1 - start) * (1 - t);
  }
  return a.to(sigma.scalar_type());
}

std::string LikelihoodAnneal::describe() const {
  // 0: not resolved yet (a setting; the run's prior gives the value).
  auto level = [](double s, const char* unresolved) { return s > 0 ? fmt::format("{:.4g}", s) : std::string(unresolved); };
  switch (kind) {
    case AnnealKind::kLinear:
      return fmt::format("linear(start={}, sigma=[{}, {}])", start, level(sigma_full, "sigma_min"),
                         level(sigma_max, "sigma_max"));
    case AnnealKind::kSigma:
      return fmt::format("sigma(full={})", level(sigma_full, "sigma_min"));
    default:
      return "none";
  }
}

}  // namespace penumbra
