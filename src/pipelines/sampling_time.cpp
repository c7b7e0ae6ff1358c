#include "src/pipelines/sampling_time.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "priors/diffusion_prior.hpp"
#include "priors/patch_prior.hpp"

namespace penumbra {

namespace {

// Forwards to a patch prior's network, timing each call.
class ClockedPatchScore final : public PatchScore {
 public:
  ClockedPatchScore(std::shared_ptr<const PatchScore> inner, std::shared_ptr<CallClock> clock)
      : inner_(std::move(inner)), clock_(std::move(clock)) {}
  int patch_size() const override { return inner_->patch_size(); }
  bool uses_positions() const override { return inner_->uses_positions(); }
  int reference_height() const override { return inner_->reference_height(); }
  int reference_width() const override { return inner_->reference_width(); }
  at::Tensor score(const at::Tensor& p, const at::Tensor& s, const at::Tensor& pos) const override {
    return clock_->time([&] { return inner_->score(p, s, pos); }, p.size(0));
  }
  double flops_per_patch() const override { return inner_->flops_per_patch(); }
  double sigma_max() const override { return inner_->sigma_max(); }
  double sigma_min() const override { return inner_->sigma_min(); }
  std::string name() const override { return inner_->name(); }

 private:
  std::shared_ptr<const PatchScore> inner_;
  std::shared_ptr<CallClock> clock_;
};

}  // namespace

std::shared_ptr<const Prior> with_network_clock(std::shared_ptr<const Prior> prior,
                                                std::shared_ptr<CallClock> network) {
  auto patch = std::dynamic_pointer_cast<const PatchPrior>(prior);
  if (!patch) return prior;
  // The aliasing pointer keeps the original prior, the owner of its patch score, alive.
  std::shared_ptr<const PatchScore> inner(patch, &patch->patch_score());
  return std::make_shared<PatchPrior>(std::make_shared<ClockedPatchScore>(std::move(inner), std::move(network)),
                                      patch->height(), patch->width(), patch->options());
}

double prior_flops_per_image(const Prior& prior) {
  if (const auto* patch = dynamic_cast<const PatchPrior*>(&prior)) return patch->flops_per_score_call(1);
  if (const auto* whole = dynamic_cast<const DiffusionPrior*>(&prior); whole && !whole->is_patch_prior())
    return whole->network().flops_per_image(whole->height(), whole->width());
  return 0;
}

double SamplingTime::other() const { return std::max(0.0, seconds - prior - likelihood - final_draw); }
double SamplingTime::tiling() const { return network >= 0 ? std::max(0.0, prior - network) : 0.0; }
double SamplingTime::network_seconds() const { return network >= 0 ? network : prior; }

nlohmann::json SamplingTime::to_json() const {
  nlohmann::json j = {{"seconds", seconds},
                      {"prior_seconds", prior},
                      {"likelihood_seconds", likelihood},
                      {"final_draw_seconds", final_draw},
                      {"other_seconds", other()},
                      {"steps", steps},
                      {"prior_image_evaluations", prior_images},
                      {"score_evaluations_per_second", seconds > 0 ? double(prior_images) / seconds : 0.0},
                      {"network_seconds", network_seconds()},
                      {"tiling_seconds", tiling()},
                      {"overhead_fraction_of_network",
                       network_seconds() > 0 ? (other() + tiling()) / network_seconds() : 0.0}};
  if (flops_per_image > 0) {
    j["prior_gflop_per_image"] = flops_per_image / 1e9;
    j["prior_gflop_per_step"] = steps > 0 ? flops_per_image * double(prior_images) / double(steps) / 1e9 : 0.0;
    j["network_gflop_per_second"] = network_seconds() > 0 ? gflop_per_second() : 0.0;
  }
  return j;
}

double SamplingTime::gflop_per_second() const {
  return network_seconds() > 0 ? flops_per_image * double(prior_images) / network_seconds() / 1e9 : 0.0;
}

std::string SamplingTime::describe() const {
  auto pct = [&](double s) { return seconds > 0 ? 100 * s / seconds : 0.0; };
  const std::string split =
      network >= 0 ? fmt::format("; network {:.1f} s, tiling {:.1f} s", network, tiling()) : "";
  const std::string rate = flops_per_image > 0 && network_seconds() > 0
                               ? fmt::format("; {:.3g} GFLOP per image at {:.0f} GFLOP/s", flops_per_image / 1e9,
                                             gflop_per_second())
                               : "";
  const std::string fin =
      final_draw > 0 ? fmt::format(", exact final draw {:.1f} s ({:.0f} %)", final_draw, pct(final_draw)) : "";
  const double overhead = other() + tiling();
  return fmt::format("{:.1f} s in {} steps: prior {:.1f} s ({:.0f} %{}{}), likelihood {:.1f} s ({:.0f} %){}, other "
                     "{:.1f} s ({:.0f} %); overhead {:.1f} s = {:.1f} % of the {}'s; {:.1f} image-score evaluations/s",
                     seconds, steps, prior, pct(prior), split, rate, likelihood, pct(likelihood), fin, other(),
                     pct(other()), overhead, network_seconds() > 0 ? 100 * overhead / network_seconds() : 0.0,
                     flops_per_image > 0 ? "network" : "prior",
                     seconds > 0 ? double(prior_images) / seconds : 0.0);
}

SamplingTime sampling_time(const Posterior& posterior, double seconds, std::int64_t steps,
                           const CallClock* network) {
  const ScoreTiming& t = posterior.timing();
  SamplingTime s;
  s.seconds = seconds;
  s.prior = t.prior.seconds();
  s.likelihood = t.likelihood.seconds();
  s.final_draw = t.final_draw.seconds();
  s.network = network && dynamic_cast<const PatchPrior*>(&posterior.prior()) ? network->seconds() : -1;
  s.steps = steps;
  s.prior_images = t.prior.images();
  s.flops_per_image = prior_flops_per_image(posterior.prior());
  return s;
}

}  // namespace penumbra
