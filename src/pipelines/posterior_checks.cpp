#include "src/pipelines/posterior_checks.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include "src/core/run_folder.hpp"
#include "src/diagnostics/posterior_summary.hpp"
#include "src/io/png.hpp"
#include "src/pipelines/planned_observation.hpp"

namespace penumbra {

namespace {

constexpr int kUvBins = 8;
constexpr std::int64_t kChunk = 16;  // images per NUFFT batch: bounds the memory of [K, M] model visibilities

double bin_centre_klambda(const UvBins& b, std::size_t i) { return 0.5 * (b.edges[i] + b.edges[i + 1]) / 1e3; }

}  // namespace

PosteriorChecks check_posterior(const PlannedObservation& obs, const at::Tensor& samples,
                                const std::vector<double>& mean) {
  PosteriorChecks c;
  const VisibilitySet& vis = obs.vis();
  c.bins = equal_count_uv_bins(vis.u, vis.v, kUvBins);
  c.noise_rms = dirty_noise_rms(vis.weight);
  const auto y = obs.data();
  const auto w = obs.weights();
  std::vector<at::Tensor> chi2, bins;
  for (std::int64_t k = 0; k < samples.size(0); k += kChunk) {
    auto model = obs.model_visibilities(samples.narrow(0, k, std::min<std::int64_t>(kChunk, samples.size(0) - k)));
    chi2.push_back(reduced_chi2(model, y, w));
    bins.push_back(binned_reduced_chi2(model, y, w, c.bins));
    for (std::int64_t j = 0; j < model.size(0); ++j) {
      auto r = obs.residual_dirty_image(model[j], vis.weight);
      c.beyond_3sigma_samples += fraction_beyond(r, c.noise_rms) / static_cast<double>(samples.size(0));
      c.residuals.insert(c.residuals.end(), r.begin(), r.end());
    }
  }
  c.chi2 = torch::cat(chi2);
  c.chi2_bins = torch::cat(bins);
  auto mean_model = obs.model_visibilities(image_tensor(mean, obs.grid()));
  c.chi2_of_mean = reduced_chi2(mean_model, y, w)[0].item<double>();
  c.chi2_bins_of_mean = binned_reduced_chi2(mean_model, y, w, c.bins)[0];
  c.mean_residual = obs.residual_dirty_image(mean_model[0], vis.weight);
  c.beyond_3sigma_of_mean = fraction_beyond(c.mean_residual, c.noise_rms);
  c.chi2_mean = c.chi2.mean().item<double>();
  c.fits = c.chi2_mean >= kChi2FitLow && c.chi2_mean <= kChi2FitHigh;
  return c;
}

void write_chi2_by_uv(const std::filesystem::path& dir, const PosteriorChecks& c) {
  std::string csv = "uv_min_klambda,uv_max_klambda,nvis,chi2_of_mean,chi2_samples_mean,chi2_samples_std\n";
  const auto mean = c.chi2_bins.mean(0), sd = c.chi2_bins.size(0) > 1 ? c.chi2_bins.std(0) : torch::zeros_like(mean);
  Series of_mean, samples, one;
  of_mean.label = "posterior mean";
  samples.label = "samples (mean)";
  one.label = "chi2 = 1";
  one.dashed = true;
  for (std::size_t i = 0; i < c.bins.count.size(); ++i) {
    const auto j = static_cast<std::int64_t>(i);
    csv += fmt::format("{:.6g},{:.6g},{},{:.6g},{:.6g},{:.6g}\n", c.bins.edges[i] / 1e3, c.bins.edges[i + 1] / 1e3,
                       c.bins.count[i], c.chi2_bins_of_mean[j].item<double>(), mean[j].item<double>(),
                       sd[j].item<double>());
    of_mean.x.push_back(bin_centre_klambda(c.bins, i));
    of_mean.y.push_back(c.chi2_bins_of_mean[j].item<double>());
    samples.x.push_back(of_mean.x.back());
    samples.y.push_back(mean[j].item<double>());
  }
  one.x = {of_mean.x.front(), of_mean.x.back()};
  one.y = {1.0, 1.0};
  write_text_atomic(dir / "chi2_uv.csv", csv);
  write_line_plot_png(dir / "chi2_uv.png", {samples, of_mean, one},
                      LinePlot{"reduced chi2 per uv-distance bin (equal counts)", "|uv| (klambda)", "reduced chi2"});
}

nlohmann::json checks_json(const PosteriorChecks& c) {
  const auto mean = c.chi2_bins.mean(0);
  nlohmann::json bins = nlohmann::json::array();
  for (std::size_t i = 0; i < c.bins.count.size(); ++i) {
    const auto j = static_cast<std::int64_t>(i);
    bins.push_back({{"uv_min_klambda", c.bins.edges[i] / 1e3},
                    {"uv_max_klambda", c.bins.edges[i + 1] / 1e3},
                    {"nvis", c.bins.count[i]},
                    {"chi2_of_mean", c.chi2_bins_of_mean[j].item<double>()},
                    {"chi2_samples_mean", mean[j].item<double>()}});
  }
  return {{"fits", c.fits},
          {"chi2_fit_range", {kChi2FitLow, kChi2FitHigh}},
          {"reduced_chi2_mean", c.chi2_mean},
          {"residual_noise_rms_jy_per_beam", c.noise_rms},
          {"residual_fraction_beyond_3sigma_of_mean", c.beyond_3sigma_of_mean},
          {"residual_fraction_beyond_3sigma_samples", c.beyond_3sigma_samples},
          {"residual_fraction_beyond_3sigma_expected", 0.0027},
          {"uv_bins", bins}};
}

}  // namespace penumbra
