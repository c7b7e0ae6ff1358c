#include "priors/weight_priors.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include <cmath>
#include <map>
#include <numbers>
#include <sstream>

#include "src/core/errors.hpp"

namespace penumbra {
namespace {

constexpr double kWpLog2Pi = 1.8378770664093453;  // log(2π)

at::Tensor wp_gaussian_log_density(const at::Tensor& w, double s) {
  return -0.5 * kWpLog2Pi - std::log(s) - 0.5 * w.square() / (s * s);
}
at::Tensor wp_laplace_log_density(const at::Tensor& w, double b) { return -std::log(2 * b) - w.abs() / b; }

class GaussianWeightPrior : public WeightPrior {
 public:
  explicit GaussianWeightPrior(double s) : s_(s) {}
  at::Tensor log_prob(const at::Tensor& w) const override { return wp_gaussian_log_density(w, s_).sum(); }
  // E_q[−log N(w; 0, s²)] = ½ log(2π s²) + (μ² + σ²)/(2 s²).
  at::Tensor cross_entropy(const at::Tensor& mu, const at::Tensor& sigma, int) const override {
    return (0.5 * kWpLog2Pi + std::log(s_) + 0.5 * (mu.square() + sigma.square()) / (s_ * s_)).sum();
  }
  bool closed_form() const override { return true; }
  std::string name() const override { return fmt::format("gaussian:sigma={}", s_); }

 private:
  double s_;
};

class LaplaceWeightPrior : public WeightPrior {
 public:
  explicit LaplaceWeightPrior(double b) : b_(b) {}
  at::Tensor log_prob(const at::Tensor& w) const override { return wp_laplace_log_density(w, b_).sum(); }
  // E_q|w| for w ~ N(μ, σ²) is σ√(2/π) exp(−μ²/2σ²) + μ erf(μ/(σ√2)) (folded normal mean).
  at::Tensor cross_entropy(const at::Tensor& mu, const at::Tensor& sigma, int) const override {
    auto abs_mean = sigma * std::sqrt(2.0 / std::numbers::pi) * torch::exp(-0.5 * (mu / sigma).square()) +
                    mu * torch::erf(mu / (sigma * std::numbers::sqrt2));
    return (std::log(2 * b_) + abs_mean / b_).sum();
  }
  bool closed_form() const override { return true; }
  std::string name() const override { return fmt::format("laplace:b={}", b_); }

 private:
  double b_;
};

class GaussianScaleMixtureWeightPrior : public WeightPrior {
 public:
  GaussianScaleMixtureWeightPrior(double pi, double s1, double s2) : pi_(pi), s1_(s1), s2_(s2) {}
  at::Tensor log_prob(const at::Tensor& w) const override {
    return torch::logaddexp(std::log(pi_) + wp_gaussian_log_density(w, s1_),
                            std::log1p(-pi_) + wp_gaussian_log_density(w, s2_))
        .sum();
  }
  std::string name() const override { return fmt::format("gsm:pi={},sigma1={},sigma2={}", pi_, s1_, s2_); }

 private:
  double pi_, s1_, s2_;
};

class LaplaceMixtureWeightPrior : public WeightPrior {
 public:
  LaplaceMixtureWeightPrior(double pi, double b1, double b2) : pi_(pi), b1_(b1), b2_(b2) {}
  at::Tensor log_prob(const at::Tensor& w) const override {
    return torch::logaddexp(std::log(pi_) + wp_laplace_log_density(w, b1_), std::log1p(-pi_) + wp_laplace_log_density(w, b2_))
        .sum();
  }
  std::string name() const override { return fmt::format("laplace-mixture:pi={},b1={},b2={}", pi_, b1_, b2_); }

 private:
  double pi_, b1_, b2_;
};

// Horseshoe marginal p(w) = ∫ N(w; 0, τ²λ²) · 2/(π(1+λ²)) dλ. With s = log λ the
// integrand is smooth and decays doubly-exponentially on both sides, so the
// trapezoid rule on s ∈ [−30, 12] converges fast (exponentially in the step).
class HorseshoeWeightPrior : public WeightPrior {
 public:
  explicit HorseshoeWeightPrior(double tau) : tau_(tau) {
    const int n = 169;  // step 0.25
    std::vector<double> s(n), lw(n);
    for (int k = 0; k < n; ++k) {
      s[k] = -30.0 + 0.25 * k;
      // log of the mixing weight 2/π · λ/(1+λ²) · Δs (λ = e^s, dλ = λ ds)
      lw[k] = std::log(2.0 / std::numbers::pi) + s[k] - std::log1p(std::exp(2 * s[k])) + std::log(0.25);
    }
    s_ = torch::tensor(s, torch::kFloat64);
    logw_ = torch::tensor(lw, torch::kFloat64);
  }
  at::Tensor log_prob(const at::Tensor& w) const override {
    // Chunked over weights to bound memory (169 nodes per weight).
    auto flat = w.reshape({-1});
    auto s = s_.to(w.scalar_type()), logw = logw_.to(w.scalar_type());
    auto log_scale = std::log(tau_) + s;  // log(τλ)
    std::vector<at::Tensor> parts;
    const int64_t chunk = 1 << 16;
    for (int64_t i = 0; i < flat.size(0); i += chunk) {
      auto x = flat.slice(0, i, std::min(i + chunk, flat.size(0))).unsqueeze(1);
      auto ld = -0.5 * kWpLog2Pi - log_scale - 0.5 * x.square() * torch::exp(-2 * log_scale) + logw;
      parts.push_back(torch::logsumexp(ld, 1).sum());
    }
    return parts.empty() ? torch::zeros({}, w.options()) : torch::stack(parts).sum();
  }
  std::string name() const override { return fmt::format("horseshoe:tau={}", tau_); }

