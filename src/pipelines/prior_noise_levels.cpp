#include "src/pipelines/prior_noise_levels.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include <cmath>

#include "samplers/driver.hpp"
#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/run_folder.hpp"
#include "src/io/png.hpp"

namespace penumbra {

void NoiseLevelOptions::validate() const {
  require_at_least("noise levels", levels, 2);
  require_at_least<std::int64_t>("batch", batch, 1);
}

namespace {

struct LevelSums {
  double dsm = 0, dsm_g = 0, bias = 0, bias2 = 0, bias_g = 0, departure = 0, cross = 0, gap = 0;
};

void accumulate(const Prior& prior, const GaussianImageModel& g, const torch::Tensor& x, double sigma,
                at::Generator& gen, LevelSums& acc) {
  auto z = at::normal(0.0, 1.0, x.sizes(), gen, torch::TensorOptions().dtype(torch::kFloat64));
  auto xs = x + sigma * z;
  auto sig = torch::full({x.size(0)}, sigma, torch::kFloat64);
  auto s = prior.score(xs, sig).to(torch::kFloat64);
  auto sg = g.score(xs, sigma);
  acc.dsm += (sigma * s + z).square().mean({1, 2}).sum().item<double>();
  acc.dsm_g += (sigma * sg + z).square().mean({1, 2}).sum().item<double>();
  auto d = sigma * (sg - s);
  acc.cross += ((sigma * s + z) * d).mean({1, 2}).sum().item<double>();
  acc.gap += d.square().mean({1, 2}).sum().item<double>();
  // Σ(D − x) = Σ(σz + σ²s): the denoiser's flux error on each image.
  auto bias = (sigma * z + sigma * sigma * s).sum({1, 2});
  acc.bias += bias.sum().item<double>();
  acc.bias2 += bias.square().sum().item<double>();
  acc.bias_g += (sigma * z + sigma * sigma * sg).sum({1, 2}).sum().item<double>();
  acc.departure += ((s - sg).flatten(1).norm(2, 1) / sg.flatten(1).norm(2, 1).clamp_min(1e-300)).sum().item<double>();
}

}  // namespace

std::vector<NoiseLevelRow> noise_level_table(const Prior& prior, const GaussianImageModel& gaussian,
                                             const at::Tensor& images, double sigma_min, double sigma_max,
                                             const NoiseLevelOptions& o) {
  o.validate();
  require_positive("sigma_min", sigma_min);
  if (!(sigma_max > sigma_min)) fail_check("sigma_max", fmt::format("> sigma_min = {}", sigma_min), sigma_max);
  if (images.dim() != 3 || images.size(0) < 2)
    throw UsageError("noise-level table: images must be [N, H, W] with N >= 2; got " + c10::str(images.sizes()));
  const auto n = images.size(0);
  auto x = images.to(torch::kFloat64);
  const double flux = x.sum({1, 2}).mean().item<double>();
  std::vector<NoiseLevelRow> rows;
  for (int l = 0; l < o.levels; ++l) {
    const double sigma = sigma_min * std::pow(sigma_max / sigma_min, double(l) / (o.levels - 1));
    // One generator per level: a level's draws do not depend on how many levels there are.
    auto gen = make_generator(o.seed + std::uint64_t(l) * 0x9E3779B97F4A7C15ull);
    LevelSums acc;
    for (std::int64_t b = 0; b < n; b += o.batch)
      accumulate(prior, gaussian, x.slice(0, b, std::min(n, b + o.batch)), sigma, gen, acc);
    NoiseLevelRow r;
    r.sigma = sigma;
    r.dsm_loss = acc.dsm / n;
    r.gaussian_dsm_loss = acc.dsm_g / n;
    r.flux_reference = flux;
    r.flux_bias = acc.bias / n;
    r.flux_bias_se = std::sqrt(std::max(0.0, acc.bias2 / n - r.flux_bias * r.flux_bias) / (n - 1));
    r.gaussian_flux_bias = acc.bias_g / n;
    r.score_departure = acc.departure / n;
    // loss(w) = dsm + 2w·cross + w²·gap per image, means over the images.
    r.best_gaussian_weight = acc.gap > 0 ? -acc.cross / acc.gap : 0.0;
    r.best_blend_dsm_loss =
        r.dsm_loss + (2 * r.best_gaussian_weight * acc.cross + r.best_gaussian_weight * r.best_gaussian_weight * acc.gap) / n;
    rows.push_back(r);
  }
  return rows;
}

nlohmann::json write_noise_level_table(const std::vector<NoiseLevelRow>& rows, const std::filesystem::path& csv,
                                       const std::filesystem::path& png) {
  std::string f = "sigma,dsm_loss,gaussian_dsm_loss,flux_reference,flux_bias,flux_bias_se,gaussian_flux_bias,score_departure,"
                  "best_gaussian_weight,best_blend_dsm_loss\n";
  nlohmann::json out = nlohmann::json::array();
  Series bias, bias_g, departure;
  bias.label = "|flux bias| of the prior's denoiser";
  bias_g.label = "|flux bias| of the Gaussian's denoiser";
  bias_g.dashed = true;
  departure.label = "100 x score departure from the Gaussian";
  for (const auto& r : rows) {
    f += fmt::format("{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g}\n", r.sigma, r.dsm_loss,
                     r.gaussian_dsm_loss, r.flux_reference, r.flux_bias, r.flux_bias_se, r.gaussian_flux_bias,
                     r.score_departure, r.best_gaussian_weight, r.best_blend_dsm_loss);
    out.push_back({{"sigma", r.sigma},
                   {"dsm_loss", r.dsm_loss},
                   {"gaussian_dsm_loss", r.gaussian_dsm_loss},
                   {"flux_reference", r.flux_reference},
                   {"flux_bias", r.flux_bias},
                   {"flux_bias_se", r.flux_bias_se},
                   {"gaussian_flux_bias", r.gaussian_flux_bias},
                   {"score_departure", r.score_departure},
                   {"best_gaussian_weight", r.best_gaussian_weight},
                   {"best_blend_dsm_loss", r.best_blend_dsm_loss}});
    for (auto* s : {&bias, &bias_g, &departure}) s->x.push_back(r.sigma);
    bias.y.push_back(std::abs(r.flux_bias));
    bias_g.y.push_back(std::abs(r.gaussian_flux_bias));
    departure.y.push_back(100 * r.score_departure);
  }
  write_text_atomic(csv, f);
  LinePlot p;
  p.title = "denoiser flux bias and score departure per noise level";
  p.xlabel = "noise level sigma (network units)";
  p.ylabel = "flux (sum of pixels) / percent";
  p.logx = p.logy = true;
  write_line_plot_png(png, {bias, bias_g, departure}, p);
  return out;
}

}  // namespace penumbra
