// The posterior-run floor: one NUFFT plan per run, the registries (a prior added
// from here reaches the pipelines without touching them), settings validation.
#include "src/pipelines/posterior_run.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>

#include "instruments/noise.hpp"
#include "instruments/nufft.hpp"
#include "src/core/errors.hpp"
#include "src/io/hdf5_store.hpp"
#include "src/core/rng.hpp"
#include "src/core/units.hpp"
#include "src/pipelines/planned_observation.hpp"
#include "src/pipelines/posterior_model.hpp"
#include "src/pipelines/sampler_registry.hpp"
#include "tests/support/paths.hpp"

using namespace penumbra;
namespace fs = std::filesystem;

namespace {

// 16×16 at 50 mas: a point source of 1 Jy at the phase centre seen by 300 random
// baselines within the grid's reach, 10 mJy noise.
PosteriorRunRequest tiny_request() {
  PosteriorRunRequest r;
  r.grid = ImageGrid{16, 16, 50e-3 * kArcsec, 0.0, -0.5};
  NormalStream z(7);
  const double reach = 0.45 / r.grid.cell;
  for (int k = 0; k < 300; ++k) {
    const double u = reach * std::tanh(z()), v = reach * std::tanh(z());
    r.vis.u.push_back(u);
    r.vis.v.push_back(v);
    r.vis.vis.push_back({1.0 + 0.01 * z(), 0.01 * z()});
    r.vis.weight.push_back(1e4);
  }
  r.input = "tiny";
  r.prior = load_pipeline_prior("gaussian:0,0.1", 16);
  r.settings.sampler.sampler = "pc";
  r.settings.sampler.steps = 20;
  r.nsamples = 2;
  r.batch = 2;
  r.seed = 3;
  return r;
}

// A prior that only this test knows: N(0, s²) per pixel with its own score.
class TinyPrior final : public Prior {
 public:
  at::Tensor score(const at::Tensor& x, const at::Tensor& sigma) const override {
    return -x / (1.0 + sigma.pow(2)).view({-1, 1, 1});
  }
  double sigma_max() const override { return 10; }
  double sigma_min() const override { return 0.01; }
  std::string name() const override { return "tiny"; }
};

}  // namespace

TEST(PosteriorRun, BuildsOneNufftPlanForTheWholeRun) {
  auto dir = test::scratch_dir("posterior_run_plans");
  auto r = tiny_request();
  const auto before = nufft_plans_built();
  auto report = run_posterior(r, dir);
  // Dirty image, χ² of every sample, χ² of the mean and the residual share one plan
  // (the convolved likelihood grids without a NUFFT); the exact final step (auto's
  // choice here) adds the one its Toeplitz kernel is made with (2N grid, ε 1e-10).
  EXPECT_EQ(report.summary["final_step"], "exact");
  EXPECT_EQ(nufft_plans_built() - before, 2);
  EXPECT_EQ(report.summary["nsamples"].get<int>(), 2);
  for (const char* f : {"samples.h5", "mean.fits", "residual.fits", "dirty.fits", "panel.png", "summary.json",
                        "chi2_uv.csv", "chi2_uv.png"})
    EXPECT_TRUE(fs::exists(dir / f)) << f;
}

// An exactly known posterior (Gaussian prior, exact likelihood, MALA): its samples
// fit the data as the noise says, and the predictive checks say so.
TEST(PosteriorRun, PredictiveChecksOfAKnownPosterior) {
  auto dir = test::scratch_dir("posterior_run_checks");
  auto r = tiny_request();
  // Noise of 1 Jy per visibility: the posterior is well enough conditioned for MALA to mix.
  NormalStream z(11);
  for (std::size_t k = 0; k < r.vis.size(); ++k) {
    r.vis.vis[k] = {1.0 + z(), z()};
    r.vis.weight[k] = 1.0;
  }
  r.prior = load_pipeline_prior("gaussian:0,1", 16);
  r.settings.likelihood.likelihood = "exact";
  r.settings.sampler.sampler = "mala";
  r.settings.sampler.steps = 2000;
  r.nsamples = 8;
  r.batch = 8;
  auto report = run_posterior(r, dir);
  const auto& pp = report.summary["posterior_predictive"];
  // 300 visibilities, 256 pixels: a posterior sample's χ²_red is ≈ 1 ± 0.06.
  EXPECT_NEAR(pp["reduced_chi2_mean"].get<double>(), 1.0, 0.25) << pp.dump();
  EXPECT_TRUE(pp["fits"].get<bool>()) << pp.dump();
  EXPECT_EQ(pp["uv_bins"].size(), 8u);
  EXPECT_LT(pp["residual_fraction_beyond_3sigma_samples"].get<double>(), 0.05) << pp.dump();
  // The residual dirty image of every sample is in samples.h5.
  Hdf5Store h5(dir / "samples.h5", Hdf5Store::Mode::kRead);
  auto res = h5.read_float("/residuals");
  EXPECT_EQ(res.shape, (std::vector<std::size_t>{8, 16, 16}));
}

