// The saturating power-law fit: exact recovery, the calibration of its
// Jacobian error on noisy synthetic curves, the bootstrap interval, and the
// inputs it refuses.
#include "src/diagnostics/power_law_fit.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "src/core/errors.hpp"

using namespace penumbra;

namespace {

struct Truth {
  double a, alpha, c;
  double operator()(double x) const { return a * std::pow(x, -alpha) + c; }
};

PowerLawData noisy(const Truth& t, const std::vector<double>& xs, double rel_sigma, std::mt19937_64& rng) {
  std::normal_distribution<double> z;
  PowerLawData d;
  for (double x : xs) {
    double s = rel_sigma * t(x);
    d.x.push_back(x), d.y.push_back(t(x) + s * z(rng)), d.sigma.push_back(s);
  }
  return d;
}

const std::vector<double> kSizes{300, 1000, 3000, 10000, 30000, 100000, 300000, 1000000};

}  // namespace

TEST(PowerLawFit, RecoversAnExactCurve) {
  Truth t{40, 0.6, 0.25};
  PowerLawData d;
  for (double x : kSizes) d.x.push_back(x), d.y.push_back(t(x));
  auto f = fit_power_law(d, {.bootstrap = PowerLawBootstrap::kNone});
  EXPECT_NEAR(f.alpha, 0.6, 1e-6);
  EXPECT_NEAR(f.a, 40, 40 * 1e-5);
  EXPECT_NEAR(f.c, 0.25, 1e-7);
  EXPECT_NEAR(f.chi2, 0, 1e-12);
  EXPECT_EQ(f.dof, 5);
  EXPECT_FALSE(f.alpha_at_bound);
}

TEST(PowerLawFit, NoisyCurveLiesInsideTheStatedInterval) {
  Truth t{12, 0.45, 1.1};
  std::mt19937_64 rng(7);
  auto d = noisy(t, kSizes, 0.01, rng);
  auto f = fit_power_law(d, {.bootstrap = PowerLawBootstrap::kParametric, .replicates = 300, .level = 0.95, .seed = 3});
  ASSERT_TRUE(std::isfinite(f.sigma_alpha));
  EXPECT_LT(std::abs(f.alpha - t.alpha), 3 * f.sigma_alpha);
  EXPECT_LT(std::abs(f.c - t.c), 3 * f.sigma_c);
  EXPECT_LT(std::abs(f.a - t.a), 3 * f.sigma_a);
  EXPECT_EQ(f.replicates, 300);
  EXPECT_LE(f.alpha_lower, t.alpha);
  EXPECT_GE(f.alpha_upper, t.alpha);
  // The parametric bootstrap and the linearised error agree within a factor of 2.
  EXPECT_GT(f.bootstrap_sd_alpha, 0.5 * f.sigma_alpha);
  EXPECT_LT(f.bootstrap_sd_alpha, 2 * f.sigma_alpha);
}

// The Jacobian σ_α is calibrated: over 200 noisy curves about 68 % of the
// estimates lie within one σ of the truth.
TEST(PowerLawFit, JacobianErrorOfTheExponentIsCalibrated) {
  Truth t{5, 0.8, 0.3};
  std::mt19937_64 rng(11);
  int within = 0, n = 200;
  for (int k = 0; k < n; ++k) {
    auto f = fit_power_law(noisy(t, kSizes, 0.005, rng), {.bootstrap = PowerLawBootstrap::kNone});
    within += std::abs(f.alpha - t.alpha) < f.sigma_alpha;
  }
  EXPECT_GT(within, 0.58 * n);
  EXPECT_LT(within, 0.78 * n);
}

TEST(PowerLawFit, ThreePointsInterpolateAndErrorsNeedStandardErrors) {
  Truth t{3, 0.5, 0.2};
  PowerLawData d{{100, 1000, 10000}, {t(100), t(1000), t(10000)}, {}, {}};
  auto f = fit_power_law(d, {.bootstrap = PowerLawBootstrap::kNone});
  EXPECT_NEAR(f.alpha, 0.5, 1e-6);
  EXPECT_EQ(f.dof, 0);
  EXPECT_TRUE(std::isnan(f.sigma_alpha));  // no residual to scale by, no errors given
  d.sigma = {0.01, 0.01, 0.01};
  f = fit_power_law(d, {.bootstrap = PowerLawBootstrap::kNone});
  EXPECT_TRUE(std::isfinite(f.sigma_alpha));
  EXPECT_GT(f.sigma_alpha, 0);
}

// Seeds of one cell are one bootstrap group: resamples draw whole cells.
TEST(PowerLawFit, GroupBootstrapResamplesCells) {
  Truth t{8, 0.7, 0.5};
  std::mt19937_64 rng(5);
  std::normal_distribution<double> z;
  PowerLawData d;
  int cell = 0;
  for (double x : {1e3, 3e3, 1e4, 3e4, 1e5, 3e5}) {
    for (int seed = 0; seed < 3; ++seed) d.x.push_back(x), d.y.push_back(t(x) * (1 + 0.01 * z(rng))), d.group.push_back(cell);
    ++cell;
  }
  auto f = fit_power_law(d, {.replicates = 200, .level = 0.95, .seed = 1});
  EXPECT_GT(f.replicates, 150);
  EXPECT_TRUE(std::isfinite(f.bootstrap_sd_alpha));
  EXPECT_LE(f.alpha_lower, f.alpha);
  EXPECT_GE(f.alpha_upper, f.alpha);
  EXPECT_LT(std::abs(f.alpha - t.alpha), 0.2);
}

TEST(PowerLawFit, DegenerateInputsAreOneLine) {
  auto message = [](const PowerLawData& d) {
    try {
      fit_power_law(d);
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message({{100, 1000}, {1, 0.5}, {}, {}}).find("3 or more distinct x, got 2"), std::string::npos);
  EXPECT_NE(message({{100, 100, 1000}, {1, 0.9, 0.5}, {}, {}}).find("got 2"), std::string::npos);
  EXPECT_NE(message({{0, 100, 1000}, {1, 0.9, 0.5}, {}, {}}).find("power-law abscissa must be > 0"), std::string::npos);
  EXPECT_NE(message({{10, 100, 1000}, {1, NAN, 0.5}, {}, {}}).find("power-law ordinate"), std::string::npos);
  EXPECT_NE(message({{10, 100, 1000}, {1, 0.9, 0.5}, {0.1, 0, 0.1}, {}}).find("standard error must be > 0"),
            std::string::npos);
  EXPECT_NE(message({{10, 100, 1000}, {1, 0.9}, {}, {}}).find("differ in length"), std::string::npos);
  for (const auto& m : {message({{100, 1000}, {1, 0.5}, {}, {}})}) EXPECT_EQ(m.find('\n'), std::string::npos);
}
