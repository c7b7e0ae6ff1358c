#include "src/nn/byol.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>
#include <torch/torch.h>

#include <cmath>
#include <numbers>
#include <random>

#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/rng.hpp"

namespace penumbra {

namespace F = torch::nn::functional;

void validate(const ByolOptions& o) {
  require_at_least("projector hidden width", o.hidden, 1);
  require_at_least("projection width", o.projection, 1);
  require_in_range("tau base", o.tau_base, 0.0, 1.0);
}

double byol_tau(double tau_base, std::int64_t step, std::int64_t total) {
  if (total <= 0) return 1.0;
  const double k = std::clamp(static_cast<double>(step) / static_cast<double>(total), 0.0, 1.0);
  return 1.0 - (1.0 - tau_base) * (std::cos(std::numbers::pi * k) + 1.0) / 2.0;
}

at::Tensor normalised_mse(const at::Tensor& p, const at::Tensor& z) {
  return 2.0 - 2.0 * F::cosine_similarity(p, z, F::CosineSimilarityFuncOptions().dim(1).eps(1e-8));
}

Byol::Byol(Encoder& online, const ByolOptions& o, std::uint64_t seed) : online_(online) {
  validate(o);
  const auto f = online.config().feature_dim();
  projector_ = std::make_unique<MlpHead>(f, o.hidden, o.projection, true, derive_seed(seed, 1));
  predictor_ = std::make_unique<MlpHead>(o.projection, o.hidden, o.projection, true, derive_seed(seed, 2));
  target_ = online.clone();
  target_projector_ = projector_->clone();
  target_->set_requires_grad(false);
  target_projector_->set_requires_grad(false);
}

Byol::~Byol() = default;

Byol::Step Byol::loss(const at::Tensor& view1, const at::Tensor& view2) {
  const auto b = view1.size(0);
  // One pass per network over both views: BatchNorm sees the same 2B images in either.
  auto both = torch::cat({view1, view2}, 0);
  auto features = online_.forward(both);
  auto p = predictor_->forward(projector_->forward(features));
  torch::Tensor z;
  {
    torch::NoGradGuard no_grad;
    z = target_projector_->forward(target_->forward(both));
  }
  auto p1 = p.slice(0, 0, b), p2 = p.slice(0, b), z1 = z.slice(0, 0, b), z2 = z.slice(0, b);
  auto l = normalised_mse(p1, z2) + normalised_mse(p2, z1);
  return {l.mean(), features.slice(0, 0, b)};
}

namespace {
void ema(const std::vector<at::Tensor>& target, const std::vector<at::Tensor>& online, double tau) {
  torch::NoGradGuard no_grad;
  for (std::size_t i = 0; i < target.size(); ++i) target[i].mul_(tau).add_(online[i], 1.0 - tau);
}
}  // namespace

void Byol::update_target(double tau) {
  ema(target_->parameters(), online_.parameters(), tau);
  ema(target_projector_->parameters(), projector_->parameters(), tau);
}

std::vector<at::Tensor> Byol::parameters() {
  auto a = projector_->parameters(), b = predictor_->parameters();
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

void Byol::set_train(bool train) {
  projector_->set_train(train);
  predictor_->set_train(train);
  target_->set_train(train);
  target_projector_->set_train(train);
}

void Byol::save(const std::filesystem::path& dir) const {
  std::filesystem::create_directories(dir);
  target_->save_weights(dir / "target_encoder.pt");
  projector_->save_weights(dir / "projector.pt");
  predictor_->save_weights(dir / "predictor.pt");
  target_projector_->save_weights(dir / "target_projector.pt");
}

void Byol::load(const std::filesystem::path& dir) {
  target_->load_weights(dir / "target_encoder.pt");
  projector_->load_weights(dir / "projector.pt");
  predictor_->load_weights(dir / "predictor.pt");
  target_projector_->load_weights(dir / "target_projector.pt");
}

void validate(const ViewOptions& o) {
  require_in_range("minimum crop scale", o.min_scale, 0.1, 1.0);
  require_in_range("blur probability", o.blur, 0.0, 1.0);
  require_in_range("colour jitter", o.jitter, 0.0, 0.9);
  require_non_negative("view noise", o.noise);
}

namespace {

struct ViewDraw {
  double theta[6];  // output → input affine map in grid_sample coordinates
  bool blur;
  double brightness, noise;
  double gain[3];
};

ViewDraw draw_view(const ViewOptions& o, std::uint64_t seed, std::uint64_t stream) {
  auto rng = make_rng(seed, stream);
  std::uniform_real_distribution<double> U(0.0, 1.0);
  const double angle = o.rotate ? 2 * std::numbers::pi * U(rng) : 0.0;
  const double flip = o.flip && U(rng) < 0.5 ? -1.0 : 1.0;
  const double s = o.min_scale + (1.0 - o.min_scale) * U(rng);
  // The crop's centre anywhere that keeps its (unrotated) square inside the image.
  const double tx = (1.0 - s) * (2 * U(rng) - 1), ty = (1.0 - s) * (2 * U(rng) - 1);
  const double c = std::cos(angle), sn = std::sin(angle);
  ViewDraw d{{s * c * flip, -s * sn, tx, s * sn * flip, s * c, ty}, false, 1.0, 0.0, {1, 1, 1}};
  d.blur = U(rng) < o.blur;
  d.brightness = 1.0 + o.jitter * (2 * U(rng) - 1);
  for (double& g : d.gain) g = 1.0 + 0.5 * o.jitter * (2 * U(rng) - 1);
  d.noise = o.noise * U(rng);
  return d;
}

torch::Tensor binomial_blur(const torch::Tensor& x) {
  auto k1 = torch::tensor({0.25f, 0.5f, 0.25f});
  auto k = torch::outer(k1, k1).reshape({1, 1, 3, 3}).repeat({x.size(1), 1, 1, 1});
  auto padded = F::pad(x, F::PadFuncOptions({1, 1, 1, 1}).mode(torch::kReplicate));
  return F::conv2d(padded, k, F::Conv2dFuncOptions().groups(x.size(1)));
}

}  // namespace

at::Tensor random_views(const at::Tensor& x_in, const ViewOptions& o, std::uint64_t seed) {
  validate(o);
  if (x_in.dim() != 4) throw DataError(fmt::format("views need images [B, C, S, S], got {} dims", x_in.dim()));
  torch::NoGradGuard no_grad;
  auto x = x_in.to(torch::kFloat32);
  const auto B = x.size(0), C = x.size(1);
  std::vector<float> theta, blur, scale, noise;
  for (std::int64_t i = 0; i < B; ++i) {
    auto d = draw_view(o, seed, static_cast<std::uint64_t>(i));
    theta.insert(theta.end(), d.theta, d.theta + 6);
    blur.push_back(d.blur ? 1.0f : 0.0f);
    for (std::int64_t c = 0; c < C; ++c) scale.push_back(static_cast<float>(d.brightness * (C == 3 ? d.gain[c] : 1.0)));
    noise.push_back(static_cast<float>(d.noise));
  }
  auto grid = F::affine_grid(torch::tensor(theta).reshape({B, 2, 3}), x.sizes(), false);
  auto v = F::grid_sample(x, grid, F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kReflection).align_corners(false));
  auto m = torch::tensor(blur).reshape({B, 1, 1, 1});
  v = m * binomial_blur(v) + (1 - m) * v;
  v = v * torch::tensor(scale).reshape({B, C, 1, 1});
  if (o.noise > 0) {
    auto gen = at::detail::createCPUGenerator(derive_seed(seed, 0x4015E));
    auto rms = torch::tensor(noise).reshape({B, 1, 1, 1}) * v.flatten(1).std(1).reshape({B, 1, 1, 1});
    v = v + rms * at::randn(v.sizes(), gen, v.options());
  }
  return v;
}

}  // namespace penumbra
