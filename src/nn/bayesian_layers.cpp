#include "src/nn/bayesian_layers.hpp"

#include <fmt/format.h>

#include <cmath>
#include <numbers>

#include "src/core/errors.hpp"

namespace penumbra::nn {

namespace F = torch::nn::functional;

BayesParamImpl::BayesParamImpl(std::vector<std::int64_t> shape, double bound, const LayerOptions& opt, bool is_dense)
    : bayesian(opt.bayesian), dense(is_dense) {
  mu = register_parameter("mu", torch::empty(shape).uniform_(-bound, bound));
  if (bayesian) rho = register_parameter("rho", torch::full(shape, opt.rho_init));
  mask = register_buffer("mask", torch::ones(shape));
}

torch::Tensor BayesParamImpl::sigma() const {
  if (!bayesian) return torch::zeros_like(mu);
  return F::softplus(rho) * mask;
}

torch::Tensor BayesParamImpl::sample() const {
  if (!bayesian || !sampling) return mean();
  return mean() + sigma() * torch::randn_like(mu);
}

BayesLinearImpl::BayesLinearImpl(std::int64_t in, std::int64_t out, const LayerOptions& opt) {
  double bound = 1.0 / std::sqrt(static_cast<double>(in));
  weight = register_module("weight", BayesParam(std::vector<std::int64_t>{out, in}, bound, opt, true));
  bias = register_module("bias", BayesParam(std::vector<std::int64_t>{out}, bound, opt, false));
}

torch::Tensor BayesLinearImpl::forward(const torch::Tensor& x) {
  auto mean = F::linear(x, weight->mean(), bias->mean());
  if (!weight->bayesian || !weight->sampling) return mean;
  auto var = F::linear(x.square(), weight->sigma().square(), bias->sigma().square());
  if (global_batch == 0) return mean + torch::sqrt(var + 1e-16) * torch::randn_like(mean);
  auto sizes = mean.sizes().vec();
  sizes[0] = global_batch;
  auto noise = torch::randn(sizes, mean.options()).narrow(0, batch_offset, mean.size(0));
  return mean + torch::sqrt(var + 1e-16) * noise;
}

BayesConv2dImpl::BayesConv2dImpl(std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t pad,
                                 const LayerOptions& opt)
    : padding(pad) {
  double bound = 1.0 / std::sqrt(static_cast<double>(in * k * k));
  weight = register_module("weight", BayesParam(std::vector<std::int64_t>{out, in, k, k}, bound, opt));
  bias = register_module("bias", BayesParam(std::vector<std::int64_t>{out}, bound, opt));
}

torch::Tensor BayesConv2dImpl::forward(const torch::Tensor& x) {
  return F::conv2d(x, weight->sample(), F::Conv2dFuncOptions().bias(bias->sample()).padding(padding));
}

torch::Tensor symmetric_pool(const torch::Tensor& x) {
  if (x.size(-1) % 2 == 0 && x.size(-2) % 2 == 0) return F::max_pool2d(x, F::MaxPool2dFuncOptions(2).stride(2));
  if (x.size(-1) % 2 == 1 && x.size(-2) % 2 == 1)
    return F::max_pool2d(x, F::MaxPool2dFuncOptions(3).stride(2).padding(1));
  throw InternalError(fmt::format("symmetric_pool: feature map {}×{} mixes odd and even sizes", x.size(-2), x.size(-1)));
}

// ---------------- groups ----------------
Group::Group(int n, bool reflections) : n_(n), reflections_(reflections) {
  if (n < 1 || n > 64) throw UsageError(fmt::format("group order N = {} out of range; expected 1..64", n));
}

Group Group::parse(const std::string& name) {
  if (name.size() >= 2 && (name[0] == 'C' || name[0] == 'D' || name[0] == 'c' || name[0] == 'd')) {
    try {
      std::size_t used = 0;
      int n = std::stoi(name.substr(1), &used);
      if (used == name.size() - 1 && n >= 1 && n <= 64) return Group(n, name[0] == 'D' || name[0] == 'd');
    } catch (const std::exception&) {
    }
  }
  throw UsageError(fmt::format("group '{}' unknown; expected C<N> or D<N> (e.g. C4, C8, D4, D16)", name));
}

std::string Group::name() const { return fmt::format("{}{}", reflections_ ? 'D' : 'C', n_); }

// (m1, r1)(m2, r2) = R^{r1} F^{m1} R^{r2} F^{m2} = R^{r1 + (−1)^{m1} r2} F^{m1+m2}, since F R F = R⁻¹.
int Group::mul(int a, int b) const {
  int m1 = a / n_, r1 = a % n_, m2 = b / n_, r2 = b % n_;
  int r = ((r1 + (m1 ? -r2 : r2)) % n_ + n_) % n_;
  return ((m1 + m2) % 2) * n_ + r;
}

int Group::inv(int a) const {
  int m = a / n_, r = a % n_;
  return m ? a : (n_ - r) % n_;  // reflections are involutions
}

torch::Tensor Group::filter_transforms(int k) const {
  int G = order(), kk = k * k;
  auto M = torch::zeros({G, kk, kk});
  auto acc = M.accessor<float, 3>();
  double c0 = (k - 1) / 2.0;
  auto snap = [](double v) { return std::abs(v - std::round(v)) < 1e-6 ? std::round(v) : v; };
  for (int g = 0; g < G; ++g) {
    int m = g / n_, r = g % n_;
    double th = 2 * std::numbers::pi * r / n_, c = std::cos(th), s = std::sin(th);
    for (int y = 0; y < k; ++y)
      for (int x = 0; x < k; ++x) {
        double px = x - c0, py = y - c0;
        // Source pixel T_g⁻¹ p = F^m R(−θ) p.
        double qx = c * px + s * py, qy = -s * px + c * py;
        if (m) qx = -qx;
        qx = snap(qx + c0);
        qy = snap(qy + c0);
        int x0 = static_cast<int>(std::floor(qx)), y0 = static_cast<int>(std::floor(qy));
        double fx = qx - x0, fy = qy - y0;
        for (int j = 0; j < 2; ++j)
          for (int i = 0; i < 2; ++i) {
            int xx = x0 + i, yy = y0 + j;
            double w = (i ? fx : 1 - fx) * (j ? fy : 1 - fy);
            if (w == 0 || xx < 0 || yy < 0 || xx >= k || yy >= k) continue;
            acc[g][y * k + x][yy * k + xx] += static_cast<float>(w);
          }
      }
  }
  return M;
}

torch::Tensor Group::filter_mask(int k) const {
  auto mask = torch::ones({k, k});
  if (n_ == 1 || n_ == 2 || n_ == 4) return mask;
  double c0 = (k - 1) / 2.0, rad = c0 + 0.5;
  for (int y = 0; y < k; ++y)
    for (int x = 0; x < k; ++x)
      if (std::hypot(x - c0, y - c0) > rad) mask[y][x] = 0.0f;
  return mask;
}

LiftingConvImpl::LiftingConvImpl(std::int64_t in, std::int64_t out, int kernel, const Group& g, const LayerOptions& opt)
    : group(g), k(kernel) {
  double bound = 1.0 / std::sqrt(static_cast<double>(in * k * k));
  weight = register_module("weight", BayesParam(std::vector<std::int64_t>{out, in, k, k}, bound, opt));
  bias = register_module("bias", BayesParam(std::vector<std::int64_t>{out}, bound, opt));
  transforms = register_buffer("transforms", group.filter_transforms(k));
  disk = register_buffer("disk", group.filter_mask(k));
}

torch::Tensor LiftingConvImpl::forward(const torch::Tensor& x) {
  auto psi = weight->sample() * disk;  // [O, I, k, k]
  auto O = psi.size(0), I = psi.size(1);
  int G = group.order();
  auto flat = psi.reshape({O, I, k * k});
  auto w = torch::einsum("oiq,gpq->ogip", {flat, transforms}).reshape({O * G, I, k, k});
  auto b = bias->sample().repeat_interleave(G);
  return F::conv2d(x, w, F::Conv2dFuncOptions().bias(b).padding(k / 2));
}

GroupConvImpl::GroupConvImpl(std::int64_t in, std::int64_t out, int kernel, const Group& g, const LayerOptions& opt)
    : group(g), k(kernel), in_ch(in), out_ch(out) {
  int G = group.order();
  double bound = 1.0 / std::sqrt(static_cast<double>(in * G * k * k));
  weight = register_module("weight", BayesParam(std::vector<std::int64_t>{out, in, G, k, k}, bound, opt));
  bias = register_module("bias", BayesParam(std::vector<std::int64_t>{out}, bound, opt));
  transforms = register_buffer("transforms", group.filter_transforms(k));
  disk = register_buffer("disk", group.filter_mask(k));
  std::vector<std::int64_t> p;
  for (int gi = 0; gi < G; ++gi)
    for (int h = 0; h < G; ++h) p.push_back(group.mul(group.inv(gi), h));
  // Module::to(dtype) also converts integer buffers: forward casts perm back.
  perm = register_buffer("perm", torch::tensor(p, torch::kLong));
}

torch::Tensor GroupConvImpl::forward(const torch::Tensor& x) {
  int G = group.order();
  auto psi = weight->sample() * disk;  // [O, I, G, k, k]
  auto permuted = psi.index_select(2, perm.to(torch::kLong)).reshape({out_ch, in_ch, G, G, k * k});  // [o, i, g, h, q]
  auto w = torch::einsum("oighq,gpq->ogihp", {permuted, transforms}).reshape({out_ch * G, in_ch * G, k, k});
  auto b = bias->sample().repeat_interleave(G);
  return F::conv2d(x, w, F::Conv2dFuncOptions().bias(b).padding(k / 2));
}

torch::Tensor group_max_pool(const torch::Tensor& x, int order) {
  auto B = x.size(0), C = x.size(1) / order;
  return std::get<0>(x.reshape({B, C, order, x.size(2), x.size(3)}).max(2));
}

}  // namespace penumbra::nn
