#include "src/pipelines/attention_concentration_report.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>

#include "src/core/run_folder.hpp"
#include "src/diagnostics/attention_concentration.hpp"

namespace penumbra {

namespace F = torch::nn::functional;

nlohmann::json AttentionConcentrationReport::to_json() const {
  return {{"maps", maps},
          {"mass_in_source", mass_in_source},
          {"entropy", entropy},
          {"source_fraction", source_fraction},
          {"source_threshold_sigma", k_sigma}};
}

namespace {
// [B, 1, h, w] maps → [B, S·S] on the image grid, float64.
torch::Tensor upsampled(const torch::Tensor& map, std::int64_t side) {
  return F::interpolate(map.to(torch::kFloat64), F::InterpolateFuncOptions()
                                                     .size(std::vector<std::int64_t>{side, side})
                                                     .mode(torch::kBilinear)
                                                     .align_corners(false))
      .flatten(1)
      .contiguous();
}
}  // namespace

AttentionConcentrationReport attention_concentration_report(Classifier& net, const LabelledImages& imgs,
                                                            const std::filesystem::path& csv,
                                                            double k_sigma) {
  torch::NoGradGuard no_grad;
  net.set_sampling(false);
  net.set_train(false);
  AttentionConcentrationReport r;
  r.k_sigma = k_sigma;
  const std::int64_t S = imgs.height, N = static_cast<std::int64_t>(imgs.size()), batch = 64;
  std::string rows = "id,label,map,mass_in_source,source_fraction,entropy\n";
  for (std::int64_t b0 = 0; b0 < N; b0 += batch) {
    const auto B = std::min(batch, N - b0);
    auto x = torch::from_blob(const_cast<float*>(imgs.image(b0)), {B, S, S}, torch::kFloat32).clone();
    net.forward(x);
    const auto maps = net.attention_maps();
    if (maps.empty()) return r;
    if (r.maps == 0) {
      r.maps = static_cast<int>(maps.size());
      r.mass_in_source.assign(maps.size(), 0.0);
      r.entropy.assign(maps.size(), 0.0);
    }
    std::vector<torch::Tensor> up;
    for (const auto& a : maps) up.push_back(upsampled(a, S));
    for (std::int64_t i = 0; i < B; ++i) {
      const float* px = imgs.image(b0 + i);
      const std::vector<double> image(px, px + S * S);
      const auto mask = source_mask(image, k_sigma);
      const auto id = imgs.ids.empty() ? std::to_string(b0 + i) : imgs.ids[b0 + i];
      for (std::size_t m = 0; m < up.size(); ++m) {
        const double* a = up[m][i].data_ptr<double>();
        const auto c = attention_concentration({a, static_cast<std::size_t>(S * S)}, mask);
        r.mass_in_source[m] += c.mass_in_source / N;
        r.entropy[m] += c.entropy / N;
        if (m == 0) r.source_fraction += c.source_fraction / N;
        rows += fmt::format("{},{},{},{:.6f},{:.6f},{:.6f}\n", id, imgs.class_names.at(imgs.labels[b0 + i]),
                            m + 1, c.mass_in_source, c.source_fraction, c.entropy);
      }
    }
  }
  if (r.maps > 0) write_text_atomic(csv, rows);
  return r;
}

}  // namespace penumbra
