// penumbra prior-validate: prior samples against held-out generator images —
// radial power spectrum, pixel histogram, flux and size distributions (PNG
// figures + numbers in run.json) and the held-out DSM loss. See docs/validation.md.
#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "priors/diffusion_prior.hpp"
#include "priors/unconditional_sampling.hpp"
#include "src/cli/commands.hpp"
#include "src/core/errors.hpp"
#include "src/core/log.hpp"
#include "src/core/progress.hpp"
#include "src/core/rng.hpp"
#include "src/core/statistics.hpp"
#include "src/datasets/training_set.hpp"
#include "src/io/hdf5_store.hpp"
#include "src/io/png.hpp"

namespace penumbra::cli {

namespace {

struct ValidateOptions {
  std::string prior, samples, sampler = "em", kind = "galaxies", reference_file;
  std::int64_t n = 64, reference = 512;
  int steps = 500;
};

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
void flux_size(const torch::Tensor& x, std::vector<double>& flux, std::vector<double>& size) {
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
  for (int i = 0; i < x.size(0); ++i) {
    flux.push_back(f[i].item<double>());
    size.push_back(s[i].item<double>());
  }
}

// Two-sample Kolmogorov–Smirnov distance.
double ks(std::vector<double> a, std::vector<double> b) {
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

Series cdf(std::vector<double> v, const std::string& label, bool dashed) {
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

// An image stack [N, h, w] from an HDF5 file (prior samples or reference images).
torch::Tensor read_stack(const std::string& path, const std::string& dataset, int h, int w) {
  Hdf5Store st(path, Hdf5Store::Mode::kRead);
  auto a = st.read_float(dataset);
  if (a.shape.size() != 3 || int(a.shape[1]) != h || int(a.shape[2]) != w)
    throw DataError(path + ":" + dataset + " is not [N," + std::to_string(h) + "," + std::to_string(w) +
                    "] (the prior's image size)");
  return torch::from_blob(a.data.data(), {std::int64_t(a.shape[0]), h, w}, torch::kFloat32).clone();
}

}  // namespace

Runner add_prior_validate(CLI::App& root) {
  auto* app = root.add_subcommand("prior-validate",
                                  "Compare diffusion-prior samples with held-out generator images (spectra, "
                                  "histograms, flux, size, held-out DSM loss)");
  auto o = std::make_shared<ValidateOptions>();
  app->add_option("--prior", o->prior, "Prior checkpoint (default: the shipped data/prior/default.ckpt)");
  app->add_option("--samples", o->samples, "samples.h5 from prior-sample (default: draw --n samples here)");
  app->add_option("--n", o->n, "Samples to draw when --samples is not given")->capture_default_str();
  app->add_option("--steps", o->steps, "Euler–Maruyama steps when drawing")->capture_default_str();
  app->add_option("--sampler", o->sampler, "em or pc when drawing")->capture_default_str();
  app->add_option("--reference", o->reference, "Held-out generator images (a seed stream training never used)")
      ->capture_default_str();
  app->add_option("--kind", o->kind, "Held-out images to compare with: galaxies, disks or mix")
      ->capture_default_str()
      ->check(CLI::IsMember({"galaxies", "disks", "mix"}));
  app->add_option("--reference-file", o->reference_file,
                  "Held-out images from an HDF5 stack (/images [N,H,W], e.g. from penumbra dataset) instead of "
                  "the generator; the first --reference are used");
  return [o](Context& ctx) {
    std::filesystem::path ck = o->prior.empty() ? DiffusionPrior::default_checkpoint_path() : std::filesystem::path(o->prior);
    auto prior = DiffusionPrior::load(ck);
    RunFolder& run = ctx.run("prior-validate");
    int h = prior->height(), w = prior->width();
    if (h != w) throw DataError(ck.string() + ": prior-validate needs square images");
    torch::Tensor samples;
    if (!o->samples.empty()) {
      samples = read_stack(o->samples, "/samples", h, w);
    } else {
      ReverseSamplerOptions so;
      so.kind = ReverseSamplerOptions::parse_kind(o->sampler);
      so.steps = o->steps;
      auto gen = at::make_generator<at::CPUGeneratorImpl>(derive_seed(ctx.seed(), 0x5A3F1Eull));
      ScoreFn fn = [&](const at::Tensor& x, const at::Tensor& s) { return prior->score(x, s); };
      std::vector<torch::Tensor> parts;
      Progress bar("prior-validate sampling", ((o->n + 15) / 16) * o->steps, "step");
      for (std::int64_t i = 0; i < o->n; i += 16)
        parts.push_back(sample_reverse(fn, std::min<std::int64_t>(16, o->n - i), h, w, prior->sigma_max(),
                                       prior->sigma_min(), so, gen, prior->data_info().pixel_mean,
                                       [&](int, double) { bar.tick(); }));
      bar.finish();
      samples = torch::cat(parts, 0);
    }
    // Held-out references: the generator with a seed stream that training (0xDA7A) never
    // used, or a given stack (real images; or the same images another implementation saw).
    torch::Tensor ref;
    std::string ref_label = "held-out " + o->kind;
    if (!o->reference_file.empty()) {
      ref = read_stack(o->reference_file, "/images", h, w);
      ref = ref.slice(0, 0, std::min<std::int64_t>(o->reference, ref.size(0)));
      ref_label = "held-out " + std::filesystem::path(o->reference_file).filename().string();
    } else {
      GalaxyOptions go;
      go.size = h;
      const auto kind = parse_training_kind(o->kind);
      TrainingSetGenerator gen(kind, std::size_t(o->reference), go, derive_seed(ctx.seed(), 0x4E1D0E7ull));
      ref = torch::empty({o->reference, h, w});
      gen.write_images(0, std::size_t(o->reference), ref.data_ptr<float>());
    }
    samples = samples / prior->physical_scale();

    auto ps = radial_power(samples), pr = radial_power(ref);
    Series s1, s2;
    s1.label = "prior samples";
    s2.label = ref_label;
    s2.dashed = true;
    for (std::size_t k = 1; k < ps.size(); ++k) {
      s1.x.push_back(double(k));
      s1.y.push_back(ps[k]);
      s2.x.push_back(double(k));
      s2.y.push_back(pr[k]);
    }
    LinePlot lp;
    lp.title = "radial power spectrum";
    lp.xlabel = "spatial frequency (cycles per image)";
    lp.ylabel = "power";
    lp.logx = lp.logy = true;
    write_line_plot_png(run.path("power_spectrum.png"), {s1, s2}, lp);

    const int bins = 48;
    const double lo = -0.1, hi = 1.1;
    auto hist = [&](const torch::Tensor& x) {
      auto hv = torch::histc(x.to(torch::kFloat64).flatten(), bins, lo, hi);
      hv = hv / (x.numel() * (hi - lo) / bins);
      std::vector<double> out(bins);
      for (int i = 0; i < bins; ++i) out[i] = std::max(hv[i].item<double>(), 1e-6);
      return out;
    };
    auto hs = hist(samples), hr = hist(ref);
    Series h1, h2;
    h1.label = "prior samples";
    h2.label = ref_label;
    h2.dashed = true;
    for (int i = 0; i < bins; ++i) {
      double c = lo + (i + 0.5) * (hi - lo) / bins;
      h1.x.push_back(c);
      h1.y.push_back(hs[i]);
      h2.x.push_back(c);
      h2.y.push_back(hr[i]);
    }
    LinePlot hp;
    hp.title = "pixel histogram";
    hp.xlabel = "pixel value (network units)";
    hp.ylabel = "density";
    hp.logy = true;
    write_line_plot_png(run.path("pixel_histogram.png"), {h1, h2}, hp);

    std::vector<double> fs, ss, fr, sr;
    flux_size(samples, fs, ss);
    flux_size(ref, fr, sr);
    LinePlot fp;
    fp.title = "flux distribution (CDF)";
    fp.xlabel = "flux (sum of pixels, network units)";
    fp.ylabel = "fraction";
    write_line_plot_png(run.path("flux_cdf.png"), {cdf(fs, "prior samples", false), cdf(fr, ref_label, true)}, fp);
    LinePlot sp;
    sp.title = "size distribution (CDF)";
    sp.xlabel = "flux-weighted RMS radius (pixels)";
    sp.ylabel = "fraction";
    write_line_plot_png(run.path("size_cdf.png"), {cdf(ss, "prior samples", false), cdf(sr, ref_label, true)}, sp);

    double dsm = evaluate_dsm_loss(prior->network(), prior->sde(), ref.slice(0, 0, std::min<std::int64_t>(256, ref.size(0))),
                                   6, 32, 0x4E1Dull);
    double lps = 0;  // mean |log10 P_samples − log10 P_ref| over k ≥ 1
    for (std::size_t k = 1; k < ps.size(); ++k) lps += std::abs(std::log10(ps[k] / pr[k]));
    lps /= double(ps.size() - 1);
    nlohmann::json res{{"prior", ck.string()},
                       {"training_steps", prior->training_steps()},
                       {"samples", samples.size(0)},
                       {"reference_images", ref.size(0)},
                       {"reference_kind", o->reference_file.empty() ? o->kind : o->reference_file},
                       {"held_out_dsm_loss", dsm},
                       {"power_spectrum_mean_abs_log10_ratio", lps},
                       {"flux_mean", {{"samples", mean(fs)}, {"reference", mean(fr)}}},
                       {"flux_std", {{"samples", sample_stdev(fs)}, {"reference", sample_stdev(fr)}}},
                       {"size_mean_px", {{"samples", mean(ss)}, {"reference", mean(sr)}}},
                       {"size_std_px", {{"samples", sample_stdev(ss)}, {"reference", sample_stdev(sr)}}},
                       {"flux_ks", ks(fs, fr)},
                       {"size_ks", ks(ss, sr)},
                       {"pixel_min", {{"samples", samples.min().item<double>()}, {"reference", ref.min().item<double>()}}},
                       {"pixel_max", {{"samples", samples.max().item<double>()}, {"reference", ref.max().item<double>()}}}};
    run.finish(res);
    fmt::print("{}\n", res.dump(2));
  };
}

}  // namespace penumbra::cli
