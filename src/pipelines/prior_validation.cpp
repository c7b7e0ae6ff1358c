#include "src/pipelines/prior_validation.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "priors/training.hpp"
#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/rng.hpp"
#include "src/core/statistics.hpp"
#include "src/datasets/training_set.hpp"
#include "src/io/hdf5_store.hpp"
#include "src/io/png.hpp"
#include "src/pipelines/prior_noise_levels.hpp"

namespace penumbra {
namespace prior_validation_impl {

constexpr std::uint64_t kSamplingStream = 0x5A3F1Eull;    // the same stream as prior-sample
constexpr std::uint64_t kReferenceStream = 0x4E1D0E7ull;  // no training run uses it (docs/prior.md)
constexpr std::uint64_t kGaussianFitStream = 0x6A055ull;  // nor this: the noise-level table's Gaussian
constexpr std::int64_t kNoiseLevelImages = 128;
constexpr std::int64_t kSamplingBatch = 16;

// Azimuthally averaged power |FFT|²/N² per integer radius, mean over images.
std::vector<double> radial_power(const torch::Tensor& x) {
  auto n = x.size(1);
  auto p = torch::fft::fft2(x.to(torch::kFloat64)).abs().square().mean(0) / double(n * n);
  auto f = torch::fft::fftfreq(n, torch::TensorOptions().dtype(torch::kFloat64)) * double(n);
  auto r = torch::sqrt(f.reshape({-1, 1}).square() + f.reshape({1, -1}).square()).round().to(torch::kLong);
  std::vector<double> sum(n / 2 + 1, 0), cnt(n / 2 + 1, 0);
  auto pa = p.accessor<double, 2>();
  auto ra = r.accessor<long, 2>();
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j)
      if (ra[i][j] <= n / 2) sum[ra[i][j]] += pa[i][j], cnt[ra[i][j]] += 1;
  for (std::size_t k = 0; k < sum.size(); ++k) sum[k] /= std::max(1.0, cnt[k]);
  return sum;
}

// Flux Σx and the flux-weighted RMS radius (pixels) of the positive part, per image.
struct FluxSize {
  std::vector<double> flux, size;
};

FluxSize flux_size(const torch::Tensor& x) {
  auto n = x.size(1), m = x.size(2);
  auto xd = x.to(torch::kFloat64);
  auto pos = xd.clamp_min(0);
  auto yy = torch::arange(n, torch::kFloat64).reshape({1, -1, 1});
  auto xx = torch::arange(m, torch::kFloat64).reshape({1, 1, -1});
  auto w = pos.sum({1, 2}).clamp_min(1e-12);
  auto cy = (pos * yy).sum({1, 2}) / w, cx = (pos * xx).sum({1, 2}) / w;
  auto r2 = (yy - cy.reshape({-1, 1, 1})).square() + (xx - cx.reshape({-1, 1, 1})).square();
  auto s = torch::sqrt((pos * r2).sum({1, 2}) / w);
  auto f = xd.sum({1, 2});
  FluxSize out;
  for (int i = 0; i < x.size(0); ++i) {
    out.flux.push_back(f[i].item<double>());
    out.size.push_back(s[i].item<double>());
  }
  return out;
}

// Mean |pixel| outside the inscribed circle (the corners), over all images: the
// generator's disks and galaxies are exactly 0 there, so it is a sample's residual
// floor, which also inflates the positive part's RMS radius.
double corner_abs_mean(const torch::Tensor& x) {
  const auto n = x.size(1), m = x.size(2);
  auto yy = torch::arange(n, torch::kFloat64).reshape({-1, 1}) - (n - 1) / 2.0;
  auto xx = torch::arange(m, torch::kFloat64).reshape({1, -1}) - (m - 1) / 2.0;
  auto corner = (yy.square() + xx.square()) > std::pow(std::min(n, m) / 2.0, 2);
  return x.to(torch::kFloat64).abs().masked_select(corner.unsqueeze(0).expand(x.sizes())).mean().item<double>();
}

// Two-sample Kolmogorov–Smirnov distance.
double ks_distance(std::vector<double> a, std::vector<double> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  std::size_t i = 0, j = 0;
  double d = 0;
  while (i < a.size() && j < b.size()) {
    double v = std::min(a[i], b[j]);
    while (i < a.size() && a[i] <= v) ++i;
    while (j < b.size() && b[j] <= v) ++j;
    d = std::max(d, std::abs(double(i) / a.size() - double(j) / b.size()));
  }
  return d;
}

Series cdf_series(std::vector<double> v, const std::string& label, bool dashed) {
  std::sort(v.begin(), v.end());
  Series s;
  s.label = label;
  s.dashed = dashed;
  for (std::size_t i = 0; i < v.size(); ++i) {
    s.x.push_back(v[i]);
    s.y.push_back(double(i + 1) / v.size());
  }
  return s;
}

// Samples (solid) and references (dashed) over the same abscissae.
std::vector<Series> paired_series(const std::vector<double>& x, const std::vector<double>& samples,
                                  const std::vector<double>& reference, const std::string& reference_label) {
  Series s1, s2;
  s1.label = "prior samples";
  s2.label = reference_label;
  s2.dashed = true;
  s1.x = s2.x = x;
  s1.y = samples;
  s2.y = reference;
  return {s1, s2};
}

// An image stack [N, h, w] from an HDF5 file (prior samples or reference images).
torch::Tensor read_stack(const std::string& path, const std::string& dataset, int h, int w) {
  Hdf5Store st(path, Hdf5Store::Mode::kRead);
  auto a = st.read_float(dataset);
  if (a.shape.size() != 3 || int(a.shape[1]) != h || int(a.shape[2]) != w)
    throw DataError(path + ":" + dataset + " is not [N," + std::to_string(h) + "," + std::to_string(w) +
                    "] (the prior's image size)");
  return torch::from_blob(a.data.data(), {std::int64_t(a.shape[0]), h, w}, torch::kFloat32).clone();
}

torch::Tensor prior_samples(std::shared_ptr<const Prior> prior, double start_mean, const PriorValidationOptions& o) {
  if (!o.samples_file.empty()) return read_stack(o.samples_file, "/samples", prior->height(), prior->width());
  auto sampler = make_prior_sampler(prior, o.sampling);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(derive_seed(o.seed, kSamplingStream));
  PriorDraws d{o.n, kSamplingBatch, prior->height(), prior->width(), start_mean};
  return draw_prior_samples(*sampler, d, gen, "prior-validate sampling");
}

struct References {
  torch::Tensor images;
  std::string label;
};

// The generator with a seed stream that training (0xDA7A) never used, or a given
// stack (real images; or the same images another implementation saw).
References held_out_references(const PriorValidationOptions& o, int h, int w, std::uint64_t stream = kReferenceStream) {
  References r;
  if (!o.reference_file.empty()) {
    auto all = read_stack(o.reference_file, "/images", h, w);
    r.images = all.slice(0, 0, std::min<std::int64_t>(o.reference, all.size(0)));
    r.label = "held-out " + std::filesystem::path(o.reference_file).filename().string();
    return r;
  }
  GalaxyOptions go;
  go.size = h;
  TrainingSetGenerator gen(parse_training_kind(o.kind), std::size_t(o.reference), go,
                           derive_seed(o.seed, stream));
  r.images = torch::empty({o.reference, h, w});
  gen.write_images(0, std::size_t(o.reference), r.images.data_ptr<float>());
  r.label = "held-out " + o.kind;
  return r;
}

// Mean |log10 P_samples − log10 P_ref| over k ≥ 1; writes power_spectrum.png.
double compare_power_spectra(const torch::Tensor& samples, const References& ref, RunFolder& run) {
  auto ps = radial_power(samples), pr = radial_power(ref.images);
  std::vector<double> k, ys, yr;
  double lps = 0;
  for (std::size_t i = 1; i < ps.size(); ++i) {
    k.push_back(double(i));
    ys.push_back(ps[i]);
    yr.push_back(pr[i]);
    lps += std::abs(std::log10(ps[i] / pr[i]));
  }
  LinePlot lp;
  lp.title = "radial power spectrum";
  lp.xlabel = "spatial frequency (cycles per image)";
  lp.ylabel = "power";
  lp.logx = lp.logy = true;
  write_line_plot_png(run.path("power_spectrum.png"), paired_series(k, ys, yr, ref.label), lp);
  return lps / double(ps.size() - 1);
}

void plot_pixel_histograms(const torch::Tensor& samples, const References& ref, RunFolder& run) {
  const int bins = 48;
  const double lo = -0.1, hi = 1.1;
  auto hist = [&](const torch::Tensor& x) {
    auto hv = torch::histc(x.to(torch::kFloat64).flatten(), bins, lo, hi);
    hv = hv / (x.numel() * (hi - lo) / bins);
    std::vector<double> out(bins);
    for (int i = 0; i < bins; ++i) out[i] = std::max(hv[i].item<double>(), 1e-6);
    return out;
  };
  std::vector<double> centres(bins);
  for (int i = 0; i < bins; ++i) centres[i] = lo + (i + 0.5) * (hi - lo) / bins;
  LinePlot hp;
  hp.title = "pixel histogram";
  hp.xlabel = "pixel value (network units)";
  hp.ylabel = "density";
  hp.logy = true;
  write_line_plot_png(run.path("pixel_histogram.png"), paired_series(centres, hist(samples), hist(ref.images), ref.label),
                      hp);
}

void plot_cdfs(const std::vector<double>& samples, const std::vector<double>& reference, const References& ref,
               const std::string& title, const std::string& xlabel, const std::filesystem::path& file) {
  LinePlot p;
  p.title = title;
  p.xlabel = xlabel;
  p.ylabel = "fraction";
  write_line_plot_png(file, {cdf_series(samples, "prior samples", false), cdf_series(reference, ref.label, true)}, p);
}

nlohmann::json sample_and_reference(double samples, double reference) {
  return {{"samples", samples}, {"reference", reference}};
}

// Mean power on the axes at ±k (4 points) over the mean power of the ring |k| ∈ [k − ½, k + ½).
double axis_to_ring(const torch::Tensor& x, int k) {
  const auto n = x.size(1);
  auto p = torch::fft::fft2(x.to(torch::kFloat64)).abs().square().mean(0);
  auto f = torch::fft::fftfreq(n, torch::TensorOptions().dtype(torch::kFloat64)) * double(n);
  auto r = torch::sqrt(f.reshape({-1, 1}).square() + f.reshape({1, -1}).square());
  auto ring = (r >= k - 0.5).logical_and(r < k + 0.5);
  const double ring_mean = p.masked_select(ring).mean().item<double>();
  const auto m = (n - k) % n;
  const double axis = (p[0][k] + p[0][m] + p[k][0] + p[m][0]).item<double>() / 4;
  return axis / ring_mean;
}

nlohmann::json seams_json(const TilePeriodPower& t) {
  return {{"tile_period_px", t.period_px},
          {"tile_frequency_cycles_per_image", t.frequency},
          {"axis_to_ring_power", sample_and_reference(t.axis_to_ring_samples, t.axis_to_ring_reference)},
          {"excess_at_tile_period", t.excess},
          {"radial_ratio_excess_at_tile_period", t.radial_ratio_excess}};
}

// The per-level table on the first references against a Gaussian fitted to images
// of the same kind that are neither references nor training images.
nlohmann::json noise_level_json(const Prior& prior, const References& ref, const PriorValidationOptions& o,
                                RunFolder& run) {
  if (o.noise_levels == 0) return nullptr;
  const int h = int(ref.images.size(1)), w = int(ref.images.size(2));
  auto fit_images = o.reference_file.empty() ? held_out_references(o, h, w, kGaussianFitStream).images : ref.images;
  auto gaussian = GaussianImageModel::fit(fit_images);
  NoiseLevelOptions nl;
  nl.levels = o.noise_levels;
  nl.seed = derive_seed(o.seed, kGaussianFitStream + 1);
  auto images = ref.images.slice(0, 0, std::min(kNoiseLevelImages, ref.images.size(0)));
  auto rows = noise_level_table(prior, gaussian, images, prior.sigma_min(), prior.sigma_max(), nl);
  return write_noise_level_table(rows, run.path("noise_levels.csv"), run.path("noise_levels.png"));
}

}  // namespace prior_validation_impl

