// penumbra coverage: TARP calibration study of the posterior pipeline
// (src/pipelines/coverage_study.hpp). N simulated observations of held-out
// skies (random protoplanetary disks, or draws from an analytic Gaussian prior
// with --sky gaussian-prior), K posterior samples each, then the expected
// coverage ECP(α) with bootstrap bands and the per-pixel credible-interval coverage.
//
// Outputs (run folder): coverage.png (ECP vs α, bootstrap band, diagonal),
// coverage.csv (alpha,ecp,ecp_low,ecp_high), pixel_coverage.csv
// (level,coverage), coverage.json (max_abs_ecp_minus_alpha, ...), and
// simulations/ (one file per finished simulation: what --resume continues or,
// with a larger --n, extends). Under `mpirun -n K` the simulations are split over
// the ranks and rank 0 writes the report; the numbers do not depend on K
// (docs/parallel.md), and --resume takes a study interrupted at any K.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>

#include "src/cli/commands.hpp"
#include "src/cli/gaussian_limit_flags.hpp"
#include "src/cli/sampler_options.hpp"
#include "src/cli/shared_run_folder.hpp"
#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/log.hpp"
#include "src/core/progress.hpp"
#include "src/core/run_folder.hpp"
#include "src/core/units.hpp"
#include "src/parallel/communicator.hpp"
#include "src/pipelines/coverage_report.hpp"
#include "src/pipelines/coverage_study.hpp"
#include "src/pipelines/prior_registry.hpp"

namespace penumbra::cli::coverage_impl {

struct Options {
  CoverageStudyOptions study;
  std::string scale = "10mas", freq = "240GHz", integration = "300s", ha = "1h";
  double noise_rms = 0;
  bool resume = false;
};

void run(Context& ctx, Options& o) {
  auto& s = o.study;
  s.cell = parse_angle(o.scale, "asec");
  s.freq_hz = parse_frequency(o.freq, "Hz");
  s.integration = parse_duration(o.integration, "s");
  double ha = parse_duration(o.ha, "s");
  require_positive("ha", ha);
  s.ha_start = -ha / 86164.0905 * 2 * kPi;  // sidereal seconds → hour angle
  s.ha_end = -s.ha_start;
  s.noise_rms = o.noise_rms;
  s.seed = ctx.seed();
  if (s.prior.empty())
    throw UsageError("--prior is required: a checkpoint or " + prior_syntax_list(PriorRole::kSampling));
  s.validate();

  const auto dir = shared_run_dir(ctx, "coverage");
  std::unique_ptr<Progress> bar;  // rank 0's simulations (all of them with one rank)
  auto res = run_coverage_study(s, dir, o.resume, [&](int done, int total) {
    if (!parallel::is_root()) return;
    if (!bar) bar = std::make_unique<Progress>("coverage", total, "sim");
    bar->set_done(done - 1);
    bar->tick();
  });
  if (bar) bar->finish();
  if (!parallel::is_root()) return;  // rank 0 measured the study and writes its report

  RunFolder& run = ctx.run("coverage");

  const auto& t = res.tarp;
  const auto& tg = res.tarp_global;
  write_coverage_report(run.dir(), s, res);
  run.finish({{"max_abs_ecp_minus_alpha", t.max_abs_ecp_minus_alpha},
              {"max_abs_ecp_minus_alpha_global", tg.max_abs_ecp_minus_alpha},
              {"coverage_68", res.coverage_68},
              {"coverage_95", res.coverage_95},
              {"ranks", res.ranks}});
  fmt::print("coverage: N={} K={}: max|ECP-alpha| = {:.4f}, p = {:.3g} (global normalisation: {:.4f}, p = {:.3g}; a "
             "calibrated sampler: {:.3f} on average, 95 % below {:.3f}); pixel coverage 68%: {:.3f} (p = {:.3g}), "
             "95%: {:.3f} (p = {:.3g})\n",
             s.n, s.nsamples, t.max_abs_ecp_minus_alpha, t.p_value, tg.max_abs_ecp_minus_alpha, tg.p_value,
             t.calibrated_mean, t.calibrated_q95, res.coverage_68, res.coverage_test_68.p_value, res.coverage_95,
             res.coverage_test_95.p_value);
  fmt::print("outputs in {}\n", run.dir().string());
}

}  // namespace penumbra::cli::coverage_impl

namespace penumbra::cli {

Runner add_coverage(CLI::App& root) {
  auto o = std::make_shared<coverage_impl::Options>();
  auto& s = o->study;
  auto* app = root.add_subcommand("coverage", "TARP coverage study of the posterior over simulated observations");
  add_study_options(app, {s.n, s.prior, s.size, o->scale, s.nsamples, s.batch, s.posterior, o->freq, o->integration});
  app->add_option("--sky", s.sky,
                  "Truth images: disk (held-out random disks, any flux; scale from the data), prior-disk (held-out "
                  "disks drawn as the prior's training set, × --flux-scale), prior-sample (draws of the prior itself, × "
                  "--flux-scale: calibration of the sampler alone) or gaussian-prior (analytic prior draws)")
      ->capture_default_str();
  add_gaussian_limit_flags(app, s.gaussian_limit);
  app->add_option("--flux-scale", s.flux_scale, "prior-disk, prior-sample: Jy/pixel per prior unit (truths and sampler)")
      ->capture_default_str();
  app->add_option("--layout", s.layout, "Array layout (alma-long, a CASA .cfg or OSKAR layout)")->capture_default_str();
  app->add_option("--ha", o->ha, "Half-length of the hour-angle range (±)")->capture_default_str();
  app->add_option("--noise-rms", o->noise_rms, "Noise rms per Stokes-I visibility, Jy (0: radiometer equation)");
  app->add_option("--bootstrap", s.n_bootstrap, "Bootstrap replicates for the ECP band")->capture_default_str();
  app->add_option("--workers", s.workers, "Simulations in flight in each process (0: as many as threads)")
      ->capture_default_str();
  app->add_flag("--resume", o->resume, "Continue an interrupted study in the same --out folder, or extend a finished one to a larger --n");
  return [o](Context& ctx) { coverage_impl::run(ctx, *o); };
}

}  // namespace penumbra::cli
