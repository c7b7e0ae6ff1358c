#include "priors/score_network.hpp"

#include <torch/torch.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "src/core/errors.hpp"

namespace penumbra {

namespace {

constexpr double kPi = 3.14159265358979323846;

torch::nn::Conv2d conv(int cin, int cout, int k, double init_scale = 1.0) {
  auto c = torch::nn::Conv2d(torch::nn::Conv2dOptions(cin, cout, k).padding(k / 2));
  if (init_scale != 1.0) {
    torch::NoGradGuard ng;
    c->weight.mul_(init_scale);
  }
  return c;
}

// Residual block (DDPM/NCSN++ "ddpm" type): GN-SiLU-Conv, + Dense(embedding),
// GN-SiLU-Conv (initialised small so every block starts near the identity),
// skip through a 1×1 convolution when the channel count changes, sum / √2.
struct ResBlockImpl : torch::nn::Module {
  ResBlockImpl(int cin, int cout, int emb, int g_in, int g_out)
      : norm0(torch::nn::GroupNormOptions(g_in, cin)),
        conv0(conv(cin, cout, 3)),
        dense(torch::nn::Linear(emb, cout)),
        norm1(torch::nn::GroupNormOptions(g_out, cout)),
        conv1(conv(cout, cout, 3, 1e-2)) {
    register_module("norm0", norm0);
    register_module("conv0", conv0);
    register_module("dense", dense);
    register_module("norm1", norm1);
    register_module("conv1", conv1);
    if (cin != cout) {
      skip = conv(cin, cout, 1);
      register_module("skip", skip);
    }
    torch::NoGradGuard ng;
    dense->bias.zero_();
  }
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& temb) {
    auto h = conv0(torch::silu(norm0(x)));
    h = h + dense(torch::silu(temb)).unsqueeze(-1).unsqueeze(-1);
    h = conv1(torch::silu(norm1(h)));
    auto s = skip ? skip(x) : x;
    return (s + h) * (1.0 / std::sqrt(2.0));
  }
  torch::nn::GroupNorm norm0;
  torch::nn::Conv2d conv0;
  torch::nn::Linear dense;
  torch::nn::GroupNorm norm1;
  torch::nn::Conv2d conv1;
  torch::nn::Conv2d skip{nullptr};
};
TORCH_MODULE(ResBlock);

// Single-head self-attention over all pixels (used at the lowest resolution only,
// where H·W is small).
struct AttnBlockImpl : torch::nn::Module {
  AttnBlockImpl(int c, int g)
      : norm(torch::nn::GroupNormOptions(g, c)), qkv(conv(c, 3 * c, 1)), proj(conv(c, c, 1, 1e-2)) {
    register_module("norm", norm);
    register_module("qkv", qkv);
    register_module("proj", proj);
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
    auto t = qkv(norm(x)).reshape({b, 3, c, h * w});
    auto q = t.select(1, 0), k = t.select(1, 1), v = t.select(1, 2);  // [B,C,N]
    auto att = torch::softmax(torch::bmm(q.transpose(1, 2), k) * (1.0 / std::sqrt(double(c))), -1);  // [B,N,N]
    auto o = torch::bmm(v, att.transpose(1, 2)).reshape({b, c, h, w});
    return (x + proj(o)) * (1.0 / std::sqrt(2.0));
  }
  torch::nn::GroupNorm norm;
  torch::nn::Conv2d qkv, proj;
};
TORCH_MODULE(AttnBlock);

}  // namespace