TilePeriodPower tile_period_power(const at::Tensor& samples, const at::Tensor& references, int period_px) {
  using namespace prior_validation_impl;
  const auto n = samples.size(1);
  require_positive("tile period", period_px);
  if (samples.size(2) != n || references.size(1) != n || references.size(2) != n || n % period_px != 0 ||
      n / period_px < 2)
    throw UsageError(fmt::format("seam check: square images of the same side with ≥ 2 tiles of {} px needed", period_px));
  TilePeriodPower t;
  t.period_px = period_px;
  t.frequency = int(n / period_px);
  t.axis_to_ring_samples = axis_to_ring(samples, t.frequency);
  t.axis_to_ring_reference = axis_to_ring(references, t.frequency);
  t.excess = t.axis_to_ring_samples / t.axis_to_ring_reference;
  auto ps = radial_power(samples), pr = radial_power(references);
  const auto k = std::size_t(t.frequency);
  const double around = k + 1 < ps.size() ? 0.5 * (ps[k - 1] / pr[k - 1] + ps[k + 1] / pr[k + 1]) : ps[k - 1] / pr[k - 1];
  t.radial_ratio_excess = (ps[k] / pr[k]) / around;
  return t;
}

void PriorValidationOptions::validate() const {
  if (samples_file.empty()) {
    require_at_least<std::int64_t>("number of samples", n, 1);
    sampling.validate();
  }
  require_at_least<std::int64_t>("reference images", reference, 1);
  require_non_negative("noise levels", noise_levels);
  if (noise_levels == 1) fail_check("noise levels", "0 or >= 2", noise_levels);
  if (noise_levels > 0 && reference < 2)
    fail_check("reference images", ">= 2 for the noise-level table (or noise levels 0)", reference);
  tiling.validate();
  if (reference_file.empty()) parse_training_kind(kind);
}

