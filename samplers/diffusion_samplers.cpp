#include "samplers/diffusion_samplers.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include <cmath>

#include "samplers/exact_final_draw.hpp"
#include "src/core/checks.hpp"
#include "src/core/errors.hpp"

namespace penumbra {

std::vector<double> geometric_sigmas(double sigma_max, double sigma_min, std::int64_t n) {
  if (!(sigma_max > 0) || !(sigma_min > 0) || !(sigma_max >= sigma_min) || !std::isfinite(sigma_max))
    throw UsageError(fmt::format("noise levels must satisfy 0 < sigma_min <= sigma_max, got [{}, {}]", sigma_min,
                                 sigma_max));
  require_at_least<std::int64_t>("noise levels", n, 1);
  std::vector<double> s(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i)
    s[static_cast<std::size_t>(i)] =
        n == 1 ? sigma_min : sigma_max * std::pow(sigma_min / sigma_max, static_cast<double>(i) / (n - 1));
  return s;
}

namespace {

std::pair<double, double> resolve(const NoiseLevels& n, const Posterior& p) {
  double hi = n.sigma_max > 0 ? n.sigma_max : p.sigma_max();
  double lo = n.sigma_min > 0 ? n.sigma_min : p.sigma_min();
  return {hi, lo};
}

at::Tensor gaussian(const at::Tensor& like, at::Generator& gen) {
  return at::normal(0.0, 1.0, like.sizes(), gen, like.options());
}

// x ~ N(start, σ_max² I); the offset is added after the draw so that a zero or
// absent start leaves the chains' random stream and values unchanged.
SamplerState diffusion_init(const SamplerShape& shape, at::Generator& gen, double sigma_max, const at::Tensor& start) {
  shape.validate();
  SamplerState st;
  auto opts = at::TensorOptions().dtype(shape.dtype);
  st.x = at::normal(0.0, sigma_max, {shape.batch, shape.height, shape.width}, gen, opts);
  if (start.defined()) st.x = st.x + start.to(shape.dtype);
  st.aux = {st.x.clone()};
  return st;
}

double mean_norm(const at::Tensor& s) { return s.flatten(1).norm(2, 1).mean().item<double>(); }

void check_steps(std::int64_t n, const char* what) { require_at_least<std::int64_t>(what, n, 1); }

// An annealed likelihood weight must be full at the sampler's last level, or the
// chains end on a tempered posterior.
void require_full_likelihood_weight(const Posterior& p, double sigma_min) {
  const LikelihoodAnneal& a = p.tempering().anneal;
  if (a.factor(sigma_min) != 1.0)
    fail_check("likelihood anneal sigma", fmt::format(">= the smallest noise level {}", sigma_min), a.sigma_full);
}

}  // namespace

// ---------------------------------------------------------------- annealed Langevin

AnnealedLangevin::AnnealedLangevin(std::shared_ptr<const Posterior> posterior, AnnealedLangevinOptions opt)
    : Sampler(std::move(posterior)), opt_(opt) {
  check_steps(opt_.levels, "levels");
  check_steps(opt_.steps_per_level, "steps per level");
  require_positive("step size", opt_.epsilon);
  auto [hi, lo] = resolve(opt_.noise, *posterior_);
  sigmas_ = geometric_sigmas(hi, lo, opt_.levels);
  require_full_likelihood_weight(*posterior_, lo);
}

std::string AnnealedLangevin::describe() const {
  return fmt::format("ald levels={} steps_per_level={} epsilon={} sigma=[{:.4g}, {:.4g}] denoise={}", opt_.levels,
                     opt_.steps_per_level, opt_.epsilon, sigmas_.back(), sigmas_.front(), opt_.denoise);
}

SamplerState AnnealedLangevin::init(const SamplerShape& shape, at::Generator& gen, const at::Tensor& start) const {
  return diffusion_init(shape, gen, sigmas_.front(), start);
}

StepInfo AnnealedLangevin::step(SamplerState& st, at::Generator& gen) const {
  std::int64_t k = st.step;
  std::size_t level = static_cast<std::size_t>(k / opt_.steps_per_level);
  double s_i = sigmas_[level], s_l = sigmas_.back();
  double alpha = opt_.epsilon * s_i * s_i / (s_l * s_l);
  auto s = posterior_->score(st.x, s_i);
  st.x = st.x + alpha * s + std::sqrt(2 * alpha) * gaussian(st.x, gen);
  StepInfo info;
  info.step = k;
  info.sigma = s_i;
  info.step_size = alpha;
  info.score_norm = mean_norm(s);
  ++st.step;
  if (finished(st))
    st.aux[0] = opt_.denoise ? st.x + s_l * s_l * posterior_->score(st.x, s_l) : st.x;
  return info;
}

at::Tensor AnnealedLangevin::result(const SamplerState& st) const { return finished(st) ? st.aux[0] : st.x; }

// ---------------------------------------------------------------- conditional spread

at::Tensor conditional_spread_diagonal(const std::function<at::Tensor(const at::Tensor&)>& score, const at::Tensor& x,
                                       double sigma, std::int64_t probes, at::Generator& gen) {
  check_steps(probes, "spread probes");
  const double eps = 0.1 * sigma;
  auto diag = torch::zeros_like(x);
  for (std::int64_t m = 0; m < probes; ++m) {
    auto v = at::empty_like(x).bernoulli_(0.5, gen).mul_(2).sub_(1);
    // ∇D v = v + σ² ∇s v; v ⊙ v = 1.
    auto ds = (score(x + eps * v) - score(x - eps * v)) / (2 * eps);
    diag += 1 + sigma * sigma * v * ds;
  }
  return diag / static_cast<double>(probes);
}

// ---------------------------------------------------------------- predictor–corrector

PredictorCorrector::PredictorCorrector(std::shared_ptr<const Posterior> posterior, PredictorCorrectorOptions opt)
    : Sampler(std::move(posterior)), opt_(opt) {
  check_steps(opt_.levels, "levels");
  require_non_negative("corrector steps", opt_.corrector_steps);
  require_positive("snr", opt_.snr);
  if (opt_.final_step != FinalStep::kMean) check_steps(opt_.final_probes, "final probes");
  if (opt_.final_step == FinalStep::kExact) {
    if (!opt_.final_likelihood || !opt_.final_likelihood->can_perturb_data())
      throw UsageError("pc: the exact final step needs an exact likelihood");
    const auto& t = posterior_->tempering();
    if (t.likelihood_weight != 1.0 || t.temperature != 1.0)
      throw UsageError("pc: the exact final step samples the untempered posterior (likelihood weight 1, temperature 1)");
  }
  auto [hi, lo] = resolve(opt_.noise, *posterior_);
  sigmas_ = geometric_sigmas(hi, lo, opt_.levels);
  require_full_likelihood_weight(*posterior_, lo);
}

std::string PredictorCorrector::describe() const {
  return fmt::format(
      "pc levels={} corrector_steps={} snr={} sigma=[{:.4g}, {:.4g}] predictor=reverse-diffusion final={}", opt_.levels,
      opt_.corrector_steps, opt_.snr, sigmas_.back(), sigmas_.front(),
      final_step_name());
}

std::int64_t PredictorCorrector::score_evaluations() const {
  switch (opt_.final_step) {
    case FinalStep::kSpread:
      return total_steps() + 2 * opt_.final_probes;
    case FinalStep::kExact:  // the prior's Tweedie mean, then the probes
      return total_steps() + 1 + 2 * opt_.final_probes;
    default:
      return total_steps();
  }
}

SamplerState PredictorCorrector::init(const SamplerShape& shape, at::Generator& gen, const at::Tensor& start) const {
  return diffusion_init(shape, gen, sigmas_.front(), start);
}

StepInfo PredictorCorrector::step(SamplerState& st, at::Generator& gen) const {
  std::int64_t k = st.step;
  std::int64_t per = 1 + opt_.corrector_steps;
  std::size_t level = static_cast<std::size_t>(k / per);
  bool corrector = (k % per) < opt_.corrector_steps;
  double s_i = sigmas_[level];
  StepInfo info;
  info.step = k;
  info.sigma = s_i;
  auto s = posterior_->score(st.x, s_i);
  auto z = gaussian(st.x, gen);
  if (corrector) {
    // ε = 2 (snr ‖z‖/‖s‖)² per chain: the step that makes the noise snr times the drift.
    auto zn = z.flatten(1).norm(2, 1), sn = s.flatten(1).norm(2, 1).clamp_min(1e-30);
    auto eps = (2 * (opt_.snr * zn / sn).pow(2)).view({-1, 1, 1});
    st.x = st.x + eps * s + torch::sqrt(2 * eps) * z;
    info.step_size = eps.mean().item<double>();
  } else {
    double next = level + 1 < sigmas_.size() ? sigmas_[level + 1] : 0.0;
    double dvar = s_i * s_i - next * next;
    st.aux[0] = st.x + dvar * s;
    if (next == 0.0 && opt_.final_step == FinalStep::kSpread) {
      auto score = [&](const at::Tensor& y) { return posterior_->score(y, s_i); };
      auto d = conditional_spread_diagonal(score, st.x, s_i, opt_.final_probes, gen).clamp(0.0, 1.0);
      st.aux[0] = st.aux[0] + s_i * torch::sqrt(d) * z;
    } else if (next == 0.0 && opt_.final_step == FinalStep::kExact) {
      ExactFinalDrawOptions fo;
      fo.probes = opt_.final_probes;
      fo.cg = opt_.final_cg;
      st.aux[0] = posterior_->timing().final_draw.time(
          [&] { return exact_final_draw(posterior_->prior(), *opt_.final_likelihood, st.x, s_i, fo, gen); },
          st.x.size(0));
    }
    st.x = st.aux[0] + std::sqrt(dvar) * z;
    info.step_size = dvar;
  }
  info.score_norm = mean_norm(s);
  ++st.step;
  return info;
}

std::string PredictorCorrector::final_step_name() const {
  switch (opt_.final_step) {
    case FinalStep::kSpread:
      return fmt::format("mean+spread(probes={})", opt_.final_probes);
    case FinalStep::kExact:
      return fmt::format("exact({}, probes={})", opt_.final_likelihood->name(), opt_.final_probes);
    default:
      return "mean";
  }
}

at::Tensor PredictorCorrector::result(const SamplerState& st) const { return finished(st) ? st.aux[0] : st.x; }

// ---------------------------------------------------------------- Euler–Maruyama

EulerMaruyama::EulerMaruyama(std::shared_ptr<const Posterior> posterior, EulerMaruyamaOptions opt)
    : Sampler(std::move(posterior)), opt_(opt) {
  check_steps(opt_.steps, "steps");
  auto [hi, lo] = resolve(opt_.noise, *posterior_);
  geometric_sigmas(hi, lo, 1);  // validates the range
  if (!(hi > lo)) fail_check("em sigma_max", fmt::format("> sigma_min = {}", lo), hi);
  smax_ = hi;
  smin_ = lo;
  require_full_likelihood_weight(*posterior_, lo);
}

double EulerMaruyama::sigma_at(double t) const { return smin_ * std::pow(smax_ / smin_, t); }

std::string EulerMaruyama::describe() const {
  return fmt::format("em steps={} sigma=[{:.4g}, {:.4g}] sde=ve", opt_.steps, smin_, smax_);
}

SamplerState EulerMaruyama::init(const SamplerShape& shape, at::Generator& gen, const at::Tensor& start) const {
  return diffusion_init(shape, gen, smax_, start);
}

StepInfo EulerMaruyama::step(SamplerState& st, at::Generator& gen) const {
  std::int64_t k = st.step;
  double dt = 1.0 / static_cast<double>(opt_.steps);
  double t = 1.0 - static_cast<double>(k) * dt;
  double sig = sigma_at(t);
  double g2dt = 2 * sig * sig * std::log(smax_ / smin_) * dt;
  auto s = posterior_->score(st.x, sig);
  st.aux[0] = st.x + g2dt * s;
  bool last = k + 1 == opt_.steps;
  st.x = last ? st.aux[0] : st.aux[0] + std::sqrt(g2dt) * gaussian(st.x, gen);
  StepInfo info;
  info.step = k;
  info.sigma = sig;
  info.step_size = g2dt;
  info.score_norm = mean_norm(s);
  ++st.step;
  return info;
}

at::Tensor EulerMaruyama::result(const SamplerState& st) const { return finished(st) ? st.aux[0] : st.x; }

}  // namespace penumbra
