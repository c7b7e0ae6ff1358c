#pragma once
// Score-based samplers for the variance-exploding (VE) noise process
// x_σ = x₀ + σz (REFERENCE.md §2). Each works with any Posterior: a prior that
// has score(x, σ) plus any noise-level-aware likelihood, or none (the prior alone:
// prior-sample, prior-validate). Noise levels default to the posterior's
// [σ_min, σ_max]; chains start from N(start, σ_max² I), start = 0 unless given.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "samplers/perturb_and_optimise.hpp"
#include "samplers/sampler.hpp"

namespace penumbra {

struct NoiseLevels {
  double sigma_max = 0;  // 0: the posterior's
  double sigma_min = 0;  // 0: the posterior's
};

// Annealed Langevin dynamics (Song & Ermon 2019): geometric σ_1 > … > σ_L; at
// level i, `steps_per_level` steps of x ← x + α_i s(x, σ_i) + √(2α_i) z with
// α_i = ε σ_i²/σ_L². Optionally a final Tweedie denoising x + σ_L² s(x, σ_L).
// aux[0]: the denoised mean (filled at the last step).
struct AnnealedLangevinOptions {
  NoiseLevels noise;
  std::int64_t levels = 10;
  std::int64_t steps_per_level = 100;
  double epsilon = 2e-5;        // ε: step size at the last level
  bool denoise = true;
};

class AnnealedLangevin final : public Sampler {
 public:
  AnnealedLangevin(std::shared_ptr<const Posterior> posterior, AnnealedLangevinOptions opt);
  std::string name() const override { return "ald"; }
  std::string describe() const override;
  std::int64_t total_steps() const override { return opt_.levels * opt_.steps_per_level; }
  std::int64_t score_evaluations() const override { return total_steps() + (opt_.denoise ? 1 : 0); }
  SamplerState init(const SamplerShape& shape, at::Generator& gen, const at::Tensor& start = {}) const override;
  StepInfo step(SamplerState& state, at::Generator& gen) const override;
  at::Tensor result(const SamplerState& state) const override;
  const std::vector<double>& sigmas() const { return sigmas_; }

 private:
  AnnealedLangevinOptions opt_;
  std::vector<double> sigmas_;
};

// Predictor–corrector (Song et al. 2021), VE: for each of `levels` noise levels
// σ_i (geometric, σ_max → σ_min), `corrector_steps` Langevin corrector steps
// x ← x + ε s + √(2ε) z with ε = 2 (snr ‖z‖/‖s‖)² per chain, then the
// reverse-diffusion predictor x ← x + (σ_i² − σ_{i+1}²) s(x, σ_i) + √(σ_i² − σ_{i+1}²) z
// (σ_L = 0 after the last level, whose noise-free mean is the result).
// total_steps = levels · (1 + corrector_steps). aux[0]: the predictor's mean.
// With corrector_steps = 0 this is the Euler–Maruyama discretisation of the
// reverse VE SDE on the geometric grid (g² dt = σ_i² − σ_{i+1}² exactly), what
// prior-sample and prior-validate call "em" with levels = steps + 1. Song et al.
// put the corrector after the predictor; here it comes first, so the first
// corrector acts at σ_max and the last at σ_min just before the final mean.
//
// The last predictor step (σ_min → 0) draws x₀ from p(x₀ | x_{σ_min}, y) in one of
// three ways (`final_step`):
//  * kMean (default): D(x) = x + σ_min² s(x, σ_min), the posterior mean of x₀ given
//    x_{σ_min} (Tweedie). Not a draw: it drops that distribution's spread, whose
//    per-pixel variance is σ_min²·∂D_i/∂x_i — negligible when σ_min is far below the
//    posterior's width, about half the variance when they are equal.
//  * kSpread: D(x) + σ_min·sqrt(clamp(diag ∇D, 0, 1))⊙z, the diagonal from
//    `final_probes` Rademacher probes (conditional_spread_diagonal): the per-pixel
//    variance right in expectation, 2M more score evaluations per chain, once.
//  * kExact: the prior's Gaussian approximation of p(x₀ | x_{σ_min}) times the exact
//    likelihood `final_likelihood` (samplers/exact_final_draw.hpp): undoes the
//    convolved likelihood's gridding at the end. Needs λ = T = 1.
enum class FinalStep { kMean, kSpread, kExact };
struct PredictorCorrectorOptions {
  NoiseLevels noise;
  std::int64_t levels = 1000;
  std::int64_t corrector_steps = 1;
  double snr = 0.16;
  FinalStep final_step = FinalStep::kMean;
  std::int64_t final_probes = 8;                        // kSpread, kExact
  std::shared_ptr<const Likelihood> final_likelihood;   // kExact
  ConjugateGradientOptions final_cg;                    // kExact: its solver (perturb_and_optimise.hpp)
};

// diag ∇D(x) of the denoiser D(x) = x + σ² s(x) at noise level σ, for the score
// s(·) at that level, [B, H, W]: the Hutchinson estimate mean_m v_m ⊙ ∇D v_m over
// `probes` Rademacher vectors v_m, each ∇D v by central differences of the score
// with step σ/10. σ²·diag ∇D is the per-pixel variance of x₀ given x_σ
// (second-order Tweedie).
at::Tensor conditional_spread_diagonal(const std::function<at::Tensor(const at::Tensor&)>& score, const at::Tensor& x,
                                       double sigma, std::int64_t probes, at::Generator& gen);

class PredictorCorrector final : public Sampler {
 public:
  PredictorCorrector(std::shared_ptr<const Posterior> posterior, PredictorCorrectorOptions opt);
  std::string name() const override { return "pc"; }
  std::string describe() const override;
  std::int64_t total_steps() const override { return opt_.levels * (1 + opt_.corrector_steps); }
  // total_steps, plus 2 · final_probes for kSpread, 1 + 2 · final_probes for kExact.
  std::int64_t score_evaluations() const override;
  SamplerState init(const SamplerShape& shape, at::Generator& gen, const at::Tensor& start = {}) const override;
  StepInfo step(SamplerState& state, at::Generator& gen) const override;
  at::Tensor result(const SamplerState& state) const override;
  const std::vector<double>& sigmas() const { return sigmas_; }

 private:
  std::string final_step_name() const;
  PredictorCorrectorOptions opt_;
  std::vector<double> sigmas_;
};

// Euler–Maruyama on the reverse VE SDE dx = −g(t)² s(x, σ(t)) dt + g(t) dw̄,
// σ(t) = σ_min (σ_max/σ_min)^t, g² = dσ²/dt = 2σ² ln(σ_max/σ_min), from t = 1 to
// t = 1/steps in `steps` equal steps; the last step adds no noise (its mean is
// the result). aux[0]: the mean of the last step.
struct EulerMaruyamaOptions {
  NoiseLevels noise;
  std::int64_t steps = 1000;
};

class EulerMaruyama final : public Sampler {
 public:
  EulerMaruyama(std::shared_ptr<const Posterior> posterior, EulerMaruyamaOptions opt);
  std::string name() const override { return "em"; }
  std::string describe() const override;
  std::int64_t total_steps() const override { return opt_.steps; }
  std::int64_t score_evaluations() const override { return opt_.steps; }
  SamplerState init(const SamplerShape& shape, at::Generator& gen, const at::Tensor& start = {}) const override;
  StepInfo step(SamplerState& state, at::Generator& gen) const override;
  at::Tensor result(const SamplerState& state) const override;

 private:
  double sigma_at(double t) const;
  EulerMaruyamaOptions opt_;
  double smax_, smin_;
};

}  // namespace penumbra
