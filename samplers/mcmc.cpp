#include "samplers/mcmc.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include <cmath>

#include "src/core/checks.hpp"
#include "src/core/errors.hpp"

namespace penumbra {

namespace {

constexpr double kAdaptRate = 0.05;  // γ of the Robbins–Monro step-size rule

void require_density(const Posterior& p, const char* who) {
  if (!p.has_log_prob())
    throw UsageError(fmt::format("{} needs a prior with a tractable log density; '{}' has none (use pc, ald or em)",
                                 who, p.prior().name()));
}

void check_schedule(std::int64_t steps, std::int64_t adapt_steps, double step_size) {
  require_at_least<std::int64_t>("steps", steps, 1);
  require_in_range<std::int64_t>("adaptation steps", adapt_steps, 0, steps);
  require_positive("step size", step_size);
}

SamplerState mcmc_init(const Posterior& p, const SamplerShape& shape, at::Generator& gen, const at::Tensor& start,
                       double init_scale, double h0) {
  shape.validate();
  auto opts = at::TensorOptions().dtype(shape.dtype);
  SamplerState st;
  if (start.defined())
    st.x = start.to(shape.dtype).expand({shape.batch, shape.height, shape.width}).clone();
  else
    st.x = at::normal(0.0, init_scale, {shape.batch, shape.height, shape.width}, gen, opts);
  auto lp = p.log_prob(st.x);
  auto g = p.score(st.x, 0.0);
  st.aux = {lp, g, torch::full({shape.batch}, h0, opts)};
  return st;
}

// Accept per chain: u < exp(log_ratio); NaN ratios (a diverging proposal) are rejected.
at::Tensor accept_mask(const at::Tensor& log_ratio, at::Generator& gen) {
  auto u = at::rand(log_ratio.sizes(), gen, log_ratio.options());
  return torch::log(u) < torch::nan_to_num(log_ratio, -INFINITY, INFINITY, -INFINITY);
}

void adapt(at::Tensor& h, const at::Tensor& log_ratio, double target) {
  auto a = torch::exp(torch::nan_to_num(log_ratio, -INFINITY, 0.0, -INFINITY).clamp_max(0));
  h = h * torch::exp(kAdaptRate * (a - target));
}

// The Metropolis–Hastings end of a MALA or HMC step: accept per chain, keep the
// accepted proposal with its log density and score (st.aux = {lp, g, h}),
// report, and adapt the step size during warm-up.
StepInfo accept_and_adapt(SamplerState& st, const at::Tensor& prop, const at::Tensor& lp_new, const at::Tensor& g_new,
                          const at::Tensor& log_ratio, at::Generator& gen, std::int64_t adapt_steps, double target) {
  auto& lp = st.aux[0];
  auto& g = st.aux[1];
  auto& h = st.aux[2];
  auto acc = accept_mask(log_ratio, gen);
  auto accb = acc.view({-1, 1, 1});
  st.x = torch::where(accb, prop, st.x);
  lp = torch::where(acc, lp_new, lp);
  g = torch::where(accb, g_new, g);
  StepInfo info;
  info.step = st.step;
  info.step_size = h.mean().item<double>();
  info.acceptance = acc.to(torch::kDouble).mean().item<double>();
  info.energy = -lp.mean().item<double>();
  if (st.step < adapt_steps) adapt(h, log_ratio, target);
  ++st.step;
  return info;
}

}  // namespace

// ---------------------------------------------------------------- MALA

Mala::Mala(std::shared_ptr<const Posterior> posterior, MalaOptions opt) : Sampler(std::move(posterior)), opt_(opt) {
  require_density(*posterior_, "mala");
  check_schedule(opt_.steps, opt_.adapt_steps, opt_.step_size);
}

std::string Mala::describe() const {
  return fmt::format("mala steps={} adapt_steps={} step_size0={} target_acceptance={}", opt_.steps, opt_.adapt_steps,
                     opt_.step_size, opt_.target_acceptance);
}

SamplerState Mala::init(const SamplerShape& shape, at::Generator& gen, const at::Tensor& start) const {
  return mcmc_init(*posterior_, shape, gen, start, opt_.init_scale, opt_.step_size);
}

StepInfo Mala::step(SamplerState& st, at::Generator& gen) const {
  auto& lp = st.aux[0];
  auto& g = st.aux[1];
  auto& h = st.aux[2];
  auto hb = h.view({-1, 1, 1});
  auto mean_fwd = st.x + hb * g;
  auto prop = mean_fwd + torch::sqrt(2 * hb) * at::normal(0.0, 1.0, st.x.sizes(), gen, st.x.options());
  auto lp_new = posterior_->log_prob(prop);
  auto g_new = posterior_->score(prop, 0.0);
  auto mean_bwd = prop + hb * g_new;
  // log q(x'|x) = −‖x' − x − h g‖²/(4h)
  auto lq_fwd = -(prop - mean_fwd).pow(2).flatten(1).sum(1) / (4 * h);
  auto lq_bwd = -(st.x - mean_bwd).pow(2).flatten(1).sum(1) / (4 * h);
  auto log_ratio = lp_new - lp + lq_bwd - lq_fwd;
  return accept_and_adapt(st, prop, lp_new, g_new, log_ratio, gen, opt_.adapt_steps, opt_.target_acceptance);
}

// ---------------------------------------------------------------- HMC

Hmc::Hmc(std::shared_ptr<const Posterior> posterior, HmcOptions opt) : Sampler(std::move(posterior)), opt_(opt) {
  require_density(*posterior_, "hmc");
  check_schedule(opt_.steps, opt_.adapt_steps, opt_.step_size);
  require_at_least<std::int64_t>("leapfrog steps", opt_.leapfrog_steps, 1);
}

std::string Hmc::describe() const {
  return fmt::format("hmc steps={} adapt_steps={} leapfrog_steps={} step_size0={} target_acceptance={}", opt_.steps,
                     opt_.adapt_steps, opt_.leapfrog_steps, opt_.step_size, opt_.target_acceptance);
}

SamplerState Hmc::init(const SamplerShape& shape, at::Generator& gen, const at::Tensor& start) const {
  return mcmc_init(*posterior_, shape, gen, start, opt_.init_scale, opt_.step_size);
}

StepInfo Hmc::step(SamplerState& st, at::Generator& gen) const {
  auto& lp = st.aux[0];
  auto& g = st.aux[1];
  auto& h = st.aux[2];
  auto hb = h.view({-1, 1, 1});
  auto p0 = at::normal(0.0, 1.0, st.x.sizes(), gen, st.x.options());
  // Leapfrog with identity mass: p ← p + h/2 ∇, x ← x + h p, p ← p + h/2 ∇.
  auto x = st.x;
  auto p = p0 + 0.5 * hb * g;
  at::Tensor gx;
  for (std::int64_t l = 0; l < opt_.leapfrog_steps; ++l) {
    x = x + hb * p;
    gx = posterior_->score(x, 0.0);
    p = p + (l + 1 == opt_.leapfrog_steps ? 0.5 : 1.0) * hb * gx;
  }
  auto lp_new = posterior_->log_prob(x);
  auto log_ratio = (lp_new - 0.5 * p.pow(2).flatten(1).sum(1)) - (lp - 0.5 * p0.pow(2).flatten(1).sum(1));
  return accept_and_adapt(st, x, lp_new, gx, log_ratio, gen, opt_.adapt_steps, opt_.target_acceptance);
}

}  // namespace penumbra
