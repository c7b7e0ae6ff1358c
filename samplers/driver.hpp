#pragma once
// The driver loop around a sampler kernel: steps until finished, checks for
// divergence, reports progress and hands every step's info to an observer.
// Checkpoints and writers live in the caller (the CLI checkpoints after each
// batch of chains; see src/cli/sample_command.cpp).
#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>

#include "samplers/sampler.hpp"

namespace penumbra {

class Progress;

struct DriverOptions {
  // Called after each step with its info and the state.
  std::function<void(const StepInfo&, const SamplerState&)> on_step;
  Progress* progress = nullptr;  // ticked once per step when set
  // Check every `check_every` steps (and at the end) that all chains are
  // finite; a non-finite state throws InternalError naming the step and σ.
  std::int64_t check_every = 1;
};

// Runs `state` to completion and returns sampler.result(state) [B, H, W].
at::Tensor run_sampler(const Sampler& sampler, SamplerState& state, at::Generator& gen,
                       const DriverOptions& options = {});

// Convenience: init + run for `shape` chains.
at::Tensor sample_chains(const Sampler& sampler, const SamplerShape& shape, at::Generator& gen,
                         const DriverOptions& options = {});

// A CPU generator seeded with `seed` (torch's Philox/MT stream, reproducible).
at::Generator make_generator(std::uint64_t seed);

}  // namespace penumbra
