#include "samplers/split_gibbs.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "src/core/checks.hpp"
#include "src/core/errors.hpp"

namespace penumbra {

SplitGibbs::SplitGibbs(std::shared_ptr<const Posterior> posterior, SplitGibbsOptions opt)
    : Sampler(std::move(posterior)), opt_(opt) {
  const auto* like = posterior_->likelihood();
  if (!like || !like->can_perturb_data())
    throw UsageError(fmt::format("split-gibbs needs an exact likelihood, got {}", like ? like->name() : "none"));
  const auto& t = posterior_->tempering();
  if (t.likelihood_weight != 1.0 || t.temperature != 1.0 || t.anneal.active())
    throw UsageError("split-gibbs samples the untempered posterior (likelihood weight 1, temperature 1, no anneal)");
  require_at_least<std::int64_t>("iterations", opt_.iterations, 1);
  require_at_least<std::int64_t>("prior steps", opt_.prior_steps, 1);
  opt_.cg.validate();
  require_in_range("anneal fraction", opt_.anneal_fraction, 0.0, 1.0);
  const double prior_min = posterior_->sigma_min();
  rho_max_ = opt_.coupling.sigma_max > 0 ? opt_.coupling.sigma_max : posterior_->sigma_max();
  rho_min_ = opt_.coupling.sigma_min > 0 ? opt_.coupling.sigma_min : 4 * prior_min;
  // The prior step runs the reverse diffusion from ρ down to the prior's σ_min.
  if (!(rho_min_ > prior_min) || !(rho_max_ >= rho_min_) || !std::isfinite(rho_max_))
    throw UsageError(fmt::format("split-gibbs: need the prior's sigma_min {:.4g} < rho_min <= rho_max, got [{:.4g}, {:.4g}]",
                                 prior_min, rho_min_, rho_max_));
  // The prior step sees the prior alone; the aliasing pointer keeps the posterior alive.
  prior_only_ = std::make_shared<Posterior>(std::shared_ptr<const Prior>(posterior_, &posterior_->prior()));
}

double SplitGibbs::coupling(std::int64_t k) const {
  const auto n_anneal = static_cast<std::int64_t>(std::llround(opt_.anneal_fraction * opt_.iterations));
  if (n_anneal <= 1 || k >= n_anneal - 1) return rho_min_;
  return rho_max_ * std::pow(rho_min_ / rho_max_, static_cast<double>(k) / static_cast<double>(n_anneal - 1));
}

std::string SplitGibbs::describe() const {
  return fmt::format("split-gibbs iterations={} rho=[{:.4g}, {:.4g}] anneal={:g} prior_steps={} {} likelihood={}",
                     opt_.iterations, rho_min_, rho_max_, opt_.anneal_fraction, opt_.prior_steps, opt_.cg.describe(),
                     posterior_->likelihood()->name());
}

std::shared_ptr<const PerturbAndOptimise> SplitGibbs::solver(std::int64_t height, std::int64_t width) const {
  std::lock_guard<std::mutex> lock(solver_mutex_);
  if (!solver_ || solver_->height() != height || solver_->width() != width)
    solver_ = std::make_shared<PerturbAndOptimise>(*posterior_->likelihood(), height, width, opt_.cg);
  return solver_;
}

SamplerState SplitGibbs::init(const SamplerShape& shape, at::Generator&, const at::Tensor& start) const {
  shape.validate();
  SamplerState st;
  auto opts = at::TensorOptions().dtype(shape.dtype);
  st.x = torch::zeros({shape.batch, shape.height, shape.width}, opts);
  if (start.defined()) st.x = st.x + start.to(shape.dtype);
  st.aux = {at::Tensor()};
  return st;
}

StepInfo SplitGibbs::step(SamplerState& st, at::Generator& gen) const {
  const double rho = coupling(st.step);
  // Likelihood step: z ~ N(x, ρ²I) · p(y | z), CG warm-started from the last z.
  ConjugateGradientInfo cg;
  auto z = solver(st.x.size(1), st.x.size(2))
               ->draw(st.x, torch::full({1, 1, 1}, rho * rho, torch::kFloat64), gen, &cg, st.aux[0]);
  st.aux[0] = z;
  // Prior step: x ~ p(x) · N(z; x, ρ²I), the reverse diffusion from x_ρ = z by the
  // reverse-diffusion predictor (exact variance decrements σ_i² − σ_{i+1}²: with
  // few levels, Euler–Maruyama's first-order g²dt overshoots them and biased the
  // chains by ≈ 5 SE in the exactness test).
  PredictorCorrectorOptions p;
  p.noise = {rho, posterior_->sigma_min()};
  p.levels = opt_.prior_steps;
  p.corrector_steps = 0;
  PredictorCorrector denoise(prior_only_, p);
  SamplerState ps;
  ps.x = z.to(st.x.scalar_type());
  ps.aux = {ps.x};
  while (!denoise.finished(ps)) denoise.step(ps, gen);
  st.x = denoise.result(ps);
  StepInfo info;
  info.step = st.step;
  info.sigma = rho;
  info.step_size = rho * rho;
  info.solver_iterations = cg.iterations;
  ++st.step;
  return info;
}

}  // namespace penumbra
