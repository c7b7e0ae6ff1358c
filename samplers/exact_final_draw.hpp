#pragma once
// The last step of a diffusion sampler with the exact likelihood.
//
// Diffusion samplers anneal with the convolved-likelihood approximation, which
// grids the visibilities onto the FFT uv grid (instruments/gridded_visibilities.hpp):
// a visibility is moved to its cell's centre, a phase error of up to π·(Δu/2)·l
// across the source. For bright sources that error is far above the thermal noise
// and the posterior comes out biased and too confident where the flux is
// (docs/validation.md, "Coverage"). This step replaces the sampler's final Tweedie
// mean by a draw that sees the visibilities at their true uv points:
//
//   x₀ ~ N(D, σ²·diag j) · p(y | x₀)
//
// with D = x + σ² s_prior(x, σ) and σ²·diag j, j = diag ∇D, the mean and the per-pixel
// variance of p(x₀ | x_σ) under the prior alone (first- and second-order Tweedie;
// j from Rademacher probes, conditional_spread_diagonal, clamped to [min_spread, 1]),
// and p(y | x₀) the exact likelihood: a Gaussian times an exact likelihood, drawn
// exactly by perturb-and-optimise (samplers/perturb_and_optimise.hpp).
//
// Where the prior pins a pixel (j → 0: empty sky) the draw keeps D; where the data
// measure a mode far better than σ the draw follows the data; the rest keeps the
// prior's spread σ²j.
#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

#include "samplers/perturb_and_optimise.hpp"
#include "src/model/model.hpp"

namespace penumbra {

struct ExactFinalDrawOptions {
  std::int64_t probes = 8;          // Rademacher probes for diag ∇D
  double min_spread = 1e-4;         // floor of j (keeps P finite)
  ConjugateGradientOptions cg;      // the draw's solver (perturb_and_optimise.hpp)
  void validate() const;            // UsageError naming the setting
  std::string describe() const;
};

using ExactFinalDrawInfo = ConjugateGradientInfo;

// x [B, H, W]: chains at noise level σ (prior units). Returns x₀ [B, H, W] (x's dtype).
// UsageError when the likelihood cannot re-noise its data (not an exact one).
at::Tensor exact_final_draw(const Prior& prior, const Likelihood& exact, const at::Tensor& x, double sigma,
                            const ExactFinalDrawOptions& options, at::Generator& gen,
                            ExactFinalDrawInfo* info = nullptr);

}  // namespace penumbra
