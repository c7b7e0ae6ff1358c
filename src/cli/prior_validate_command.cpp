// penumbra prior-validate: prior samples against held-out generator images —
// radial power spectrum, pixel histogram, flux and size distributions (PNG
// figures + numbers in run.json) and the held-out DSM loss. See docs/validation.md.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "priors/diffusion_prior.hpp"
#include "src/cli/commands.hpp"
#include "src/cli/gaussian_limit_flags.hpp"
#include "src/pipelines/prior_validation.hpp"

namespace penumbra::cli {

namespace {
struct ValidateOptions {
  std::string prior;
  PriorValidationOptions run;
  GaussianLimitSettings gaussian;
  std::string weights = "ema";
};
}  // namespace

Runner add_prior_validate(CLI::App& root) {
  auto* app = root.add_subcommand("prior-validate",
                                  "Compare diffusion-prior samples with held-out generator images (spectra, "
                                  "histograms, flux, size, held-out DSM loss)");
  auto o = std::make_shared<ValidateOptions>();
  auto& r = o->run;
  app->add_option("--prior", o->prior, "Prior checkpoint (default: the shipped data/prior/default.ckpt)");
  app->add_option("--samples", r.samples_file, "samples.h5 from prior-sample (default: draw --n samples here)");
  app->add_option("--n", r.n, "Samples to draw when --samples is not given")->capture_default_str();
  app->add_option("--size", r.size,
                  "Image side of a patch prior's samples and references (default: its training images'); the "
                  "run.json reports the excess power at the tile period (seams)");
  app->add_option("--patch-shifts", r.tiling.shifts, "Shifted tilings averaged per score call (patch priors)")
      ->capture_default_str();
  app->add_option_function<std::string>(
      "--patch-shift-set", [o](const std::string& v) { o->run.tiling.shift_set = PatchTilingOptions::parse_shift_set(v); },
      "Tiling shifts a patch prior draws from: fewest-tiles (default) or all");
  app->add_option("--steps", r.sampling.steps, "Reverse-diffusion steps when drawing")->capture_default_str();
  app->add_option("--sampler", r.sampling.sampler, "em or pc when drawing (as prior-sample)")->capture_default_str();
  app->add_option("--reference", r.reference, "Held-out generator images (a seed stream training never used)")
      ->capture_default_str();
  app->add_option("--kind", r.kind, "Held-out images to compare with: galaxies, disks or mix")
      ->capture_default_str()
      ->check(CLI::IsMember({"galaxies", "disks", "mix"}));
  app->add_option("--noise-levels", r.noise_levels,
                  "Noise levels of the per-level table (noise_levels.csv/.png: held-out DSM loss, the denoiser's "
                  "flux bias and the score's departure from a fitted Gaussian per sigma); 0: none")
      ->capture_default_str();
  app->add_option("--reference-file", r.reference_file,
                  "Held-out images from an HDF5 stack (/images [N,H,W], e.g. from penumbra dataset) instead of "
                  "the generator; the first --reference are used");
  app->add_option("--weights", o->weights,
                  "The checkpoint's weights to validate: ema (what every command uses) or raw (the optimiser's)")
      ->capture_default_str()
      ->check(CLI::IsMember({"ema", "raw"}));
  add_gaussian_limit_flags(app, o->gaussian);
  return [o](Context& ctx) {
    o->run.seed = ctx.seed();
    o->run.validate();
    o->gaussian.validate();
    std::filesystem::path ck =
        o->prior.empty() ? DiffusionPrior::default_checkpoint_path() : std::filesystem::path(o->prior);
    auto prior = DiffusionPrior::load(ck, o->weights == "ema");
    RunFolder& run = ctx.run("prior-validate");
    apply_gaussian_limit(*prior, o->gaussian);
    auto res = run_prior_validation(prior, ck, o->run, run);
    res["gaussian_limit"] = gaussian_limit_json(o->gaussian);
    res["weights"] = o->weights;
    run.finish(res);
    fmt::print("{}\n", res.dump(2));
  };
}

}  // namespace penumbra::cli
