#include "src/pipelines/coverage_report.hpp"

#include <fmt/format.h>

#include "src/core/run_folder.hpp"
#include "src/core/units.hpp"
#include "src/io/png.hpp"
#include "src/pipelines/prior_sampling.hpp"

namespace penumbra {

namespace {

void write_curves(const std::filesystem::path& dir, const CoverageStudyOptions& s, const CoverageStudyResult& res) {
  const auto& t = res.tarp;
  const auto& tg = res.tarp_global;
  std::string csv = "alpha,ecp,ecp_low,ecp_high,ecp_global,ecp_global_low,ecp_global_high\n";
  for (std::size_t i = 0; i < t.alpha.size(); ++i)
    csv += fmt::format("{:.4f},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f}\n", t.alpha[i], t.ecp[i], t.ecp_low[i],
                       t.ecp_high[i], tg.ecp[i], tg.ecp_low[i], tg.ecp_high[i]);
  write_text_atomic(dir / "coverage.csv", csv);
  std::string pcsv = "level,coverage\n";
  for (std::size_t i = 0; i < res.levels.size(); ++i)
    pcsv += fmt::format("{:.2f},{:.6f}\n", res.levels[i], res.pixel_coverage[i]);
  write_text_atomic(dir / "pixel_coverage.csv", pcsv);

  Series ecp{t.alpha, t.ecp, "TARP ECP (per-pixel normalisation)", false};
  Series ecpg{tg.alpha, tg.ecp, "TARP ECP (global normalisation)", false};
  Series lo{t.alpha, t.ecp_low, "bootstrap 95% band", true};
  Series hi{t.alpha, t.ecp_high, "", true};
  Series diag{{0.0, 1.0}, {0.0, 1.0}, "ideal (ECP = α)", true};
  Series pix{res.levels, res.pixel_coverage, "per-pixel CI coverage", false};
  write_line_plot_png(dir / "coverage.png", {ecp, lo, hi, ecpg, diag, pix},
                      LinePlot{fmt::format("Coverage: N={} sims, K={} samples, {}", s.n, s.nsamples, s.posterior.sampler.sampler),
                               "credibility level α", "expected coverage", false, false, 0.0, 1.0, 0.0, 1.0});

}

}  // namespace

nlohmann::json write_coverage_report(const std::filesystem::path& dir, const CoverageStudyOptions& s,
                                     const CoverageStudyResult& res) {
  write_curves(dir, s, res);
  const auto& t = res.tarp;
  const auto& tg = res.tarp_global;
  double mean_rmse = 0;
  for (double r : res.rmse) mean_rmse += r / static_cast<double>(res.rmse.size());
  nlohmann::json j = {
      {"max_abs_ecp_minus_alpha", t.max_abs_ecp_minus_alpha},
      {"max_abs_ecp_minus_alpha_global", tg.max_abs_ecp_minus_alpha},
      {"calibrated_reference",
       {{"about", "max|ECP-alpha| of a calibrated sampler at this N (2000 replicates of f ~ U(0,1)): mean, 95 % "
                  "quantile; p_value = fraction of those at least as far as the observed curve"},
        {"mean", t.calibrated_mean},
        {"q95", t.calibrated_q95},
        {"p_value", t.p_value},
        {"p_value_global", tg.p_value}}},
      {"tarp_normalisation", "per-coordinate (max_abs_ecp_minus_alpha); global (…_global): see src/diagnostics/tarp.hpp"},
      {"n_simulations", s.n},
      {"nsamples", s.nsamples},
      {"sky", s.sky},
      {"held_out_disk_seed_offset", kHeldOutDiskSeedOffset},
      {"prior", s.prior},
      {"sampler", s.posterior.sampler.sampler},
      {"steps", s.posterior.sampler.steps},
      {"likelihood", s.posterior.likelihood.likelihood},
      {"pad", s.posterior.likelihood.pad},
      {"sigma_min", s.posterior.sampler.sigma_min},
      {"final_step", s.posterior.resolved_final_step()},
      {"likelihood_weight", s.posterior.tempering.likelihood_weight},
      {"temperature", s.posterior.tempering.temperature},
      {"likelihood_anneal", s.posterior.tempering.anneal.describe()},
      {"gaussian_limit", gaussian_limit_json(s.gaussian_limit)},
      {"final_probes", s.posterior.sampler.final_probes},
      {"prior_steps", s.posterior.sampler.prior_steps},
      {"size", s.size},
      {"cell_arcsec", s.cell / kArcsec},
      {"layout", s.layout},
      {"nvis", res.nvis},
      {"dropped_visibilities", res.dropped},
      {"noise_rms_jy", res.noise_rms},
      {"coverage_68", res.coverage_68},
      {"coverage_95", res.coverage_95},
      {"pixel_coverage_test",
       {{"about", "per-pixel coverage by rank: each simulation's mean over its pixels has expectation = level for a "
                  "calibrated posterior; z and two-sided p of their mean across simulations (normal approximation)"},
        {"z_68", res.coverage_test_68.z},
        {"p_value_68", res.coverage_test_68.p_value},
        {"z_95", res.coverage_test_95.z},
        {"p_value_95", res.coverage_test_95.p_value}}},
      {"pixel_coverage", {{"level", res.levels}, {"coverage", res.pixel_coverage}}},
      {"tarp_f", t.f},
      {"tarp_f_global", tg.f},
      {"rmse_posterior_mean", res.rmse},
      {"rmse_posterior_mean_average", mean_rmse},
      {"simulated_now", res.simulated},
      {"resumed", res.resumed},
      {"seconds", res.seconds},
      {"ranks", res.ranks},
      {"bootstrap", s.n_bootstrap},
      {"seed", s.seed},
  };
  write_text_atomic(dir / "coverage.json", j.dump(2) + "\n");
  return j;
}

}  // namespace penumbra