TEST(PosteriorRun, ExactLikelihoodSharesTheRunsOperator) {
  auto dir = test::scratch_dir("posterior_run_plans_exact");
  auto r = tiny_request();
  r.settings.likelihood.likelihood = "exact";
  r.settings.sampler.sampler = "mala";  // the exact sampler of analytic priors
  const auto before = nufft_plans_built();
  run_posterior(r, dir);
  // float64 (dirty, χ², residual) + float32 (the chains' likelihood) + the Toeplitz
  // kernel's plan on the doubled grid: none built twice.
  EXPECT_LE(nufft_plans_built() - before, 3);
}

TEST(Registries, APriorRegisteredHereReachesThePipelines) {
  if (!prior_registry().find("tiny"))
    prior_registry().add({"tiny", {"SCALE"}, "a test prior", PriorRole::kSampling,
                          [](const std::vector<double>& p, int) {
                            return PipelinePrior{std::make_shared<TinyPrior>(), PixelUnits{p[0], 0.0}, ""};
                          }});
  auto lp = load_pipeline_prior("tiny:0.2", 16);
  EXPECT_EQ(lp.prior->name(), "tiny");
  EXPECT_DOUBLE_EQ(lp.units.scale, 0.2);
  EXPECT_NE(prior_syntax_list(PriorRole::kSampling).find("tiny:SCALE"), std::string::npos);
  auto r = tiny_request();
  PlannedObservation obs(r.vis, r.grid, 1e-6);
  auto draws = sample_observation(obs, lp, r.settings, 2, 2, 5);
  EXPECT_EQ(draws.samples.size(0), 2);
  EXPECT_TRUE(torch::isfinite(draws.samples).all().item<bool>());
}

TEST(Registries, UnknownNamesListTheKnownOnes) {
  try {
    load_pipeline_prior("nope:1,2", 16);
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("gaussian:MEAN,STD"), std::string::npos) << e.what();
  }
  PosteriorSettings s;
  s.sampler.sampler = "gibbs";
  try {
    s.validate();
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("sampler must be pc, ald, em, mala, hmc or split-gibbs"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(make_regulariser("maxent", 1.0), UsageError);
  EXPECT_EQ(sampler_registry().get("hmc").name, "hmc");
}

TEST(PosteriorSettings, ChecksNameTheQuantity) {
  PosteriorSettings s;
  s.tempering.temperature = -1;
  try {
    s.validate();
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()), "temperature must be > 0, got -1");
  }
}

// `--final-step auto`: the exact final draw where it applies (pc on the convolved
// likelihood, untempered), the Tweedie mean everywhere else, and the resolved step is
// what the run's fingerprint holds (an explicit "exact" resumes an "auto" run).
TEST(PosteriorSettings, AutoFinalStepIsExactOnlyWhereItApplies) {
  PosteriorSettings s;
  EXPECT_EQ(s.sampler.final_step, "auto");
  EXPECT_EQ(s.resolved_final_step(), "exact");
  nlohmann::json fp_auto, fp_exact;
  s.add_to_fingerprint(fp_auto);
  PosteriorSettings explicit_exact = s;
  explicit_exact.sampler.final_step = "exact";
  explicit_exact.add_to_fingerprint(fp_exact);
  EXPECT_EQ(fp_auto, fp_exact);

  PosteriorSettings tempered = s;
  tempered.tempering.likelihood_weight = 0.5;
  EXPECT_EQ(tempered.resolved_final_step(), "mean");
  EXPECT_NO_THROW(tempered.validate());  // auto never asks for the exact step on a tempered run
  PosteriorSettings exact_likelihood = s;
  exact_likelihood.likelihood.likelihood = "exact";
  EXPECT_EQ(exact_likelihood.resolved_final_step(), "mean");
  PosteriorSettings ald = s;
  ald.sampler.sampler = "ald";
  EXPECT_EQ(ald.resolved_final_step(), "mean");
  EXPECT_NO_THROW(ald.validate());
  PosteriorSettings asked = s;
  asked.sampler.final_step = "spread";
  EXPECT_EQ(asked.resolved_final_step(), "spread");
}
