#include "priors/sde.hpp"

#include <torch/torch.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "src/core/errors.hpp"

namespace penumbra {

Sde::Kind Sde::parse_kind(const std::string& s) {
  if (s == "ve" || s == "VE") return Kind::kVE;
  if (s == "vp" || s == "VP") return Kind::kVP;
  throw UsageError("SDE '" + s + "': expected ve or vp");
}

void Sde::validate() const {
  if (kind == Kind::kVE && !(sigma_min > 0 && sigma_max > sigma_min))
    throw UsageError("VE SDE: sigma_min = " + std::to_string(sigma_min) + ", sigma_max = " +
                     std::to_string(sigma_max) + "; expected 0 < sigma_min < sigma_max");
  if (kind == Kind::kVP && !(beta_min > 0 && beta_max > beta_min))
    throw UsageError("VP SDE: beta_min = " + std::to_string(beta_min) + ", beta_max = " + std::to_string(beta_max) +
                     "; expected 0 < beta_min < beta_max");
  if (!(t_eps > 0 && t_eps < 0.5)) throw UsageError("SDE: t_eps = " + std::to_string(t_eps) + "; expected in (0, 0.5)");
}

nlohmann::json Sde::to_json() const {
  return {{"kind", kind_name()},       {"sigma_min", sigma_min}, {"sigma_max", sigma_max},
          {"beta_min", beta_min},      {"beta_max", beta_max},   {"t_eps", t_eps}};
}

Sde Sde::from_json(const nlohmann::json& j) {
  Sde s;
  try {
    s.kind = parse_kind(j.at("kind").get<std::string>());
    s.sigma_min = j.at("sigma_min").get<double>();
    s.sigma_max = j.at("sigma_max").get<double>();
    s.beta_min = j.at("beta_min").get<double>();
    s.beta_max = j.at("beta_max").get<double>();
    s.t_eps = j.at("t_eps").get<double>();
    s.validate();
  } catch (const nlohmann::json::exception& e) {
    throw DataError(std::string("SDE configuration: ") + e.what());
  } catch (const UsageError& e) {
    throw DataError(e.what());
  }
  return s;
}

double Sde::mu(double t) const {
  if (kind == Kind::kVE) return 1.0;
  return std::exp(-0.25 * t * t * (beta_max - beta_min) - 0.5 * t * beta_min);
}

double Sde::sigma(double t) const {
  if (kind == Kind::kVE) return sigma_min * std::pow(sigma_max / sigma_min, t);
  double m = mu(t);
  return std::sqrt(-std::expm1(std::log(m) * 2));  // 1 − μ², accurate at small t
}

double Sde::g2(double t) const {
  if (kind == Kind::kVE) {
    double s = sigma(t);
    return 2 * s * s * std::log(sigma_max / sigma_min);
  }
  return beta_min + t * (beta_max - beta_min);
}

double Sde::drift_coef(double t) const {
  if (kind == Kind::kVE) return 0;
  return -0.5 * (beta_min + t * (beta_max - beta_min));
}

at::Tensor Sde::mu(const at::Tensor& t) const {
  auto td = t.to(torch::kFloat64);
  if (kind == Kind::kVE) return torch::ones_like(t);
  return torch::exp(-0.25 * td * td * (beta_max - beta_min) - 0.5 * td * beta_min).to(t.scalar_type());
}

at::Tensor Sde::sigma(const at::Tensor& t) const {
  auto td = t.to(torch::kFloat64);
  if (kind == Kind::kVE) return (sigma_min * torch::pow(sigma_max / sigma_min, td)).to(t.scalar_type());
  auto log_mu = -0.25 * td * td * (beta_max - beta_min) - 0.5 * td * beta_min;
  return torch::sqrt(-torch::expm1(2 * log_mu)).to(t.scalar_type());
}

}  // namespace penumbra
