#pragma once
// Bayesian building blocks (LibTorch modules). Internal to src/nn: this header
// includes <torch/torch.h>, so only nn sources and nn tests include it; other
// layers use the Torch-light facade in src/nn/classifier.hpp.
//
// Every weight tensor is a BayesParam: a mean-field Gaussian q(w) = N(μ, σ²)
// with σ = softplus(ρ). Initialisation: μ ~ U(−1/√fan_in, 1/√fan_in) (the
// PyTorch default bound, so a deterministic network starts like a plain one),
// ρ = rho_init (default −5, σ ≈ 6.7e-3: the network starts almost
// deterministic and learns its uncertainty; REFERENCE.md suggests −5…−3).
// A deterministic BayesParam has no ρ and σ ≡ 0: the same backbones serve both.
// A 0/1 mask (buffer) prunes entries: pruned weights are exactly 0.
#include <torch/torch.h>

#include <vector>

namespace penumbra::nn {

struct LayerOptions {
  bool bayesian = true;
  double rho_init = -5.0;
};

class BayesParamImpl : public torch::nn::Module {
 public:
  // `dense`: belongs to a fully-connected layer (the pruning studies rank these).
  BayesParamImpl(std::vector<std::int64_t> shape, double bound, const LayerOptions& opt, bool dense = false);
  torch::Tensor mean() const { return mu * mask; }
  torch::Tensor sigma() const;   // softplus(ρ)·mask; zeros when deterministic
  torch::Tensor sample() const;  // μ + σ ε when sampling, else the mean
  bool bayesian = true, dense = false, sampling = true;
  torch::Tensor mu, rho, mask;
};
TORCH_MODULE(BayesParam);

// Dense layer. Sampling uses the local reparameterisation trick: the
// pre-activations are Gaussian given x, mean xμᵀ + b_μ and variance
// x²σ²ᵀ + σ_b², sampled per example (lower-variance gradients than sampling w).
class BayesLinearImpl : public torch::nn::Module {
 public:
  BayesLinearImpl(std::int64_t in, std::int64_t out, const LayerOptions& opt);
  torch::Tensor forward(const torch::Tensor& x);
  BayesParam weight{nullptr}, bias{nullptr};
  // Data-parallel training: the input is rows [batch_offset, batch_offset + B)
  // of a global batch of `global_batch` (0: the input is the whole batch). The
  // noise is drawn for the global batch and sliced, so every example gets the
  // noise of a one-process run and every process's generator stays in step.
  std::int64_t batch_offset = 0, global_batch = 0;
};
TORCH_MODULE(BayesLinear);

// 2-D convolution, weights [out, in, k, k] sampled once per forward (shared by
// the minibatch: LRT for convolutions would double the cost).
class BayesConv2dImpl : public torch::nn::Module {
 public:
  BayesConv2dImpl(std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t padding, const LayerOptions& opt);
  torch::Tensor forward(const torch::Tensor& x);
  BayesParam weight{nullptr}, bias{nullptr};
  std::int64_t padding;
};
TORCH_MODULE(BayesConv2d);

// Max pooling by 2 that commutes with the dihedral group of the square: kernel
// 2 stride 2 on even sizes, kernel 3 stride 2 padding 1 on odd sizes (window
// centres 0, 2, …, n−1 are symmetric under x → n−1−x). Output size ⌈n/2⌉.
torch::Tensor symmetric_pool(const torch::Tensor& x);
inline std::int64_t symmetric_pool_size(std::int64_t n) { return (n + 1) / 2; }

// ---- Group-equivariant convolutions for C_N and D_N ----
// Element e = m·N + r is the transform R^r F^m: a flip x → −x (m = 1) followed
// by a rotation by 2πr/N. Filters are transformed by interpolation matrices
// (bilinear, snapped to grid points when exact), so N = 4 (and 1, 2) is exact
// and N = 8, 16 are approximate; their filters live on a disk (corners masked)
// so rotated supports agree.
class Group {
 public:
  Group(int n, bool reflections);
  static Group parse(const std::string& name);  // "C4", "D8", ... UsageError otherwise
  int order() const { return n_ * (reflections_ ? 2 : 1); }
  int n() const { return n_; }
  bool reflections() const { return reflections_; }
  int mul(int a, int b) const;
  int inv(int a) const;
  std::string name() const;
  // [order, k², k²]: row p of matrix g gives output pixel p of T_g ψ from ψ's pixels.
  torch::Tensor filter_transforms(int k) const;
  torch::Tensor filter_mask(int k) const;  // [k, k], ones for N ∈ {1, 2, 4}

 private:
  int n_;
  bool reflections_;
};

// Lifting convolution: [B, in, H, W] → [B, out·|G|, H, W], channel = c·|G| + g.
class LiftingConvImpl : public torch::nn::Module {
 public:
  LiftingConvImpl(std::int64_t in, std::int64_t out, int k, const Group& g, const LayerOptions& opt);
  torch::Tensor forward(const torch::Tensor& x);
  BayesParam weight{nullptr}, bias{nullptr};
  Group group;
  int k;
  torch::Tensor transforms, disk;
};
TORCH_MODULE(LiftingConv);

// Group convolution: [B, in·|G|, H, W] → [B, out·|G|, H, W];
// out[o, g] = Σ_{i,h} (T_g ψ[o, i, g⁻¹h]) ⋆ f[i, h].
class GroupConvImpl : public torch::nn::Module {
 public:
  GroupConvImpl(std::int64_t in, std::int64_t out, int k, const Group& g, const LayerOptions& opt);
  torch::Tensor forward(const torch::Tensor& x);
  BayesParam weight{nullptr}, bias{nullptr};
  Group group;
  int k;
  std::int64_t in_ch, out_ch;
  torch::Tensor transforms, disk, perm;
};
TORCH_MODULE(GroupConv);

// Max over the group axis: [B, C·|G|, H, W] → [B, C, H, W] (invariant features).
torch::Tensor group_max_pool(const torch::Tensor& x, int order);

}  // namespace penumbra::nn
