#include "priors/unconditional_sampling.hpp"

#include <torch/torch.h>

#include <cmath>

#include "src/core/errors.hpp"

namespace penumbra {

ReverseSamplerOptions::Kind ReverseSamplerOptions::parse_kind(const std::string& s) {
  if (s == "em") return Kind::kEulerMaruyama;
  if (s == "pc") return Kind::kPredictorCorrector;
  throw UsageError("sampler '" + s + "': expected em or pc");
}

std::vector<double> geometric_sigmas(double sigma_max, double sigma_min, int steps) {
  if (!(sigma_max > sigma_min && sigma_min > 0) || steps < 1)
    throw UsageError("reverse sampler: σ_max = " + std::to_string(sigma_max) + ", σ_min = " + std::to_string(sigma_min) +
                     ", steps = " + std::to_string(steps) + "; expected σ_max > σ_min > 0 and steps ≥ 1");
  std::vector<double> s(steps + 1);
  for (int i = 0; i <= steps; ++i) s[i] = sigma_max * std::pow(sigma_min / sigma_max, double(i) / steps);
  return s;
}

at::Tensor sample_reverse(const ScoreFn& score, std::int64_t batch, int h, int w, double sigma_max, double sigma_min,
                          const ReverseSamplerOptions& opt, at::Generator gen, double mean,
                          const std::function<void(int, double)>& on_step) {
  torch::NoGradGuard ng;
  auto sig = geometric_sigmas(sigma_max, sigma_min, opt.steps);
  auto o = torch::TensorOptions().dtype(torch::kFloat32);
  auto x = torch::randn({batch, h, w}, gen, o) * sig[0] + mean;
  auto check = [&](int i, double s) {
    if (!torch::isfinite(x).all().item<bool>())
      throw InternalError("reverse sampler diverged at step " + std::to_string(i) + " (σ = " + std::to_string(s) +
                          "): non-finite pixels");
  };
  for (int i = 0; i < opt.steps; ++i) {
    double s0 = sig[i], s1 = sig[i + 1];
    double d2 = s0 * s0 - s1 * s1;
    auto sc = score(x, torch::full({batch}, s0, o));
    x = x + d2 * sc + std::sqrt(d2) * torch::randn(x.sizes(), gen, o);
    if (opt.kind == ReverseSamplerOptions::Kind::kPredictorCorrector) {
      auto sv = torch::full({batch}, s1, o);
      for (int c = 0; c < opt.corrector_steps; ++c) {
        auto g = score(x, sv);
        auto z = torch::randn(x.sizes(), gen, o);
        auto gn = g.reshape({batch, -1}).norm(2, 1);
        auto zn = z.reshape({batch, -1}).norm(2, 1);
        auto eps = (2 * (opt.snr * zn / gn.clamp_min(1e-12)).square()).reshape({-1, 1, 1});
        x = x + eps * g + torch::sqrt(2 * eps) * z;
      }
    }
    check(i, s1);
    if (on_step) on_step(i, s1);
  }
  if (opt.denoise) x = x + sig.back() * sig.back() * score(x, torch::full({batch}, sig.back(), o));
  check(opt.steps, sig.back());
  return x;
}

}  // namespace penumbra
