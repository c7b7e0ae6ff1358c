// penumbra validate-sampling: the posterior pipeline on ≥ 20 freshly simulated disks
// (src/pipelines/sampling_validation.hpp): random disks, array configurations, track
// lengths and noise levels; per case every output of `sample`, then the mean and
// spread of χ², coverage and RMSE over the cases against the calibration goals.
//
// Outputs (run folder): validation.json, validation.csv, cases/case_NNNNN/ (a `sample`
// run each, plus case.json), study.json (what --resume checks).
#include <fmt/format.h>

#include <memory>

#include "src/cli/commands.hpp"
#include "src/cli/sampler_options.hpp"
#include "src/core/progress.hpp"
#include "src/core/run_folder.hpp"
#include "src/core/units.hpp"
#include "src/pipelines/sampling_validation.hpp"

namespace penumbra::cli::validate_sampling_impl {

struct Options {
  SamplingValidationOptions study;
  std::string scale = "10mas", freq = "240GHz", integration = "120s", ha_min = "15min", ha_max = "2h";
  std::string noise_min = "1mJy", noise_max = "10mJy";
  bool resume = false;
};

void run(Context& ctx, Options& o) {
  auto& s = o.study;
  s.cell = parse_angle(o.scale, "asec");
  s.freq_hz = parse_frequency(o.freq, "Hz");
  s.integration = parse_duration(o.integration, "s");
  s.ha_min = parse_duration(o.ha_min, "s");
  s.ha_max = parse_duration(o.ha_max, "s");
  s.noise_min = parse_flux_density(o.noise_min, "Jy");
  s.noise_max = parse_flux_density(o.noise_max, "Jy");
  s.seed = ctx.seed();
  s.validate();

  RunFolder& run = ctx.run("validate-sampling");
  Progress bar("validate-sampling", s.n, "case");
  auto res = run_sampling_validation(s, run.dir(), o.resume, [&](int done, int) {
    bar.set_done(done - 1);
    bar.tick();
  });
  bar.finish();
  write_sampling_validation_report(run.dir(), s, res);
  run.finish({{"chi2_mean", res.chi2.mean},
              {"coverage_68_mean", res.coverage_68.mean},
              {"coverage_95_mean", res.coverage_95.mean},
              {"rmse_relative_mean", res.rmse_relative.mean}});
  fmt::print("validate-sampling: {} cases ({} run now, {} resumed), final step {}\n", res.cases.size(), res.simulated,
             res.resumed, s.posterior.resolved_final_step());
  auto line = [](const char* what, const SpreadOf& x) {
    fmt::print("  {:<15} mean {:.4f}  sd {:.4f}  range [{:.4f}, {:.4f}]\n", what, x.mean, x.sd, x.min, x.max);
  };
  line("chi2", res.chi2);
  line("coverage 68%", res.coverage_68);
  line("coverage 95%", res.coverage_95);
  line("68% emission", res.coverage_68_emission);
  line("95% emission", res.coverage_95_emission);
  line("rmse / peak", res.rmse_relative);
  fmt::print("cases inside the goals: chi2 in [{}, {}]: {:.0f} %; coverage within ±{} / ±{}: {:.0f} %\n", kChi2GoalLow,
             kChi2GoalHigh, 100 * res.fraction_chi2_ok, kCoverage68Tolerance, kCoverage95Tolerance,
             100 * res.fraction_coverage_ok);
  fmt::print("outputs in {}\n", run.dir().string());
}

}  // namespace penumbra::cli::validate_sampling_impl

namespace penumbra::cli {

Runner add_validate_sampling(CLI::App& root) {
  auto o = std::make_shared<validate_sampling_impl::Options>();
  auto& s = o->study;
  auto* app = root.add_subcommand("validate-sampling",
                                  "Posterior pipeline on freshly simulated disks: chi2, coverage and RMSE over cases");
  add_study_options(app, {s.n, s.prior, s.size, o->scale, s.nsamples, s.batch, s.posterior, o->freq, o->integration});
  app->add_option("--layout-scale-min", s.layout_scale_min,
                  "Array configurations: the built-in layout's positions scaled by U(this, 1)")
      ->capture_default_str();
  app->add_option("--ha-min", o->ha_min, "Shortest hour-angle half-span (±)")->capture_default_str();
  app->add_option("--ha-max", o->ha_max, "Longest hour-angle half-span (±)")->capture_default_str();
  app->add_option("--noise-min", o->noise_min, "Lowest noise rms per Stokes-I visibility (log-uniform)")
      ->capture_default_str();
  app->add_option("--noise-max", o->noise_max, "Highest noise rms per Stokes-I visibility")->capture_default_str();
  app->add_flag("--resume", o->resume, "Continue an interrupted study in the same --out folder (any --n)");
  return [o](Context& ctx) { validate_sampling_impl::run(ctx, *o); };
}

}  // namespace penumbra::cli
