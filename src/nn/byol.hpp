#pragma once
// BYOL (Grill et al. 2020) on an Encoder, and the random views it learns from
// (Torch-light facade; src/nn/byol.cpp holds the modules).
//
//   online:  encoder → projector (MLP with BatchNorm) → predictor (MLP) → p
//   target:  encoder' → projector' → z  (no gradient; EMA of the online ones)
//   loss:    ‖p̂(v1) − ẑ(v2)‖² + ‖p̂(v2) − ẑ(v1)‖², p̂ = p/‖p‖, ẑ = z/‖z‖
//            (= 4 − 2 cos(p(v1), z(v2)) − 2 cos(p(v2), z(v1)), in [0, 8]), mean over images
//   target update after each step: ξ ← τ ξ + (1 − τ) θ, τ from τ_base to 1 on
//   a cosine schedule over the run (byol_tau).
// Widths are scaled down from the paper's (4096 hidden, 256 out) for CPU runs.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "src/nn/encoder.hpp"

namespace penumbra {

struct ByolOptions {
  int hidden = 256;          // projector and predictor hidden width
  int projection = 64;       // projection (and prediction) width
  double tau_base = 0.99;    // EMA decay at step 0
};
// UsageError naming the quantity.
void validate(const ByolOptions& o);

// τ_k = 1 − (1 − τ_base)(cos(πk/K) + 1)/2: τ_base at k = 0, 1 at k = K.
double byol_tau(double tau_base, std::int64_t step, std::int64_t total);

// Two views' normalised-MSE loss terms, per image: 2 − 2 cos(p_i, z_i) ([B]).
at::Tensor normalised_mse(const at::Tensor& p, const at::Tensor& z);

class Byol {
 public:
  // `online` is trained by the caller's optimiser (with parameters() here);
  // the target starts as a copy of it.
  Byol(Encoder& online, const ByolOptions& options, std::uint64_t seed);
  ~Byol();
  Byol(const Byol&) = delete;
  Byol& operator=(const Byol&) = delete;

  struct Step {
    at::Tensor loss;       // scalar, the batch mean of the symmetrised loss
    at::Tensor features1;  // the online encoder's features of view 1 [B, F] (for a vote head)
  };
  Step loss(const at::Tensor& view1, const at::Tensor& view2);
  // ξ ← τ ξ + (1 − τ) θ for the target encoder and projector.
  void update_target(double tau);
  // The projector's and predictor's parameters (the online encoder's are its own).
  std::vector<at::Tensor> parameters();
  Encoder& target_encoder() { return *target_; }
  MlpHead& projector() { return *projector_; }
  MlpHead& predictor() { return *predictor_; }
  MlpHead& target_projector() { return *target_projector_; }
  void set_train(bool train);

  // Target encoder, projectors and predictor as files in `dir` (for --resume).
  void save(const std::filesystem::path& dir) const;
  void load(const std::filesystem::path& dir);

 private:
  Encoder& online_;
  std::unique_ptr<Encoder> target_;
  std::unique_ptr<MlpHead> projector_, predictor_, target_projector_;
};

// Random views of galaxy images for BYOL, one affine resampling per image:
// a rotation by any angle, a left–right flip, a zoom into a random square of
// side `min_scale`..1 of the image placed anywhere inside it (random resized
// crop), reflection at the edges; then a 3×3 binomial blur with probability
// `blur`, a brightness factor 1 ± `jitter` (per channel too on RGB: colour
// jitter), and Gaussian noise of rms up to `noise` × the image's rms.
// Without noise and jitter, every output pixel is a convex combination of the
// input's (range preserved).
struct ViewOptions {
  bool rotate = true, flip = true;
  double min_scale = 0.7;
  double blur = 0.5;
  double jitter = 0.2;
  double noise = 0.05;
};
void validate(const ViewOptions& o);
// x [B, C, S, S] → a view of the same shape; image i uses stream i of `seed`.
at::Tensor random_views(const at::Tensor& x, const ViewOptions& options, std::uint64_t seed);

}  // namespace penumbra
