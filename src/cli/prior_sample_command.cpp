// penumbra prior-sample: unconditional samples of a diffusion prior (reverse
// VE SDE, Euler–Maruyama or predictor–corrector) → samples.h5 + samples.png.
// Without --prior it uses the shipped data/prior/default.ckpt (see docs/prior.md).
#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "priors/diffusion_prior.hpp"
#include "priors/unconditional_sampling.hpp"
#include "src/cli/commands.hpp"
#include "src/core/errors.hpp"
#include "src/core/log.hpp"
#include "src/core/progress.hpp"
#include "src/core/rng.hpp"
#include "src/io/hdf5_store.hpp"
#include "src/io/png.hpp"

namespace penumbra::cli {

namespace {
struct SampleOptions {
  std::string prior, sampler = "em";
  std::int64_t n = 16, batch = 16;
  int steps = 500, corrector_steps = 1, columns = 4;
  double snr = 0.16;
};
}  // namespace

Runner add_prior_sample(CLI::App& root) {
  auto* app = root.add_subcommand("prior-sample", "Draw unconditional samples from a diffusion prior");
  auto o = std::make_shared<SampleOptions>();
  app->add_option("--prior", o->prior, "Prior checkpoint (default: the shipped data/prior/default.ckpt)");
  app->add_option("--n", o->n, "Number of samples")->capture_default_str()->check(CLI::PositiveNumber);
  app->add_option("--sampler", o->sampler, "em (Euler–Maruyama) or pc (predictor–corrector)")->capture_default_str();
  app->add_option("--steps", o->steps, "Reverse-SDE steps")->capture_default_str()->check(CLI::PositiveNumber);
  app->add_option("--snr", o->snr, "Langevin corrector signal-to-noise ratio (pc)")->capture_default_str();
  app->add_option("--corrector-steps", o->corrector_steps, "Corrector steps per predictor step (pc)")
      ->capture_default_str();
  app->add_option("--batch", o->batch, "Samples drawn together")->capture_default_str()->check(CLI::PositiveNumber);
  app->add_option("--columns", o->columns, "Columns of the PNG grid")->capture_default_str();
  return [o](Context& ctx) {
    ReverseSamplerOptions so;
    so.kind = ReverseSamplerOptions::parse_kind(o->sampler);
    so.steps = o->steps;
    so.snr = o->snr;
    so.corrector_steps = o->corrector_steps;
    std::filesystem::path ck = o->prior.empty() ? DiffusionPrior::default_checkpoint_path() : std::filesystem::path(o->prior);
    auto prior = DiffusionPrior::load(ck);
    RunFolder& run = ctx.run("prior-sample");
    int h = prior->height(), w = prior->width();
    log().info("prior {} ({} steps of training), {}×{}, σ ∈ [{:.4g}, {:.4g}], sampler {} with {} steps", ck.string(),
               prior->training_steps(), h, w, prior->sigma_min(), prior->sigma_max(), o->sampler, o->steps);
    auto gen = at::make_generator<at::CPUGeneratorImpl>(derive_seed(ctx.seed(), 0x5A3F1Eull));
    ScoreFn fn = [&](const at::Tensor& x, const at::Tensor& s) { return prior->score(x, s); };
    std::vector<float> all;
    Progress bar("prior-sample", ((o->n + o->batch - 1) / o->batch) * o->steps, "step");
    for (std::int64_t first = 0; first < o->n; first += o->batch) {
      auto b = std::min(o->batch, o->n - first);
      auto x = sample_reverse(fn, b, h, w, prior->sigma_max(), prior->sigma_min(), so, gen,
                              prior->data_info().pixel_mean, [&](int, double s) { bar.tick(1, fmt::format("σ {:.3g}", s)); });
      auto c = x.contiguous();
      all.insert(all.end(), c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
    }
    bar.finish();
    auto h5 = run.path("samples.h5");
    write_atomic(h5, [&](const std::filesystem::path& tmp) {
      Hdf5Store store(tmp, Hdf5Store::Mode::kCreate);
      Array<float> a;
      a.data = all;
      a.shape = {std::size_t(o->n), std::size_t(h), std::size_t(w)};
      store.write("/samples", a, prior->data_info().unit);
      store.set_attr("/samples", "prior", ck.string());
      store.set_attr("/samples", "sampler", o->sampler);
      store.set_attr("/samples", "steps", double(o->steps));
      store.set_attr("/samples", "normalisation", prior->data_info().normalisation);
    });
    std::vector<ImagePanel> panels;
    for (std::int64_t i = 0; i < std::min<std::int64_t>(o->n, 64); ++i) {
      ImagePanel p;
      p.nx = w;
      p.ny = h;
      p.pixels.assign(all.begin() + i * h * w, all.begin() + (i + 1) * h * w);
      p.title = fmt::format("sample {}", i);
      p.cmap = ColorMap::kInferno;
      panels.push_back(std::move(p));
    }
    write_atomic(run.path("samples.png"),
                 [&](const std::filesystem::path& tmp) { write_panels_png(tmp, panels, o->columns); });
    run.finish({{"prior", ck.string()}, {"samples", o->n}, {"sampler", o->sampler}, {"steps", o->steps},
                {"file", h5.string()}});
    fmt::print("{}\n", h5.string());
  };
}

}  // namespace penumbra::cli
