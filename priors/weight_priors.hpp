#pragma once
// Priors over neural-network weights for variational Bayes (Bayes by Backprop),
// with the settings of Mohan et al. (2022) on MiraBest as defaults
// (REFERENCE.md §3):
//   gaussian         N(0, σ²), σ = 0.1
//   gsm              π N(0, σ₁²) + (1−π) N(0, σ₂²), π = 0.75, σ₁ = 1, σ₂ = 9e-4
//   laplace          Laplace(0, b), b = 1
//   laplace-mixture  π Laplace(0, b₁) + (1−π) Laplace(0, b₂), π = 0.75, b₁ = 1, b₂ = 1e-3
//   horseshoe        w | λ ~ N(0, τ²λ²), λ ~ C⁺(0, 1), τ = 0.1; the marginal density
//                    is evaluated by quadrature over log λ (no closed form exists)
// Specs: "name" or "name:key=value,key=value", e.g. "gsm:pi=0.5,sigma2=1e-3".
//
// The variational family is a mean-field Gaussian q(w) = Π N(μ, σ²). The KL
// splits as KL[q‖p] = CE(q, p) − H[q] with CE = E_q[−log p(w)]: H[q] is always
// closed form; CE is closed form for the Gaussian and the Laplace prior and a
// reparameterised Monte Carlo estimate otherwise (so the KL estimate is the
// MC form log q(w) − log p(w) with the log q part integrated exactly, which
// has lower variance). Keeping CE and H apart is what full tempering needs.
#include <ATen/core/Tensor.h>

#include <memory>
#include <string>

namespace penumbra {

class WeightPrior {
 public:
  virtual ~WeightPrior() = default;
  // log p(w) summed over every entry of `w` (normalised density; scalar tensor).
  virtual at::Tensor log_prob(const at::Tensor& w) const = 0;
  // E_q[−log p(w)] summed over entries for q = N(mu, sigma²) elementwise.
  // `samples` Monte Carlo draws (reparameterised, differentiable in mu and sigma)
  // when no closed form exists; uses the current torch generator.
  virtual at::Tensor cross_entropy(const at::Tensor& mu, const at::Tensor& sigma, int samples = 1) const;
  virtual bool closed_form() const { return false; }
  virtual std::string name() const = 0;  // spec with every setting, e.g. "gaussian:sigma=0.1"
};

// Σ ½ log(2πe σ²): the entropy of the mean-field Gaussian.
at::Tensor gaussian_entropy(const at::Tensor& sigma);
// KL[q‖p] = CE − H (closed form or MC as above).
at::Tensor kl_divergence(const WeightPrior& prior, const at::Tensor& mu, const at::Tensor& sigma, int samples = 1);

// Builds a prior from a spec; throws UsageError naming the spec on an unknown
// name, key or a non-positive scale.
std::unique_ptr<WeightPrior> make_weight_prior(const std::string& spec);
// "gaussian, gsm, laplace, laplace-mixture, horseshoe" with their defaults, for --help.
std::string weight_prior_help();

}  // namespace penumbra
