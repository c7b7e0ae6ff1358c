#pragma once
// The forward SDEs of score-based diffusion (REFERENCE.md §2), t ∈ [0, 1]:
//   VE: x_t = x_0 + σ(t) z,        σ(t) = σ_min (σ_max/σ_min)^t
//   VP: x_t = μ(t) x_0 + σ(t) z,   μ(t) = exp(−¼t²(β₁−β₀) − ½tβ₀), σ(t)² = 1 − μ(t)²
// with drift f(x,t) and diffusion g(t) of dx = f dt + g dw. Every marginal is
// also a VE marginal of the rescaled variable x_t/μ(t) at noise level
// σ_VE(t) = σ(t)/μ(t); this is how a VP-trained network serves penumbra::Prior.
#include <ATen/core/Tensor.h>

#include <nlohmann/json_fwd.hpp>
#include <string>

namespace penumbra {

struct Sde {
  enum class Kind { kVE, kVP };
  Kind kind = Kind::kVE;
  double sigma_min = 0.01, sigma_max = 50;  // VE
  double beta_min = 0.1, beta_max = 20;     // VP
  double t_eps = 1e-5;                      // smallest t used in training (VP: 1e-3 is typical)

  static Kind parse_kind(const std::string& s);  // "ve" | "vp", UsageError otherwise
  std::string kind_name() const { return kind == Kind::kVE ? "ve" : "vp"; }
  void validate() const;                          // UsageError naming the bad field
  nlohmann::json to_json() const;
  static Sde from_json(const nlohmann::json& j);  // DataError on missing/bad fields

  // Scalars at time t.
  double mu(double t) const;         // mean factor (1 for VE)
  double sigma(double t) const;      // marginal std of the noise
  double sigma_ve(double t) const { return sigma(t) / mu(t); }
  double g2(double t) const;         // g(t)²
  double drift_coef(double t) const; // f(x,t) = drift_coef(t)·x (0 for VE, −½β(t) for VP)
  // Elementwise versions for a tensor of times (float64 math, result in t's dtype).
  at::Tensor mu(const at::Tensor& t) const;
  at::Tensor sigma(const at::Tensor& t) const;
  // Noise range of the equivalent VE form (what penumbra::Prior reports).
  double ve_sigma_min() const { return sigma_ve(t_eps); }
  double ve_sigma_max() const { return sigma_ve(1.0); }
};

}  // namespace penumbra
