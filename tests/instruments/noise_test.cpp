#include "instruments/noise.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "src/core/errors.hpp"

namespace penumbra {
namespace {

Observation blank(std::size_t nrow, std::vector<int> corr) {
  Observation o;
  o.nrow = nrow;
  o.nchan = 2;
  o.ncorr = corr.size();
  o.corr = std::move(corr);
  o.freq = {240e9, 241e9};
  o.allocate();
  for (std::size_t r = 0; r < nrow; ++r) {
    o.uvw[3 * r] = 100.0 + r;
    o.uvw[3 * r + 1] = -50.0;
  }
  return o;
}

TEST(Noise, RadiometerEquation) {
  // SEFD 2900 Jy, 7.5 GHz, 120 s, η_c = 0.88: σ = 2900 / (0.88·√(2·7.5e9·120)).
  EXPECT_NEAR(radiometer_sigma(2900, 7.5e9, 120), 2900 / (0.88 * std::sqrt(1.8e12)), 1e-12);
  EXPECT_NEAR(radiometer_sigma(1000, 1e6, 2, 1.0), 0.5, 1e-12);
  // 12 m dish, T_sys 80 K, η_A 0.68 → ≈ 2.9 kJy.
  EXPECT_NEAR(sefd_jy(80, 12, 0.68), 2872, 5);
  EXPECT_THROW(radiometer_sigma(-1, 1e9, 1), UsageError);
  EXPECT_THROW(radiometer_sigma(1, 0, 1), UsageError);
}

TEST(Noise, RmsAndStokesIWeightAreConsistent) {
  Observation o = blank(20000, {int(Corr::XX), int(Corr::YY)});
  const double sigma_i = 0.01;
  double sigma_c = correlation_sigma_for_stokes_i(sigma_i, o);
  EXPECT_NEAR(sigma_c, sigma_i * std::sqrt(2.0), 1e-15);
  add_thermal_noise(o, sigma_c, 42);
  for (float w : o.weight) ASSERT_FLOAT_EQ(w, static_cast<float>(1.0 / (sigma_c * sigma_c)));
  // Per correlation: Re and Im each have rms σ_c, mean 0, and are uncorrelated.
  double sr = 0, si = 0, mr = 0, cross = 0;
  for (auto v : o.vis) {
    sr += v.real() * v.real();
    si += v.imag() * v.imag();
    mr += v.real();
    cross += v.real() * v.imag();
  }
  double n = static_cast<double>(o.vis.size());
  EXPECT_NEAR(std::sqrt(sr / n), sigma_c, 0.01 * sigma_c);
  EXPECT_NEAR(std::sqrt(si / n), sigma_c, 0.01 * sigma_c);
  EXPECT_NEAR(mr / n, 0.0, 4 * sigma_c / std::sqrt(n));
  EXPECT_NEAR(cross / n / (sigma_c * sigma_c), 0.0, 0.02);
  // Stokes I: the empirical rms of its real part is σ_i and its weight is 1/σ_i².
  VisibilitySet s = o.stokes_i();
  ASSERT_EQ(s.size(), 40000u);
  double si2 = 0;
  for (auto v : s.vis) si2 += v.real() * v.real();
  EXPECT_NEAR(std::sqrt(si2 / s.size()), sigma_i, 0.015 * sigma_i);
  EXPECT_NEAR(s.weight[0], 1.0 / (sigma_i * sigma_i), 1e-3 / (sigma_i * sigma_i));
}

TEST(Noise, SingleCorrelationTakesTheRmsAsItIs) {
  Observation o = blank(10, {int(Corr::I)});
  EXPECT_DOUBLE_EQ(correlation_sigma_for_stokes_i(0.3, o), 0.3);
}

TEST(Noise, SeededAndReproducible) {
  Observation a = blank(500, {int(Corr::XX), int(Corr::YY)});
  Observation b = a, c = a, d = a;
  add_thermal_noise(a, 0.1, 7);
  add_thermal_noise(b, 0.1, 7);
  add_thermal_noise(c, 0.1, 8);
  add_thermal_noise(d, 0.1, 7, 2);  // another stream of the same seed
  EXPECT_EQ(a.vis, b.vis);
  EXPECT_NE(a.vis, c.vis);
  EXPECT_NE(a.vis, d.vis);
  // The deviates are standard normal: mean 0, variance 1 over many draws.
  NormalStream g(1);
  double m = 0, v = 0;
  for (int k = 0; k < 100000; ++k) {
    double x = g();
    m += x;
    v += x * x;
  }
  EXPECT_NEAR(m / 1e5, 0.0, 0.02);
  EXPECT_NEAR(v / 1e5, 1.0, 0.02);
}

TEST(Noise, ZeroNoiseKeepsDataAndUnitWeights) {
  Observation o = blank(10, {int(Corr::XX), int(Corr::YY)});
  o.vis[3] = {1.5f, -2.f};
  o.weight[0] = 5.f;
  add_thermal_noise(o, 0.0, 1);
  EXPECT_EQ(o.vis[3], std::complex<float>(1.5f, -2.f));
  EXPECT_EQ(o.vis[0], std::complex<float>(0.f, 0.f));
  for (float w : o.weight) EXPECT_EQ(w, 1.f);
  EXPECT_THROW(add_thermal_noise(o, -0.1, 1), UsageError);
  EXPECT_THROW(add_thermal_noise(o, NAN, 1), UsageError);
}

}  // namespace
}  // namespace penumbra
