#include "samplers/exact_final_draw.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include "samplers/diffusion_samplers.hpp"
#include "src/core/checks.hpp"
#include "src/core/errors.hpp"

namespace penumbra {

void ExactFinalDrawOptions::validate() const {
  require_at_least<std::int64_t>("final probes", probes, 1);
  if (!(min_spread > 0 && min_spread <= 1))
    throw UsageError(fmt::format("exact final draw: min_spread must be in (0, 1], got {}", min_spread));
  cg.validate();
}

std::string ExactFinalDrawOptions::describe() const {
  return fmt::format("exact(probes={}, min_spread={:g}, {})", probes, min_spread, cg.describe());
}

at::Tensor exact_final_draw(const Prior& prior, const Likelihood& exact, const at::Tensor& x, double sigma,
                            const ExactFinalDrawOptions& o, at::Generator& gen, ExactFinalDrawInfo* info) {
  o.validate();
  if (!exact.can_perturb_data())
    throw UsageError(fmt::format("the exact final draw needs an exact likelihood; {} cannot redraw its data noise",
                                 exact.name()));
  if (x.dim() != 3) throw UsageError("exact final draw: x must be [B, H, W]");
  auto sig = torch::full({x.size(0)}, sigma, x.options());
  auto prior_score = [&](const at::Tensor& y) { return prior.score(y, sig); };
  // p(x₀ | x_σ) ≈ N(D, σ² diag j) under the prior alone.
  auto d = x + sigma * sigma * prior_score(x);
  auto j = conditional_spread_diagonal(prior_score, x, sigma, o.probes, gen).to(torch::kFloat64).clamp(o.min_spread, 1.0);
  return gaussian_likelihood_draw(exact, d, sigma * sigma * j, o.cg, gen, info)
      .to(x.scalar_type());
}

}  // namespace penumbra