struct ScoreNetwork::Impl : torch::nn::Module {
  explicit Impl(const ScoreNetConfig& cfg) : cfg(cfg) {
    int emb = cfg.embedding_dim > 0 ? cfg.embedding_dim : 4 * cfg.width;
    fourier_w = register_buffer("fourier_w", torch::randn({cfg.width / 2 > 0 ? cfg.width / 2 : 1}) * cfg.fourier_scale);
    int nf = int(fourier_w.size(0)) * 2;
    emb0 = register_module("emb0", torch::nn::Linear(nf, emb));
    emb1 = register_module("emb1", torch::nn::Linear(emb, emb));
    int cio = cfg.in_channels * cfg.patch * cfg.patch;
    conv_in = register_module("conv_in", conv(cio + cfg.coord_channels * cfg.patch * cfg.patch, cfg.width, 3));
    int levels = int(cfg.multipliers.size());
    std::vector<int> skip_ch{cfg.width};
    int ch = cfg.width;
    for (int i = 0; i < levels; ++i) {
      int out = cfg.width * cfg.multipliers[i];
      for (int r = 0; r < cfg.res_blocks; ++r) {
        down_blocks->push_back(ResBlock(ch, out, emb, cfg.groups(ch), cfg.groups(out)));
        ch = out;
        skip_ch.push_back(ch);
      }
      if (i != levels - 1) skip_ch.push_back(ch);  // after downsampling
    }
    register_module("down", down_blocks);
    mid0 = register_module("mid0", ResBlock(ch, ch, emb, cfg.groups(ch), cfg.groups(ch)));
    if (cfg.attention) mid_attn = register_module("mid_attn", AttnBlock(ch, cfg.groups(ch)));
    mid1 = register_module("mid1", ResBlock(ch, ch, emb, cfg.groups(ch), cfg.groups(ch)));
    for (int i = levels - 1; i >= 0; --i) {
      int out = cfg.width * cfg.multipliers[i];
      for (int r = 0; r < cfg.res_blocks + 1; ++r) {
        int cin = ch + skip_ch.back();
        skip_ch.pop_back();
        up_blocks->push_back(ResBlock(cin, out, emb, cfg.groups(cin), cfg.groups(out)));
        ch = out;
      }
      if (i != 0) up_convs->push_back(conv(ch, ch, 3));
    }
    register_module("up", up_blocks);
    register_module("upconv", up_convs);
    norm_out = register_module("norm_out", torch::nn::GroupNorm(torch::nn::GroupNormOptions(cfg.groups(ch), ch)));
    conv_out = register_module("conv_out", conv(ch, cio, 3, 1e-2));
  }

  torch::Tensor forward(torch::Tensor x, const torch::Tensor& cond, const torch::Tensor& in_scale,
                        const torch::Tensor& coords) {
    bool squeeze = x.dim() == 3;
    if (squeeze) x = x.unsqueeze(1);
    x = x * in_scale.reshape({-1, 1, 1, 1});
    if (cfg.coord_channels > 0) x = torch::cat({x, coords.to(x.scalar_type())}, 1);
    if (cfg.patch > 1) x = torch::pixel_unshuffle(x, cfg.patch);
    auto proj = cond.unsqueeze(1) * fourier_w.unsqueeze(0) * (2 * kPi);
    auto temb = torch::cat({torch::sin(proj), torch::cos(proj)}, 1);
    temb = emb1(torch::silu(emb0(temb)));
    int levels = int(cfg.multipliers.size());
    std::vector<torch::Tensor> hs{conv_in(x)};
    auto h = hs.back();
    std::size_t k = 0;
    for (int i = 0; i < levels; ++i) {
      for (int r = 0; r < cfg.res_blocks; ++r) {
        h = down_blocks[k++]->as<ResBlockImpl>()->forward(h, temb);
        hs.push_back(h);
      }
      if (i != levels - 1) {
        h = torch::avg_pool2d(h, 2);
        hs.push_back(h);
      }
    }
    h = mid0->forward(h, temb);
    if (mid_attn) h = mid_attn->forward(h);
    h = mid1->forward(h, temb);
    k = 0;
    std::size_t u = 0;
    for (int i = levels - 1; i >= 0; --i) {
      for (int r = 0; r < cfg.res_blocks + 1; ++r) {
        h = up_blocks[k++]->as<ResBlockImpl>()->forward(torch::cat({h, hs.back()}, 1), temb);
        hs.pop_back();
      }
      if (i != 0) {
        h = torch::upsample_nearest2d(h, {h.size(2) * 2, h.size(3) * 2});
        h = up_convs[u++]->as<torch::nn::Conv2dImpl>()->forward(h);
      }
    }
    h = conv_out(torch::silu(norm_out(h)));
    if (cfg.patch > 1) h = torch::pixel_shuffle(h, cfg.patch);
    return squeeze ? h.squeeze(1) : h;
  }

