#pragma once
// The sampler interface: explicit state, one step at a time, many chains as one
// batch. A Sampler object is immutable configuration (posterior, schedule, step
// sizes); everything that changes lives in SamplerState, so a driver can stop,
// inspect, checkpoint or discard it. Kernels never print, save or decide when
// to stop — that is the driver's job (samplers/driver.hpp).
//
// Images are [B, H, W] tensors in the prior's units; all randomness comes from
// the at::Generator passed in, so the same seed gives identical samples.
#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "samplers/posterior.hpp"
#include "src/core/errors.hpp"

namespace penumbra {

struct SamplerState {
  at::Tensor x;            // [B, H, W] current chains
  std::int64_t step = 0;   // steps taken
  // Sampler-specific tensors (e.g. the denoised mean, cached log density and
  // gradient, per-chain step sizes); documented by each sampler.
  std::vector<at::Tensor> aux;
};

struct StepInfo {
  std::int64_t step = 0;     // index of the step just taken (0-based)
  double sigma = 0;          // noise level the step used (0 for MCMC)
  double step_size = 0;      // mean over chains
  double energy = std::numeric_limits<double>::quiet_NaN();      // mean −log p_T (MCMC), NaN otherwise
  double acceptance = std::numeric_limits<double>::quiet_NaN();  // mean acceptance (MCMC), NaN otherwise
  double score_norm = std::numeric_limits<double>::quiet_NaN();  // mean ‖score‖ per chain when computed
  std::int64_t solver_iterations = 0;  // linear-solver (CG) iterations of the step, 0 when none
};

struct SamplerShape {
  std::int64_t batch = 1;
  std::int64_t height = 0, width = 0;
  at::ScalarType dtype = at::kFloat;
  void validate() const;  // UsageError unless batch and image size are positive
};

inline void SamplerShape::validate() const {
  if (batch < 1 || height < 1 || width < 1)
    throw UsageError("sampler: batch and image size must be positive, got " + std::to_string(batch) + " x " +
                     std::to_string(height) + " x " + std::to_string(width));
}

class Sampler {
 public:
  explicit Sampler(std::shared_ptr<const Posterior> posterior) : posterior_(std::move(posterior)) {}
  virtual ~Sampler() = default;
  virtual std::string name() const = 0;
  // One-line description of the configuration (recorded in every run).
  virtual std::string describe() const = 0;
  // Number of step() calls until finished(): what the driver loops over.
  virtual std::int64_t total_steps() const = 0;
  // Prior score evaluations per chain for one full run (init() included), the
  // cost measure that compares samplers: a step may evaluate the score several
  // times (HMC's leapfrog steps, split Gibbs's prior steps) or once more at the
  // end (a final denoising). Likelihood-only work (CG iterations) is not counted.
  virtual std::int64_t score_evaluations() const = 0;
  // Fresh chains: diffusion samplers draw x ~ N(start, σ_max² I) (start: 0 when
  // undefined, else broadcast to the batch, e.g. the prior's pixel mean); MCMC
  // samplers start from `start` when defined (broadcast to the batch) or N(0, I).
  virtual SamplerState init(const SamplerShape& shape, at::Generator& gen, const at::Tensor& start = {}) const = 0;
  virtual StepInfo step(SamplerState& state, at::Generator& gen) const = 0;
  bool finished(const SamplerState& state) const { return state.step >= total_steps(); }
  // The samples once finished (the final denoised mean for diffusion samplers).
  virtual at::Tensor result(const SamplerState& state) const { return state.x; }
  const Posterior& posterior() const { return *posterior_; }

 protected:
  std::shared_ptr<const Posterior> posterior_;
};

// Geometric noise levels σ_max = σ_0 > σ_1 > … > σ_{n−1} = σ_min.
std::vector<double> geometric_sigmas(double sigma_max, double sigma_min, std::int64_t n);

}  // namespace penumbra
