#pragma once
// Reverse-time sampling of a score model in the VE form, kept small so that
// posterior samplers can reuse it: pass any score function s(x, σ) (a prior's,
// or prior + likelihood). Images [B,H,W]; σ [B].
//
// Noise schedule: geometric σ_0 = σ_max > σ_1 > … > σ_N = σ_min (N = steps).
//  - "em": Euler–Maruyama of the reverse VE SDE, dx = −g² s dt + g dw̄ with
//    g² dt = σ_i² − σ_{i+1}²  → x ← x + (σ_i² − σ_{i+1}²) s(x, σ_i) + sqrt(σ_i² − σ_{i+1}²) z
//    (for the VE SDE this coincides with the reverse-diffusion predictor).
//  - "pc": the same predictor followed by `corrector_steps` Langevin corrector
//    steps at σ_{i+1} with ε = 2 (snr·‖z‖/‖s‖)² per image (Song et al. 2021).
// The start is x ~ N(0, σ_max² I) (+ `mean`), and the result is the Tweedie
// denoised mean x + σ_min² s(x, σ_min) of the last state (denoise = true).
#include <ATen/core/Tensor.h>
#include <ATen/core/Generator.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace penumbra {

using ScoreFn = std::function<at::Tensor(const at::Tensor& x, const at::Tensor& sigma)>;

struct ReverseSamplerOptions {
  enum class Kind { kEulerMaruyama, kPredictorCorrector };
  Kind kind = Kind::kEulerMaruyama;
  int steps = 500;
  int corrector_steps = 1;
  double snr = 0.16;
  bool denoise = true;
  static Kind parse_kind(const std::string& s);  // "em" | "pc"
};

// Geometric schedule of steps+1 levels from sigma_max down to sigma_min.
std::vector<double> geometric_sigmas(double sigma_max, double sigma_min, int steps);

// Draws `batch` images of h×w. `on_step(i, σ_i)` (optional) is called after each
// step (progress bars). Throws InternalError naming the step and σ when the
// state stops being finite.
at::Tensor sample_reverse(const ScoreFn& score, std::int64_t batch, int h, int w, double sigma_max, double sigma_min,
                          const ReverseSamplerOptions& opt, at::Generator gen, double mean = 0,
                          const std::function<void(int, double)>& on_step = {});

}  // namespace penumbra
