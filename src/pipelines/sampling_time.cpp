#include "src/pipelines/sampling_time.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "priors/diffusion_prior.hpp"
#include "priors/patch_prior.hpp"

namespace penumbra {

double prior_flops_per_image(const Prior& prior) {
  if (const auto* patch = dynamic_cast<const PatchPrior*>(&prior)) return patch->flops_per_score_call(1);
  if (const auto* whole = dynamic_cast<const DiffusionPrior*>(&prior); whole && !whole->is_patch_prior())
    return whole->network().flops_per_image(whole->height(), whole->width());
  return 0;
}

double SamplingTime::other() const { return std::max(0.0, seconds - prior - likelihood - final_draw); }

nlohmann::json SamplingTime::to_json() const {
  nlohmann::json j = {{"seconds", seconds},
                      {"prior_seconds", prior},
                      {"likelihood_seconds", likelihood},
                      {"final_draw_seconds", final_draw},
                      {"other_seconds", other()},
                      {"steps", steps},
                      {"prior_image_evaluations", prior_images},
                      {"score_evaluations_per_second", seconds > 0 ? double(prior_images) / seconds : 0.0},
                      {"other_fraction_of_prior", prior > 0 ? other() / prior : 0.0}};
  if (flops_per_image > 0) {
    j["prior_gflop_per_image"] = flops_per_image / 1e9;
    j["prior_gflop_per_step"] = steps > 0 ? flops_per_image * double(prior_images) / double(steps) / 1e9 : 0.0;
    j["prior_gflop_per_second"] = prior > 0 ? flops_per_image * double(prior_images) / prior / 1e9 : 0.0;
  }
  return j;
}

std::string SamplingTime::describe() const {
  auto pct = [&](double s) { return seconds > 0 ? 100 * s / seconds : 0.0; };
  std::string rate = flops_per_image > 0 && prior > 0
                         ? fmt::format(", {:.3g} GFLOP per image at {:.0f} GFLOP/s", flops_per_image / 1e9,
                                       flops_per_image * double(prior_images) / prior / 1e9)
                         : "";
  std::string fin = final_draw > 0 ? fmt::format(", exact final draw {:.1f} s ({:.0f} %)", final_draw,
                                                 pct(final_draw))
                                   : "";
  return fmt::format("{:.1f} s in {} steps: prior {:.1f} s ({:.0f} %{}), likelihood {:.1f} s ({:.0f} %){}, other "
                     "{:.1f} s ({:.0f} %; {:.0f} % of the prior's); {:.1f} image-score evaluations/s",
                     seconds, steps, prior, pct(prior), rate, likelihood, pct(likelihood), fin, other(),
                     pct(other()), prior > 0 ? 100 * other() / prior : 0.0,
                     seconds > 0 ? double(prior_images) / seconds : 0.0);
}

SamplingTime sampling_time(const Posterior& posterior, double seconds, std::int64_t steps) {
  const ScoreTiming& t = posterior.timing();
  SamplingTime s;
  s.seconds = seconds;
  s.prior = t.prior.seconds();
  s.likelihood = t.likelihood.seconds();
  s.final_draw = t.final_draw.seconds();
  s.steps = steps;
  s.prior_images = t.prior.images();
  s.flops_per_image = prior_flops_per_image(posterior.prior());
  return s;
}

}  // namespace penumbra