  double flops(int hh, int ww) const {
    // Walk the same structure with the spatial size; 2 FLOPs per multiply-add.
    double f = 0;
    int emb = cfg.embedding_dim > 0 ? cfg.embedding_dim : 4 * cfg.width;
    auto convf = [&](int cin, int cout, int k, double px) { f += 2.0 * cin * cout * k * k * px; };
    auto eltf = [&](int c, double px) { f += 8.0 * c * px; };  // GroupNorm + SiLU + residual adds
    auto resf = [&](int cin, int cout, double px) {
      eltf(cin, px);
      convf(cin, cout, 3, px);
      f += 2.0 * emb * cout;
      eltf(cout, px);
      convf(cout, cout, 3, px);
      if (cin != cout) convf(cin, cout, 1, px);
    };
    int nf = int(fourier_w.size(0)) * 2;
    f += 2.0 * nf * emb + 2.0 * emb * emb;
    int cio = cfg.in_channels * cfg.patch * cfg.patch;
    double px = double(hh) * ww / (cfg.patch * cfg.patch);
    convf(cio + cfg.coord_channels * cfg.patch * cfg.patch, cfg.width, 3, px);
    int levels = int(cfg.multipliers.size());
    std::vector<int> skip_ch{cfg.width};
    int ch = cfg.width;
    for (int i = 0; i < levels; ++i) {
      int out = cfg.width * cfg.multipliers[i];
      for (int r = 0; r < cfg.res_blocks; ++r) {
        resf(ch, out, px);
        ch = out;
        skip_ch.push_back(ch);
      }
      if (i != levels - 1) {
        f += ch * px;
        px /= 4;
        skip_ch.push_back(ch);
      }
    }
    resf(ch, ch, px);
    if (cfg.attention) {
      eltf(ch, px);
      convf(ch, 3 * ch, 1, px);
      f += 2.0 * 2.0 * px * px * ch + 5.0 * px * px;  // QᵀK, V·A, softmax
      convf(ch, ch, 1, px);
    }
    resf(ch, ch, px);
    for (int i = levels - 1; i >= 0; --i) {
      int out = cfg.width * cfg.multipliers[i];
      for (int r = 0; r < cfg.res_blocks + 1; ++r) {
        resf(ch + skip_ch.back(), out, px);
        skip_ch.pop_back();
        ch = out;
      }
      if (i != 0) {
        px *= 4;
        convf(ch, ch, 3, px);
      }
    }
    eltf(ch, px);
    convf(ch, cio, 3, px);
    return f;
  }

  ScoreNetConfig cfg;
  torch::Tensor fourier_w;
  torch::nn::Linear emb0{nullptr}, emb1{nullptr};
  torch::nn::Conv2d conv_in{nullptr};
  torch::nn::ModuleList down_blocks, up_blocks, up_convs;
  ResBlock mid0{nullptr}, mid1{nullptr};
  AttnBlock mid_attn{nullptr};
  torch::nn::GroupNorm norm_out{nullptr};
  torch::nn::Conv2d conv_out{nullptr};
};

int ScoreNetConfig::groups(int channels) const {
  int g = std::min(32, std::max(1, channels / 4));
  while (channels % g != 0) --g;
  return g;
}

void ScoreNetConfig::validate() const {
  if (patch < 1) throw UsageError(fmt_error("patch", std::to_string(patch), "≥ 1"));
  if (in_channels < 1) throw UsageError(fmt_error("in_channels", std::to_string(in_channels), "≥ 1"));
  if (coord_channels != 0 && coord_channels != 2)
    throw UsageError(fmt_error("coord_channels", std::to_string(coord_channels), "0 or 2"));
  if (width < 2 || width % 2 != 0) throw UsageError(fmt_error("width", std::to_string(width), "an even number ≥ 2"));
  if (multipliers.empty()) throw UsageError("score network: multipliers is empty; expected e.g. 1,2,2");
  for (int m : multipliers)
    if (m < 1) throw UsageError(fmt_error("multipliers", std::to_string(m), "entries ≥ 1"));
  if (res_blocks < 1) throw UsageError(fmt_error("res_blocks", std::to_string(res_blocks), "≥ 1"));
  if (embedding_dim < 0) throw UsageError(fmt_error("embedding_dim", std::to_string(embedding_dim), "≥ 0"));
  if (!(fourier_scale > 0)) throw UsageError(fmt_error("fourier_scale", std::to_string(fourier_scale), "> 0"));
  if (!(sigma_data > 0)) throw UsageError(fmt_error("sigma_data", std::to_string(sigma_data), "> 0"));
}

std::string ScoreNetConfig::fmt_error(const std::string& field, const std::string& value, const std::string& expected) {
  return "score network: " + field + " = " + value + "; expected " + expected;
}

