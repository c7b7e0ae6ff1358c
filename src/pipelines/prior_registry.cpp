#include "src/pipelines/prior_registry.hpp"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>

#include "priors/analytic_priors.hpp"
#include "priors/diffusion_prior.hpp"
#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/units.hpp"
#include "src/pipelines/prior_sampling.hpp"

namespace penumbra {

namespace {

PipelinePrior scaled(std::shared_ptr<const Prior> p, double scale) { return {std::move(p), PixelUnits{scale, 0.0}, ""}; }

PipelinePrior make_gaussian(const std::vector<double>& v, int) {
  require_positive("prior STD", v[1]);
  // Sampled in units of STD (x_phys = STD·x ~ N(MEAN, STD²)).
  return scaled(std::make_shared<GaussianPrior>(v[0] / v[1], 1.0), v[1]);
}

PipelinePrior make_laplace(const std::vector<double>& v, int) {
  require_positive("prior SCALE", v[1]);
  return scaled(std::make_shared<LaplacePrior>(v[0] / v[1], 1.0), v[1]);  // in units of SCALE, as above
}

PipelinePrior make_spectrum(const std::vector<double>& v, int size) {
  if (size <= 0) throw UsageError("prior spectrum:VARIANCE,SLOPE needs the image size");
  require_positive("prior VARIANCE", v[0]);
  // Unit per-pixel variance in prior units, as above.
  return scaled(std::make_shared<StationaryGaussianPrior>(0.0, power_law_spectrum(size, size, 1.0, v[1])),
                std::sqrt(v[0]));
}

// MAP regularisers work in the optimiser's units (map_imaging.hpp); MEM's default
// level and TV's smoothing ε are 1e-3 of them, and λ is the Laplace rate.
PipelinePrior make_mem(const std::vector<double>& v, int) { return scaled(std::make_shared<MaxEntropyPrior>(v[0], 1e-3), 1); }
PipelinePrior make_tv(const std::vector<double>& v, int) {
  return scaled(std::make_shared<TotalVariationPrior>(v[0], 1e-3), 1);
}
PipelinePrior make_l1(const std::vector<double>& v, int) { return scaled(std::make_shared<LaplacePrior>(0.0, 1.0 / v[0]), 1); }

Registry<PriorEntry> builtin_priors() {
  using R = PriorRole;
  Registry<PriorEntry> r("prior");
  r.add({"gaussian", {"MEAN", "STD"}, "i.i.d. Gaussian pixels, Jy/pixel", R::kSampling, make_gaussian});
  r.add({"laplace", {"LOC", "SCALE"}, "i.i.d. Laplace pixels (sparsity), Jy/pixel", R::kSampling, make_laplace});
  r.add({"spectrum", {"VARIANCE", "SLOPE"}, "stationary Gaussian with a power-law spectrum", R::kSampling,
         make_spectrum});
  r.add({"mem", {"LAMBDA"}, "maximum entropy", R::kRegulariser, make_mem});
  r.add({"tv", {"LAMBDA"}, "total variation", R::kRegulariser, make_tv});
  r.add({"l1", {"LAMBDA"}, "L1 sparsity", R::kRegulariser, make_l1});
  return r;
}

// The numbers after ':' of NAME:P1,P2, as many as the entry has parameters.
std::vector<double> spec_numbers(const std::string& spec, std::size_t n) {
  auto v = parse_number_list(spec.substr(spec.find(':') + 1), "prior " + spec.substr(0, spec.find(':')));
  if (v.size() != n)
    throw UsageError(fmt::format("prior {}: expected {} numbers after ':', got {}", spec, n, v.size()));
  return v;
}

// A patch checkpoint becomes a prior on size×size images (its training images' size when not given).
PipelinePrior load_checkpoint_prior(const std::string& path, int size, const GaussianLimitSettings& limit) {
  require_exists(path, "prior checkpoint");
  auto dp = DiffusionPrior::load(path);
  apply_gaussian_limit(*dp, limit);
  PixelUnits units{dp->data_info().unit == "Jy/pixel" ? dp->data_info().scale : 0.0, 0.0};
  const std::string variant = limit.kind == "none" ? "" : gaussian_limit_json(limit).dump();
  return {checkpoint_sampling_prior(dp, size), units, path, variant};
}

}  // namespace

std::string PriorEntry::syntax() const {
  std::string s = name;
  for (std::size_t i = 0; i < parameters.size(); ++i) s += (i == 0 ? ":" : ",") + parameters[i];
  return s;
}

Registry<PriorEntry>& prior_registry() {
  static Registry<PriorEntry> registry = builtin_priors();
  return registry;
}

std::string prior_syntax_list(PriorRole role) {
  std::string s;
  for (const auto& e : prior_registry().entries())
    if (e.role == role) s += (s.empty() ? "" : " | ") + e.syntax();
  return s;
}

std::string prior_names(PriorRole role) {
  std::vector<std::string> names;
  for (const auto& e : prior_registry().entries())
    if (e.role == role) names.push_back(e.name);
  std::string s;
  for (std::size_t i = 0; i < names.size(); ++i)
    s += (i == 0 ? "" : (i + 1 == names.size() ? " or " : ", ")) + names[i];
  return s;
}

PipelinePrior load_pipeline_prior(const std::string& spec, int size, const GaussianLimitSettings& limit) {
  limit.validate();
  if (spec.empty())
    throw UsageError(fmt::format("prior is empty: give {} or a checkpoint", prior_syntax_list(PriorRole::kSampling)));
  PipelinePrior lp;
  const auto colon = spec.find(':');
  const PriorEntry* e = colon == std::string::npos ? nullptr : prior_registry().find(spec.substr(0, colon));
  if (e && e->role == PriorRole::kSampling) {
    if (limit.kind != "none")
      throw UsageError(fmt::format("gaussian limit {}: prior {} is not a diffusion checkpoint", limit.kind, spec));
    lp = e->make(spec_numbers(spec, e->parameters.size()), size);
  } else if (colon != std::string::npos && !std::filesystem::exists(spec)) {
    throw UsageError(fmt::format("prior {}: unknown prior '{}'; known priors are {} or a checkpoint file", spec,
                                 spec.substr(0, colon), prior_syntax_list(PriorRole::kSampling)));
  } else {
    lp = load_checkpoint_prior(spec, size, limit);
  }
  lp.spec = spec;
  if (size > 0 && lp.prior->height() > 0 && (lp.prior->height() != size || lp.prior->width() != size))
    throw UsageError(fmt::format("prior {} is defined on {}x{} images but the image size is {}", spec,
                                 lp.prior->width(), lp.prior->height(), size));
  return lp;
}

PipelinePrior make_regulariser(const std::string& name, double lambda) {
  const PriorEntry* e = prior_registry().find(name);
  if (!e || e->role != PriorRole::kRegulariser)
    throw UsageError(fmt::format("regulariser must be {}, got '{}'", prior_names(PriorRole::kRegulariser), name));
  require_positive("lambda", lambda);
  auto lp = e->make({lambda}, 0);
  lp.spec = name;
  return lp;
}

}  // namespace penumbra
