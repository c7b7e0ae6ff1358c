#include "src/pipelines/sampling_validation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "instruments/array_layout.hpp"
#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/log.hpp"
#include "src/core/rng.hpp"
#include "src/core/run_folder.hpp"
#include "src/core/statistics.hpp"
#include "src/core/units.hpp"
#include "src/datasets/protoplanetary_disk.hpp"
#include "src/pipelines/observe.hpp"
#include "src/pipelines/posterior_run.hpp"
#include "src/pipelines/prior_registry.hpp"

namespace penumbra {

namespace fs = std::filesystem;

namespace {

// Streams of case j: derive_seed(seed, stream + j). The disk stream is the coverage
// study's held-out one, so neither draws a disk a prior was trained on.
constexpr std::uint64_t kDiskStream = 1'000'000'000ull, kArrayStream = 2'000'000'000ull,
                        kNoiseStream = 3'000'000'000ull, kSamplingStream = 4'000'000'000ull;
constexpr double kAs209Ra = 252.314 * kDeg, kAs209Dec = -14.369 * kDeg;

struct DrawnObservation {
  ObserveRequest request;
  SkyModel sky;
  std::string array;
};

DrawnObservation draw_observation(const SamplingValidationOptions& o, int j) {
  const auto ju = static_cast<std::uint64_t>(j);
  DrawnObservation d;
  d.sky.grid = ImageGrid{o.size, o.size, o.cell, kAs209Ra, kAs209Dec};
  const ProtoplanetaryDisk disk = random_disk(derive_seed(o.seed, kDiskStream + ju), d.sky.grid);
  d.sky.pixels = render_disk(disk, d.sky.grid);
  d.sky.flux = disk.flux;
  d.sky.description = "disk " + disk.describe();
  d.sky.field = fmt::format("case_{:05d}", j);

  Rng g = make_rng(o.seed, kArrayStream + ju);
  std::uniform_real_distribution<double> u01(0.0, 1.0);
  const double scale = o.layout_scale_min + (1.0 - o.layout_scale_min) * u01(g);
  const double half_span = o.ha_min + (o.ha_max - o.ha_min) * u01(g);
  const double noise = o.noise_min * std::pow(o.noise_max / o.noise_min, u01(g));
  ObserveRequest& r = d.request;
  r.layout = alma_long_layout();
  for (auto* axis : {&r.layout.east, &r.layout.north, &r.layout.up})
    for (double& x : *axis) x *= scale;
  r.layout.name = fmt::format("alma-long × {:.3f}", scale);
  const double ha = half_span / 86164.0905 * 2 * kPi;  // sidereal seconds → radians
  r.uvw.ra = kAs209Ra;
  r.uvw.dec = kAs209Dec;
  r.uvw.ha_start = -ha;
  r.uvw.ha_end = ha;
  r.uvw.integration = o.integration;
  r.freqs = {o.freq_hz};
  r.chan_width = 7.5e9;
  r.model_method = "nufft";
  r.nufft_epsilon = 1e-9;
  r.noise_rms = noise;
  r.seed = derive_seed(o.seed, kNoiseStream + ju);
  d.array = fmt::format("{}, ±{:.2f} h, noise {:.3g} Jy", r.layout.name, half_span / 3600.0, noise);
  return d;
}

ValidationCase case_from_summary(int j, const nlohmann::json& c, const nlohmann::json& s) {
  ValidationCase v;
  v.index = j;
  v.sky = c.at("sky").get<std::string>();
  v.array = c.at("array").get<std::string>();
  v.noise_rms = c.at("noise_rms").get<double>();
  v.nvis = s.at("nvis").get<std::size_t>();
  v.chi2 = s.at("reduced_chi2_mean").get<double>();
  v.chi2_of_mean = s.at("reduced_chi2_of_mean").get<double>();
  v.coverage_68 = s.at("coverage_68").get<double>();
  v.coverage_95 = s.at("coverage_95").get<double>();
  v.coverage_68_emission = s.at("coverage_emission").at("coverage_68").get<double>();
  v.coverage_95_emission = s.at("coverage_emission").at("coverage_95").get<double>();
  v.rmse_relative = s.at("rmse_vs_truth_relative_to_peak").get<double>();
  v.seconds = s.at("seconds_sampling").get<double>();
  return v;
}

fs::path case_dir(const fs::path& dir, int j) { return dir / "cases" / fmt::format("case_{:05d}", j); }

// Runs case j (or reads it back when its summary exists).
ValidationCase run_case(const SamplingValidationOptions& o, const PipelinePrior& prior, const fs::path& dir, int j,
                        bool& reused) {
  const fs::path out = case_dir(dir, j);
  reused = fs::exists(out / "summary.json") && fs::exists(out / "case.json");
  if (reused)
    return case_from_summary(j, nlohmann::json::parse(read_text(out / "case.json")),
                             nlohmann::json::parse(read_text(out / "summary.json")));
  DrawnObservation d = draw_observation(o, j);
  Observed observed = observe(d.request, d.sky);
  log().info("validate-sampling: case {}: {}; {}", j, d.sky.description, d.array);
  PosteriorRunRequest r;
  r.input = d.sky.field;
  r.vis = observed.obs.stokes_i();
  r.grid = d.sky.grid;
  r.freq_hz = o.freq_hz;
  r.prior = prior;
  r.settings = o.posterior;
  r.nsamples = o.nsamples;
  r.batch = o.batch;
  r.seed = derive_seed(o.seed, kSamplingStream + static_cast<std::uint64_t>(j));
  r.truth = d.sky.pixels;
  r.truth_path = d.sky.field + " (drawn)";
  r.validate();
  fs::create_directories(out);
  nlohmann::json c = {{"sky", d.sky.description}, {"array", d.array}, {"noise_rms", observed.sigma_i},
                      {"flux_jy", d.sky.flux}};
  write_text_atomic(out / "case.json", c.dump(2) + "\n");
  auto report = run_posterior(r, out);
  return case_from_summary(j, c, report.summary);
}

SpreadOf spread_of(const std::vector<ValidationCase>& cases, double ValidationCase::*field) {
  std::vector<double> v;
  for (const auto& c : cases) v.push_back(c.*field);
  if (v.empty()) return {};
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  return {mean(v), sample_stdev(v), *lo, *hi};
}

void open_study(const SamplingValidationOptions& o, const fs::path& dir, bool resume) {
  fs::create_directories(dir);
  const fs::path study = dir / "study.json";
  if (resume && fs::exists(study)) {
    if (nlohmann::json::parse(read_text(study)).value("fingerprint", "") != o.fingerprint())
      throw UsageError(fmt::format("resume: {} was made with other options or seed; start a new study or resume with "
                                   "the same options (only the number of cases may change)",
                                   study.string()));
  } else {
    std::error_code ec;
    fs::remove_all(dir / "cases", ec);
  }
  fs::create_directories(dir / "cases");
  write_text_atomic(study, nlohmann::json{{"fingerprint", o.fingerprint()}, {"n", o.n}}.dump(2) + "\n");
}

}  // namespace

void SamplingValidationOptions::validate() const {
  require_at_least("n", n, 1);
  require_at_least("size", size, 8);
  require_positive("scale", cell);
  if (prior.empty()) throw UsageError("prior is required: a checkpoint or an analytic prior spec");
  require_at_least<std::int64_t>("nsamples", nsamples, 2);
  require_at_least<std::int64_t>("batch", batch, 1);
  require_positive("freq", freq_hz);
  require_positive("integration", integration);
  require_in_range("layout scale min", layout_scale_min, 0.05, 1.0);
  require_positive("ha min", ha_min);
  if (!(ha_max >= ha_min)) throw UsageError(fmt::format("ha max {} s must be ≥ ha min {} s", ha_max, ha_min));
  require_positive("noise min", noise_min);
  if (!(noise_max >= noise_min))
    throw UsageError(fmt::format("noise max {} Jy must be ≥ noise min {} Jy", noise_max, noise_min));
  posterior.validate();
}

std::string SamplingValidationOptions::fingerprint() const {
  nlohmann::json j = {{"size", size},         {"cell", cell},
                      {"prior", prior},       {"nsamples", nsamples},
                      {"batch", batch},       {"freq_hz", freq_hz},
                      {"integration", integration}, {"layout_scale_min", layout_scale_min},
                      {"ha_min", ha_min},     {"ha_max", ha_max},
                      {"noise_min", noise_min}, {"noise_max", noise_max},
                      {"seed", seed}};
  posterior.add_to_fingerprint(j);
  return j.dump();
}

SamplingValidationResult run_sampling_validation(const SamplingValidationOptions& o, const fs::path& dir, bool resume,
                                                 const std::function<void(int, int)>& on_done) {
  o.validate();
  const PipelinePrior prior = load_pipeline_prior(o.prior, o.size);
  open_study(o, dir, resume);
  SamplingValidationResult r;
  for (int j = 0; j < o.n; ++j) {
    bool reused = false;
    r.cases.push_back(run_case(o, prior, dir, j, reused));
    (reused ? r.resumed : r.simulated) += 1;
    if (on_done) on_done(j + 1, o.n);
  }
  r.chi2 = spread_of(r.cases, &ValidationCase::chi2);
  r.coverage_68 = spread_of(r.cases, &ValidationCase::coverage_68);
  r.coverage_95 = spread_of(r.cases, &ValidationCase::coverage_95);
  r.rmse_relative = spread_of(r.cases, &ValidationCase::rmse_relative);
  r.coverage_68_emission = spread_of(r.cases, &ValidationCase::coverage_68_emission);
  r.coverage_95_emission = spread_of(r.cases, &ValidationCase::coverage_95_emission);
  int chi2_ok = 0, cov_ok = 0;
  for (const auto& c : r.cases) {
    chi2_ok += c.chi2 >= kChi2GoalLow && c.chi2 <= kChi2GoalHigh;
    cov_ok += std::abs(c.coverage_68 - 0.68) <= kCoverage68Tolerance && std::abs(c.coverage_95 - 0.95) <= kCoverage95Tolerance;
  }
  r.fraction_chi2_ok = static_cast<double>(chi2_ok) / o.n;
  r.fraction_coverage_ok = static_cast<double>(cov_ok) / o.n;
  return r;
}

nlohmann::json write_sampling_validation_report(const fs::path& dir, const SamplingValidationOptions& o,
                                                const SamplingValidationResult& r) {
  auto spread = [](const SpreadOf& s) {
    return nlohmann::json{{"mean", s.mean}, {"sd", s.sd}, {"min", s.min}, {"max", s.max}};
  };
  nlohmann::json cases = nlohmann::json::array();
  std::string csv =
      "case,chi2,chi2_of_mean,coverage_68,coverage_95,coverage_68_emission,coverage_95_emission,rmse_relative,"
      "noise_rms,nvis,seconds,sky,array\n";
  for (const auto& c : r.cases) {
    cases.push_back({{"case", c.index}, {"chi2", c.chi2}, {"chi2_of_mean", c.chi2_of_mean},
                     {"coverage_68", c.coverage_68}, {"coverage_95", c.coverage_95},
                     {"coverage_68_emission", c.coverage_68_emission}, {"coverage_95_emission", c.coverage_95_emission},
                     {"rmse_relative", c.rmse_relative}, {"noise_rms", c.noise_rms}, {"nvis", c.nvis},
                     {"seconds", c.seconds}, {"sky", c.sky}, {"array", c.array}});
    csv += fmt::format("{},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.6g},{},{:.2f},\"{}\",\"{}\"\n", c.index,
                       c.chi2, c.chi2_of_mean, c.coverage_68, c.coverage_95, c.coverage_68_emission,
                       c.coverage_95_emission, c.rmse_relative, c.noise_rms, c.nvis, c.seconds, c.sky, c.array);
  }
  nlohmann::json j = {
      {"n_cases", r.cases.size()},
      {"simulated_now", r.simulated},
      {"resumed", r.resumed},
      {"prior", o.prior},
      {"final_step", o.posterior.resolved_final_step()},
      {"sampler", o.posterior.sampler.sampler},
      {"steps", o.posterior.sampler.steps},
      {"likelihood", o.posterior.likelihood.likelihood},
      {"likelihood_weight", o.posterior.tempering.likelihood_weight},
      {"temperature", o.posterior.tempering.temperature},
      {"likelihood_anneal", o.posterior.tempering.anneal.describe()},
      {"nsamples", o.nsamples},
      {"chi2", spread(r.chi2)},
      {"coverage_68", spread(r.coverage_68)},
      {"coverage_95", spread(r.coverage_95)},
      {"coverage_68_emission", spread(r.coverage_68_emission)},
      {"coverage_95_emission", spread(r.coverage_95_emission)},
      {"rmse_relative", spread(r.rmse_relative)},
      {"goals", {{"chi2", {kChi2GoalLow, kChi2GoalHigh}},
                 {"coverage_68", {0.68 - kCoverage68Tolerance, 0.68 + kCoverage68Tolerance}},
                 {"coverage_95", {0.95 - kCoverage95Tolerance, 0.95 + kCoverage95Tolerance}}}},
      {"fraction_chi2_in_goal", r.fraction_chi2_ok},
      {"fraction_coverage_in_goal", r.fraction_coverage_ok},
      {"cases", cases}};
  write_text_atomic(dir / "validation.json", j.dump(2) + "\n");
  write_text_atomic(dir / "validation.csv", csv);
  return j;
}

}  // namespace penumbra
