#include "samplers/driver.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>
#include <torch/torch.h>

#include "src/core/errors.hpp"
#include "src/core/progress.hpp"

namespace penumbra {

namespace {

void check_finite(const Sampler& sampler, const SamplerState& st, const StepInfo& info) {
  auto bad = ~torch::isfinite(st.x).flatten(1).all(1);
  if (!bad.any().item<bool>()) return;
  auto chains = torch::nonzero(bad).flatten();
  throw InternalError(fmt::format(
      "sampler {} diverged at step {} of {} (sigma = {:.4g}, step size {:.3g}): non-finite values in {} of {} "
      "chains (first: chain {}); lower the step size or check the prior and likelihood",
      sampler.name(), info.step + 1, sampler.total_steps(), info.sigma, info.step_size, chains.numel(),
      st.x.size(0), chains[0].item<std::int64_t>()));
}

}  // namespace

at::Tensor run_sampler(const Sampler& sampler, SamplerState& state, at::Generator& gen, const DriverOptions& options) {
  torch::NoGradGuard no_grad;
  std::int64_t every = std::max<std::int64_t>(1, options.check_every);
  StepInfo info;
  while (!sampler.finished(state)) {
    info = sampler.step(state, gen);
    if (state.step % every == 0 || sampler.finished(state)) check_finite(sampler, state, info);
    if (options.on_step) options.on_step(info, state);
    if (options.progress) options.progress->tick(1, fmt::format("sigma {:.3g}", info.sigma));
  }
  auto out = sampler.result(state);
  auto bad = ~torch::isfinite(out).all();
  if (bad.item<bool>())
    throw InternalError(fmt::format("sampler {} produced non-finite samples at its final step {} (sigma = {:.4g})",
                                    sampler.name(), info.step + 1, info.sigma));
  return out;
}

at::Tensor sample_chains(const Sampler& sampler, const SamplerShape& shape, at::Generator& gen,
                         const DriverOptions& options) {
  auto st = sampler.init(shape, gen);
  return run_sampler(sampler, st, gen, options);
}

at::Generator make_generator(std::uint64_t seed) { return at::make_generator<at::CPUGeneratorImpl>(seed); }

}  // namespace penumbra