nlohmann::json run_prior_validation(std::shared_ptr<const DiffusionPrior> prior, const std::filesystem::path& checkpoint,
                                    const PriorValidationOptions& o, RunFolder& run) {
  using namespace prior_validation_impl;
  o.validate();
  auto drawn_from = checkpoint_sampling_prior(prior, o.size, o.tiling);
  const int h = drawn_from->height(), w = drawn_from->width();
  if (h != w) throw DataError(checkpoint.string() + ": prior validation needs square images");
  auto samples = prior_samples(drawn_from, prior->data_info().pixel_mean, o);
  auto ref = held_out_references(o, h, w);
  samples = samples / prior->physical_scale();

  const double lps = compare_power_spectra(samples, ref, run);
  plot_pixel_histograms(samples, ref, run);
  auto s = flux_size(samples), r = flux_size(ref.images);
  plot_cdfs(s.flux, r.flux, ref, "flux distribution (CDF)", "flux (sum of pixels, network units)",
            run.path("flux_cdf.png"));
  plot_cdfs(s.size, r.size, ref, "size distribution (CDF)", "flux-weighted RMS radius (pixels)",
            run.path("size_cdf.png"));
  auto dsm_images = ref.images.slice(0, 0, std::min<std::int64_t>(256, ref.images.size(0)));
  double dsm =
      evaluate_dsm_loss(prior->network(), prior->sde(), dsm_images, 6, 32, 0x4E1Dull, prior->data_info().patch_size);
  auto levels = noise_level_json(*drawn_from, ref, o, run);
  nlohmann::json seams;  // null for a whole-image prior: it has no tiles
  const int tile = prior->data_info().patch_size;
  if (tile > 0 && h / tile >= 2) seams = seams_json(tile_period_power(samples, ref.images, tile));
  return {{"prior", checkpoint.string()},
          {"size", h},
          {"seams", seams},
          {"training_steps", prior->training_steps()},
          {"samples", samples.size(0)},
          {"reference_images", ref.images.size(0)},
          {"reference_kind", o.reference_file.empty() ? o.kind : o.reference_file},
          {"held_out_dsm_loss", dsm},
          {"noise_levels", levels},
          {"power_spectrum_mean_abs_log10_ratio", lps},
          {"flux_mean", sample_and_reference(mean(s.flux), mean(r.flux))},
          {"flux_std", sample_and_reference(sample_stdev(s.flux), sample_stdev(r.flux))},
          {"size_mean_px", sample_and_reference(mean(s.size), mean(r.size))},
          {"size_std_px", sample_and_reference(sample_stdev(s.size), sample_stdev(r.size))},
          {"flux_ks", ks_distance(s.flux, r.flux)},
          {"size_ks", ks_distance(s.size, r.size)},
          {"corner_abs_mean", sample_and_reference(corner_abs_mean(samples), corner_abs_mean(ref.images))},
          {"pixel_min", sample_and_reference(samples.min().item<double>(), ref.images.min().item<double>())},
          {"pixel_max", sample_and_reference(samples.max().item<double>(), ref.images.max().item<double>())}};
}

}  // namespace penumbra