nlohmann::json ScoreNetConfig::to_json() const {
  nlohmann::json j{{"in_channels", in_channels}, {"patch", patch}, {"width", width},         {"multipliers", multipliers},
          {"res_blocks", res_blocks},   {"attention", attention}, {"embedding_dim", embedding_dim},
          {"fourier_scale", fourier_scale}, {"input_scaling", input_scaling}, {"sigma_data", sigma_data},
          {"init_seed", init_seed}};
  // Written only when used, so whole-image checkpoints keep the header they always had.
  if (coord_channels > 0) j["coord_channels"] = coord_channels;
  return j;
}

ScoreNetConfig ScoreNetConfig::from_json(const nlohmann::json& j) {
  ScoreNetConfig c;
  try {
    c.in_channels = j.at("in_channels").get<int>();
    c.patch = j.at("patch").get<int>();
    c.width = j.at("width").get<int>();
    c.multipliers = j.at("multipliers").get<std::vector<int>>();
    c.res_blocks = j.at("res_blocks").get<int>();
    c.attention = j.at("attention").get<bool>();
    c.embedding_dim = j.at("embedding_dim").get<int>();
    c.fourier_scale = j.at("fourier_scale").get<double>();
    c.input_scaling = j.at("input_scaling").get<bool>();
    c.sigma_data = j.at("sigma_data").get<double>();
    c.init_seed = j.at("init_seed").get<std::uint64_t>();
    c.coord_channels = j.value("coord_channels", 0);
  } catch (const nlohmann::json::exception& e) {
    throw DataError(std::string("score network configuration: ") + e.what());
  }
  try {
    c.validate();
  } catch (const UsageError& e) {
    throw DataError(e.what());
  }
  return c;
}

ScoreNetwork::ScoreNetwork(const ScoreNetConfig& config) : config_(config) {
  config_.validate();
  // The initial weights come from the global torch generator: seed it for this
  // construction only, so the same init_seed always gives the same network.
  auto gen = at::detail::getDefaultCPUGenerator();
  at::Tensor saved;
  {
    std::lock_guard<std::mutex> lock(gen.mutex());
    saved = gen.get_state();
    gen.set_current_seed(config_.init_seed);
  }
  impl_ = std::make_unique<Impl>(config_);
  {
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(saved);
  }
}
ScoreNetwork::~ScoreNetwork() = default;
ScoreNetwork::ScoreNetwork(ScoreNetwork&&) noexcept = default;
ScoreNetwork& ScoreNetwork::operator=(ScoreNetwork&&) noexcept = default;

at::Tensor ScoreNetwork::raw(const at::Tensor& x, const at::Tensor& cond, const at::Tensor& in_scale,
                             const at::Tensor& coords) const {
  const auto b = x.size(0), h = x.size(-2), w = x.size(-1);
  if (config_.coord_channels == 0 && coords.defined())
    throw UsageError("score network: position maps given to a network without coordinate channels");
  if (config_.coord_channels > 0 &&
      (!coords.defined() || coords.sizes() != at::IntArrayRef({b, config_.coord_channels, h, w})))
    throw UsageError("score network: needs position maps [B, " + std::to_string(config_.coord_channels) + ", H, W]" +
                     (coords.defined() ? ", got " + c10::str(coords.sizes()) : std::string(", got none")));
  return impl_->forward(x, cond, in_scale, coords);
}

at::Tensor ScoreNetwork::score(const at::Tensor& x, const at::Tensor& sigma) const {
  auto s = sigma.to(x.scalar_type());
  auto in_scale = config_.input_scaling ? torch::rsqrt(s * s + config_.sigma_data * config_.sigma_data)
                                        : torch::ones_like(s);
  auto out = raw(x, torch::log(s), in_scale);
  auto shape = std::vector<int64_t>(out.dim(), 1);
  shape[0] = -1;
  return out / s.reshape(shape);
}

std::vector<std::pair<std::string, at::Tensor>> ScoreNetwork::named_parameters() const {
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (auto& p : impl_->named_parameters(true)) out.emplace_back(p.key(), p.value());
  return out;
}

std::vector<std::pair<std::string, at::Tensor>> ScoreNetwork::named_buffers() const {
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (auto& p : impl_->named_buffers(true)) out.emplace_back(p.key(), p.value());
  return out;
}

std::int64_t ScoreNetwork::parameter_count() const {
  std::int64_t n = 0;
  for (auto& p : impl_->parameters()) n += p.numel();
  return n;
}

void ScoreNetwork::set_training(bool training) { impl_->train(training); }

double ScoreNetwork::flops_per_image(int h, int w) const { return impl_->flops(h, w); }

}  // namespace penumbra