 private:
  double tau_;
  at::Tensor s_, logw_;
};

std::map<std::string, double> parse_weight_prior_settings(const std::string& spec, const std::string& body,
                                             std::map<std::string, double> defaults) {
  std::stringstream ss(body);
  std::string kv;
  while (std::getline(ss, kv, ',')) {
    if (kv.empty()) continue;
    auto eq = kv.find('=');
    std::string key = kv.substr(0, eq);
    if (eq == std::string::npos || !defaults.count(key)) {
      std::string keys;
      for (auto& [k, v] : defaults) keys += (keys.empty() ? "" : ", ") + k;
      throw UsageError(fmt::format("weight prior '{}': setting '{}' unknown; expected key=value with key in {}", spec,
                                   kv, keys));
    }
    try {
      std::size_t used = 0;
      double v = std::stod(kv.substr(eq + 1), &used);
      if (used != kv.size() - eq - 1) throw std::invalid_argument("trailing");
      defaults[key] = v;
    } catch (const std::exception&) {
      throw UsageError(fmt::format("weight prior '{}': value of '{}' is not a number", spec, key));
    }
  }
  for (auto& [k, v] : defaults) {
    if (k == "pi" ? !(v > 0 && v < 1) : !(v > 0))
      throw UsageError(fmt::format("weight prior '{}': {} = {} out of range; expected {}", spec, k, v,
                                   k == "pi" ? "0 < pi < 1" : "a positive scale"));
  }
  return defaults;
}

}  // namespace

at::Tensor WeightPrior::cross_entropy(const at::Tensor& mu, const at::Tensor& sigma, int samples) const {
  if (samples < 1) throw UsageError(fmt::format("Monte Carlo samples {} < 1", samples));
  at::Tensor total;
  for (int k = 0; k < samples; ++k) {
    auto w = mu + sigma * torch::randn_like(mu);
    auto t = -log_prob(w);
    total = k == 0 ? t : total + t;
  }
  return total / samples;
}

at::Tensor gaussian_entropy(const at::Tensor& sigma) {
  return (0.5 * (kWpLog2Pi + 1.0) + torch::log(sigma)).sum();
}

at::Tensor kl_divergence(const WeightPrior& prior, const at::Tensor& mu, const at::Tensor& sigma, int samples) {
  return prior.cross_entropy(mu, sigma, samples) - gaussian_entropy(sigma);
}

std::unique_ptr<WeightPrior> make_weight_prior(const std::string& spec) {
  auto colon = spec.find(':');
  std::string name = spec.substr(0, colon);
  std::string body = colon == std::string::npos ? "" : spec.substr(colon + 1);
  if (name == "gaussian") {
    auto s = parse_weight_prior_settings(spec, body, {{"sigma", 0.1}});
    return std::make_unique<GaussianWeightPrior>(s["sigma"]);
  }
  if (name == "laplace") {
    auto s = parse_weight_prior_settings(spec, body, {{"b", 1.0}});
    return std::make_unique<LaplaceWeightPrior>(s["b"]);
  }
  if (name == "gsm") {
    auto s = parse_weight_prior_settings(spec, body, {{"pi", 0.75}, {"sigma1", 1.0}, {"sigma2", 9e-4}});
    return std::make_unique<GaussianScaleMixtureWeightPrior>(s["pi"], s["sigma1"], s["sigma2"]);
  }
  if (name == "laplace-mixture") {
    auto s = parse_weight_prior_settings(spec, body, {{"pi", 0.75}, {"b1", 1.0}, {"b2", 1e-3}});
    return std::make_unique<LaplaceMixtureWeightPrior>(s["pi"], s["b1"], s["b2"]);
  }
  if (name == "horseshoe") {
    auto s = parse_weight_prior_settings(spec, body, {{"tau", 0.1}});
    return std::make_unique<HorseshoeWeightPrior>(s["tau"]);
  }
  throw UsageError(fmt::format("weight prior '{}' unknown; expected one of: {}", spec, weight_prior_help()));
}

std::string weight_prior_help() {
  return "gaussian[:sigma=0.1], gsm[:pi=0.75,sigma1=1,sigma2=9e-4], laplace[:b=1], "
         "laplace-mixture[:pi=0.75,b1=1,b2=1e-3], horseshoe[:tau=0.1]";
}

}  // namespace penumbra
