// penumbra prior-sample: unconditional samples of a diffusion prior (the
// posterior without likelihood, by the reverse-diffusion sampler of samplers/:
// em or pc, src/pipelines/prior_sampling.hpp) → samples.h5 + samples.png.
// Without --prior it uses the shipped data/prior/default.ckpt (see docs/prior.md).
#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "priors/diffusion_prior.hpp"
#include "src/cli/commands.hpp"
#include "src/cli/gaussian_limit_flags.hpp"
#include "src/core/log.hpp"
#include "src/core/rng.hpp"
#include "src/io/hdf5_store.hpp"
#include "src/io/png.hpp"
#include "src/pipelines/prior_sampling.hpp"

namespace penumbra::cli {

namespace {
struct SampleOptions {
  std::string prior;
  int size = 0;  // a patch prior's image size (0: its training images')
  int patch_shifts = 1;
  std::string patch_boundary = "clamp";
  std::string patch_shift_set = "fewest-tiles";
  PriorSamplingSettings sampling;
  GaussianLimitSettings gaussian;
  std::int64_t n = 16, batch = 16;
  int columns = 4;
};

void write_samples_png(const std::filesystem::path& path, const std::vector<float>& all, std::int64_t n, int h, int w,
                       int columns) {
  std::vector<ImagePanel> panels;
  for (std::int64_t i = 0; i < std::min<std::int64_t>(n, 64); ++i) {
    ImagePanel p;
    p.nx = w;
    p.ny = h;
    p.pixels.assign(all.begin() + i * h * w, all.begin() + (i + 1) * h * w);
    p.title = fmt::format("sample {}", i);
    p.cmap = ColorMap::kInferno;
    panels.push_back(std::move(p));
  }
  write_atomic(path, [&](const std::filesystem::path& tmp) { write_panels_png(tmp, panels, columns); });
}

void run_prior_sample(Context& ctx, const SampleOptions& o) {
  o.sampling.validate();
  o.gaussian.validate();
  PatchTilingOptions tiling;
  tiling.shifts = o.patch_shifts;
  tiling.boundary = PatchTilingOptions::parse_boundary(o.patch_boundary);
  tiling.shift_set = PatchTilingOptions::parse_shift_set(o.patch_shift_set);
  tiling.validate();
  std::filesystem::path ck = o.prior.empty() ? DiffusionPrior::default_checkpoint_path() : std::filesystem::path(o.prior);
  auto prior = DiffusionPrior::load(ck);
  apply_gaussian_limit(*prior, o.gaussian);
  auto drawn_from = checkpoint_sampling_prior(prior, o.size, tiling);
  RunFolder& run = ctx.run("prior-sample");
  const int h = drawn_from->height(), w = drawn_from->width();
  const auto& s = o.sampling;
  log().info("prior {} ({} steps of training), {}×{}, σ ∈ [{:.4g}, {:.4g}], sampler {} with {} steps", ck.string(),
             prior->training_steps(), h, w, prior->sigma_min(), prior->sigma_max(), s.sampler, s.steps);
  nlohmann::json patch_cost;
  if (auto pp = std::dynamic_pointer_cast<const PatchPrior>(drawn_from)) {
    patch_cost = {{"patch_size", pp->patch_score().patch_size()},
                  {"tiles_per_image", pp->max_tiles_per_image()},
                  {"shift_set", PatchTilingOptions::shift_set_name(pp->options().shift_set)},
                  {"gflop_per_score_call_per_image", pp->flops_per_score_call(1) / 1e9}};
    log().info("patch prior: ≤ {} tiles of {}² per image and score call, {:.3f} GFLOP", pp->max_tiles_per_image(),
               pp->patch_score().patch_size(), pp->flops_per_score_call(1) / 1e9);
  }
  auto sampler = make_prior_sampler(drawn_from, s);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(derive_seed(ctx.seed(), 0x5A3F1Eull));
  PriorDraws d{o.n, o.batch, h, w, prior->data_info().pixel_mean};
  auto x = draw_prior_samples(*sampler, d, gen, "prior-sample").contiguous();
  std::vector<float> all(x.data_ptr<float>(), x.data_ptr<float>() + x.numel());
  auto h5 = run.path("samples.h5");
  write_atomic(h5, [&](const std::filesystem::path& tmp) {
    Hdf5Store store(tmp, Hdf5Store::Mode::kCreate);
    Array<float> a;
    a.data = all;
    a.shape = {std::size_t(o.n), std::size_t(h), std::size_t(w)};
    store.write("/samples", a, prior->data_info().unit);
    store.set_attr("/samples", "prior", ck.string());
    store.set_attr("/samples", "sampler", s.sampler);
    store.set_attr("/samples", "steps", double(s.steps));
    store.set_attr("/samples", "normalisation", prior->data_info().normalisation);
  });
  write_samples_png(run.path("samples.png"), all, o.n, h, w, o.columns);
  run.finish({{"prior", ck.string()}, {"samples", o.n}, {"sampler", s.sampler}, {"steps", s.steps},
              {"sampler_description", sampler->describe()}, {"score_evaluations_per_sample", sampler->score_evaluations()},
              {"file", h5.string()}, {"size", h}, {"patch_prior", patch_cost},
              {"gaussian_limit", gaussian_limit_json(o.gaussian)}});
  fmt::print("{}\n", h5.string());
}
}  // namespace

Runner add_prior_sample(CLI::App& root) {
  auto* app = root.add_subcommand("prior-sample", "Draw unconditional samples from a diffusion prior");
  auto o = std::make_shared<SampleOptions>();
  auto& s = o->sampling;
  app->add_option("--prior", o->prior, "Prior checkpoint (default: the shipped data/prior/default.ckpt)");
  app->add_option("--n", o->n, "Number of samples")->capture_default_str()->check(CLI::PositiveNumber);
  app->add_option("--size", o->size,
                  "Image side (a patch prior: any multiple of its patch, default its training images'; a whole-image "
                  "prior: its own)");
  app->add_option("--patch-shifts", o->patch_shifts, "Shifted tilings averaged per score call (patch priors)")
      ->capture_default_str();
  app->add_option("--patch-boundary", o->patch_boundary, "Edge tiles of a patch prior: clamp or reflect")
      ->capture_default_str();
  app->add_option("--patch-shift-set", o->patch_shift_set,
                  "Tiling shifts a patch prior draws from: fewest-tiles (the cheapest, while they are at least half "
                  "of them) or all")
      ->capture_default_str();
  app->add_option("--sampler", s.sampler,
                  "em (reverse-diffusion predictor: Euler–Maruyama of the reverse VE SDE) or pc "
                  "(predictor–corrector)")
      ->capture_default_str();
  app->add_option("--steps", s.steps, "Reverse-SDE steps")->capture_default_str()->check(CLI::PositiveNumber);
  add_gaussian_limit_flags(app, o->gaussian);
  app->add_option("--snr", s.snr, "Langevin corrector signal-to-noise ratio (pc)")->capture_default_str();
  app->add_option("--corrector-steps", s.corrector_steps, "Corrector steps per predictor step (pc)")
      ->capture_default_str();
  app->add_option("--batch", o->batch, "Samples drawn together")->capture_default_str()->check(CLI::PositiveNumber);
  app->add_option("--columns", o->columns, "Columns of the PNG grid")->capture_default_str();
  return [o](Context& ctx) { run_prior_sample(ctx, *o); };
}

}  // namespace penumbra::cli
