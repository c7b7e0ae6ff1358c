// Gaussian visibility likelihood: energy against a direct computation,
// gradient against finite differences, batching, float against double, and
// the same likelihood on another response operator.
#include "instruments/gaussian_likelihood.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <random>
#include <vector>

#include "instruments/dft.hpp"
#include "instruments/nufft.hpp"
#include "src/core/errors.hpp"

namespace penumbra {
namespace {

using cd = std::complex<double>;

struct Setup {
  ImageGrid g;
  std::vector<double> u, v, w;
  std::vector<cd> d;
};

Setup make_setup(int n, std::size_t m, unsigned seed) {
  Setup s;
  s.g.nx = s.g.ny = n;
  s.g.cell = 5e-7;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> ud(-0.45 / s.g.cell, 0.45 / s.g.cell), wd(0.2, 3.0);
  std::normal_distribution<double> nd;
  for (std::size_t k = 0; k < m; ++k) {
    s.u.push_back(ud(rng));
    s.v.push_back(ud(rng));
    s.w.push_back(wd(rng));
    s.d.emplace_back(nd(rng), nd(rng));
  }
  return s;
}

TEST(GaussianLikelihood, EnergyMatchesTheDirectTransform) {
  auto s = make_setup(16, 120, 1);
  auto plan = std::make_shared<NufftPlan<double>>(s.u, s.v, s.g, 1e-10);
  GaussianVisibilityLikelihood<double> lik(plan, s.d, s.w);
  std::mt19937_64 rng(2);
  std::normal_distribution<double> nd;
  std::vector<double> x(2 * s.g.size());
  for (double& p : x) p = nd(rng);
  std::vector<double> e(2);
  lik.energy(x, e);
  for (int b = 0; b < 2; ++b) {
    std::vector<cd> model(s.u.size());
    dft_degrid(s.u, s.v, s.g, std::span<const double>(x).subspan(b * s.g.size(), s.g.size()), model, 1);
    double ref = 0;
    for (std::size_t k = 0; k < model.size(); ++k) ref += 0.5 * s.w[k] * std::norm(model[k] - s.d[k]);
    EXPECT_NEAR(e[b], ref, 1e-8 * ref);
  }
  // The zero image costs ½ Σ w |d|².
  std::vector<double> zero(s.g.size(), 0.0), e0(1);
  lik.energy(zero, e0);
  EXPECT_NEAR(e0[0], 0.5 * lik.data_norm2(), 1e-12 * e0[0]);
}

TEST(GaussianLikelihood, GradientMatchesFiniteDifferences) {
  auto s = make_setup(8, 60, 3);
  auto plan = std::make_shared<NufftPlan<double>>(s.u, s.v, s.g, 1e-8);
  GaussianVisibilityLikelihood<double> lik(plan, s.d, s.w);
  std::mt19937_64 rng(4);
  std::normal_distribution<double> nd;
  const std::size_t npix = s.g.size();
  std::vector<double> x(3 * npix);
  for (double& p : x) p = 0.1 * nd(rng);
  std::vector<double> grad(x.size()), e(3), e_only(3);
  lik.gradient(x, grad, e);
  lik.energy(x, e_only);
  for (int b = 0; b < 3; ++b) EXPECT_NEAR(e[b], e_only[b], 1e-12 * e_only[b]);
  const double h = 1e-5;
  double max_err = 0, max_g = 0;
  std::vector<double> ep(3), em(3);
  for (std::size_t i = 0; i < x.size(); ++i) {
    double keep = x[i];
    x[i] = keep + h;
    lik.energy(x, ep);
    x[i] = keep - h;
    lik.energy(x, em);
    x[i] = keep;
    const std::size_t b = i / npix;
    double numeric = (ep[b] - em[b]) / (2 * h);
    max_err = std::max(max_err, std::abs(numeric - grad[i]));
    max_g = std::max(max_g, std::abs(numeric));
  }
  EXPECT_LT(max_err, 1e-6 * max_g);
}

TEST(GaussianLikelihood, GradientVanishesAtTheNoiselessTruth) {
  auto s = make_setup(16, 200, 5);
  std::mt19937_64 rng(6);
  std::normal_distribution<double> nd;
  std::vector<double> truth(s.g.size());
  for (double& p : truth) p = nd(rng);
  dft_degrid(s.u, s.v, s.g, truth, s.d, 1);
  auto plan = std::make_shared<NufftPlan<double>>(s.u, s.v, s.g, 1e-10);
  GaussianVisibilityLikelihood<double> lik(plan, s.d, s.w);
  std::vector<double> grad(truth.size()), e(1);
  lik.gradient(truth, grad, e);
  EXPECT_LT(e[0], 1e-12 * lik.data_norm2());
  double gmax = 0;
  for (double gv : grad) gmax = std::max(gmax, std::abs(gv));
  EXPECT_LT(gmax, 1e-7 * lik.data_norm2());
}

TEST(GaussianLikelihood, FloatAgreesWithDouble) {
  auto s = make_setup(16, 150, 7);
  auto pd = std::make_shared<NufftPlan<double>>(s.u, s.v, s.g, 1e-9);
  auto pf = std::make_shared<NufftPlan<float>>(s.u, s.v, s.g, 1e-5);
  GaussianVisibilityLikelihood<double> ld(pd, s.d, s.w);
  GaussianVisibilityLikelihood<float> lf(pf, s.d, s.w);
  std::mt19937_64 rng(8);
  std::normal_distribution<double> nd;
  std::vector<double> xd(2 * s.g.size());
  for (double& p : xd) p = nd(rng);
  std::vector<float> xf(xd.begin(), xd.end());
  std::vector<double> gd(xd.size()), ed(2), ef(2);
  std::vector<float> gf(xf.size());
  ld.gradient(xd, gd, ed);
  lf.gradient(xf, gf, ef);
  std::vector<double> gf_d(gf.begin(), gf.end());
  EXPECT_LT(relative_l2_error(gf_d, gd), 1e-4);
  for (int b = 0; b < 2; ++b) EXPECT_NEAR(ef[b], ed[b], 1e-4 * ed[b]);
}

// The likelihood sees its response only through LinearOperator: on the direct
// transform it gives the NUFFT's energies and gradients to the NUFFT's accuracy.
TEST(GaussianLikelihood, AnyResponseOperatorServes) {
  auto s = make_setup(12, 80, 10);
  GaussianVisibilityLikelihood<double> nufft(std::make_shared<NufftPlan<double>>(s.u, s.v, s.g, 1e-10), s.d, s.w);
  GaussianVisibilityLikelihood<double> dft(std::make_shared<DftOperator<double>>(s.u, s.v, s.g, 1), s.d, s.w);
  EXPECT_EQ(dft.response().name(), "dft");
  std::mt19937_64 rng(11);
  std::normal_distribution<double> nd;
  std::vector<double> x(s.g.size());
  for (double& p : x) p = nd(rng);
  std::vector<double> ga(x.size()), gb(x.size()), ea(1), eb(1);
  nufft.gradient(x, ga, ea);
  dft.gradient(x, gb, eb);
  EXPECT_LT(relative_l2_error(ga, gb), 1e-8);
  EXPECT_NEAR(ea[0], eb[0], 1e-8 * eb[0]);
}

TEST(GaussianLikelihood, RejectsMismatchedSizesAndBadData) {
  auto s = make_setup(8, 20, 9);
  auto plan = std::make_shared<NufftPlan<double>>(s.u, s.v, s.g, 1e-6);
  EXPECT_THROW(GaussianVisibilityLikelihood<double>(plan, std::vector<cd>(3), s.w), UsageError);
  auto bad = s.w;
  bad[2] = -1;
  EXPECT_THROW(GaussianVisibilityLikelihood<double>(plan, s.d, bad), DataError);
  GaussianVisibilityLikelihood<double> lik(plan, s.d, s.w);
  std::vector<double> x(s.g.size() + 1), e(1);
  EXPECT_THROW(lik.energy(x, e), UsageError);
}

}  // namespace
}  // namespace penumbra
