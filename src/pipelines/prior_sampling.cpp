#include "src/pipelines/prior_sampling.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <optional>
#include <vector>

#include "samplers/diffusion_samplers.hpp"
#include "samplers/driver.hpp"
#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/progress.hpp"
#include "src/core/rng.hpp"
#include "src/datasets/training_set.hpp"

namespace penumbra {

void PriorSamplingSettings::validate() const {
  require_in("sampler", sampler, {"em", "pc"});
  require_at_least<std::int64_t>("steps", steps, 1);
  require_non_negative("corrector steps", corrector_steps);
  require_positive("snr", snr);
}

std::shared_ptr<const Prior> checkpoint_sampling_prior(std::shared_ptr<const DiffusionPrior> prior, int size,
                                                       const PatchTilingOptions& tiling) {
  require_non_negative("image size", size);
  if (prior->is_patch_prior()) {
    const int side = size > 0 ? size : prior->data_info().height;
    return make_patch_prior(std::move(prior), side, side, tiling);
  }
  if (size > 0 && (prior->height() != size || prior->width() != size))
    throw UsageError(fmt::format("prior {} is defined on {}x{} images but the image size is {} (a whole-image "
                                 "prior; a patch prior from train-prior --patch-size samples any multiple of its patch)",
                                 prior->name(), prior->width(), prior->height(), size));
  return prior;
}

void GaussianLimitSettings::validate() const {
  require_in("gaussian limit", kind, {"none", "galaxies", "disks", "mix"});
  if (kind == "none") return;
  GaussianLimit{nullptr, sigma_from, sigma_to}.validate();
  require_at_least<std::int64_t>("gaussian limit images", images, 2);
}

void apply_gaussian_limit(DiffusionPrior& prior, const GaussianLimitSettings& s) {
  s.validate();
  if (s.kind == "none") return prior.set_gaussian_limit({});
  if (prior.is_patch_prior()) throw UsageError("gaussian limit: " + prior.name() + " is a patch prior");
  GalaxyOptions go;
  go.size = prior.height();
  TrainingSetGenerator gen(parse_training_kind(s.kind), std::size_t(s.images), go, derive_seed(0, 0x6A055717ull));
  auto images = torch::empty({s.images, prior.height(), prior.width()});
  gen.write_images(0, std::size_t(s.images), images.data_ptr<float>());
  auto model = std::make_shared<GaussianImageModel>(GaussianImageModel::fit(images));
  prior.set_gaussian_limit({model, s.sigma_from, s.sigma_to, s.kind});
}

nlohmann::json gaussian_limit_json(const GaussianLimitSettings& s) {
  if (s.kind == "none") return nullptr;
  return {{"kind", s.kind}, {"sigma_from", s.sigma_from}, {"sigma_to", s.sigma_to}, {"images", s.images}};
}

std::unique_ptr<Sampler> make_prior_sampler(std::shared_ptr<const Prior> prior, const PriorSamplingSettings& s) {
  s.validate();
  PredictorCorrectorOptions p;
  p.levels = s.steps + 1;
  p.corrector_steps = s.sampler == "pc" ? s.corrector_steps : 0;
  p.snr = s.snr;
  return std::make_unique<PredictorCorrector>(std::make_shared<Posterior>(std::move(prior)), p);
}

at::Tensor draw_prior_samples(const Sampler& sampler, const PriorDraws& d, at::Generator& gen,
                              const std::string& progress_label) {
  require_at_least<std::int64_t>("number of samples", d.n, 1);
  require_at_least<std::int64_t>("batch", d.batch, 1);
  std::optional<Progress> bar;
  if (!progress_label.empty())
    bar.emplace(progress_label, ((d.n + d.batch - 1) / d.batch) * sampler.total_steps(), "step");
  DriverOptions driver;
  driver.progress = bar ? &*bar : nullptr;
  const auto start = torch::scalar_tensor(d.start_mean, torch::kFloat64);
  std::vector<at::Tensor> parts;
  for (std::int64_t first = 0; first < d.n; first += d.batch) {
    SamplerShape shape{std::min(d.batch, d.n - first), d.height, d.width, torch::kFloat};
    auto state = sampler.init(shape, gen, start);
    parts.push_back(run_sampler(sampler, state, gen, driver));
  }
  if (bar) bar->finish();
  return torch::cat(parts, 0);
}

}  // namespace penumbra
