// Selection and averaging on read: uv distances with units, the uv range at
// each channel's own frequency, channel and time averaging (inverse-variance
// weighted means, weights summed, flags respected) and the smearing estimates.
#include "src/io/visibility_selection.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "src/core/errors.hpp"
#include "src/core/units.hpp"
#include "tests/io/synthetic_ms.hpp"
#include "tests/support/error_message.hpp"

namespace penumbra {
namespace {

using test::message_of;

TEST(UvDistance, ParsesWavelengthsAndMetres) {
  EXPECT_DOUBLE_EQ(parse_uv_distance("50klambda", "--uv-min").value, 50e3);
  EXPECT_TRUE(parse_uv_distance("50klambda", "--uv-min").wavelengths);
  EXPECT_DOUBLE_EQ(parse_uv_distance("1.5Mlambda", "x").value, 1.5e6);
  EXPECT_DOUBLE_EQ(parse_uv_distance("2kλ", "x").value, 2e3);
  EXPECT_DOUBLE_EQ(parse_uv_distance("800", "x").value, 800);  // bare number: wavelengths, as WSClean's -maxuv-l
  EXPECT_TRUE(parse_uv_distance("800", "x").wavelengths);
  UvDistance m = parse_uv_distance("1.2km", "x");
  EXPECT_FALSE(m.wavelengths);
  EXPECT_DOUBLE_EQ(m.value, 1200);
  EXPECT_DOUBLE_EQ(parse_uv_distance("10m", "x").value, 10);
  auto msg = message_of<UsageError>([] { parse_uv_distance("50parsec", "--uv-max"); });
  EXPECT_NE(msg.find("--uv-max"), std::string::npos) << msg;
  EXPECT_NE(msg.find("parsec"), std::string::npos) << msg;
  EXPECT_THROW(parse_uv_distance("-3klambda", "--uv-min"), UsageError);
  EXPECT_THROW(parse_uv_distance("klambda", "--uv-min"), UsageError);
}

// Two channels a factor 2 apart: a wavelength cut keeps a baseline at one
// channel and drops it at the other; a metre cut treats both alike.
TEST(UvRange, WavelengthLimitsApplyAtEachChannelsFrequency) {
  Observation obs;
  obs.nrow = 1;
  obs.nchan = 2;
  obs.ncorr = 1;
  obs.corr = {int(Corr::XX)};
  obs.freq = {100e9, 200e9};
  obs.uvw = {300, 400, 0};  // 500 m
  obs.allocate();
  obs.uvw = {300, 400, 0};
  const double lambda0 = 500 * 100e9 / kSpeedOfLight;  // ≈ 166.8 kλ; channel 1 twice that
  Observation a = obs;
  UvRange r;
  r.max = UvDistance{1.5 * lambda0, true};
  EXPECT_EQ(flag_outside_uv_range(a, r), 1u);
  EXPECT_EQ(a.flag[0], 0);
  EXPECT_EQ(a.flag[1], 1);
  Observation b = obs;
  UvRange rm;
  rm.min = UvDistance{600, false};
  EXPECT_EQ(flag_outside_uv_range(b, rm), 2u);
  Observation c = obs;
  UvRange none;
  EXPECT_EQ(flag_outside_uv_range(c, none), 0u);
  EXPECT_EQ(c.flag, obs.flag);
}

TEST(Averaging, ChannelsWeightedMeanWeightsSummedFlagsLeftOut) {
  test::SyntheticMsOptions o;
  o.nchan = 5;
  o.channel_weights = true;
  o.flag_fraction = 0.3;
  Observation obs = test::synthetic_observation(o);
  Observation avg = average_channels(obs, 2);
  ASSERT_EQ(avg.nchan, 3u);  // 2 + 2 + 1
  EXPECT_DOUBLE_EQ(avg.freq[0], 0.5 * (obs.freq[0] + obs.freq[1]));
  EXPECT_DOUBLE_EQ(avg.freq[2], obs.freq[4]);
  for (std::size_t r = 0; r < obs.nrow; ++r)
    for (std::size_t c = 0; c < obs.ncorr; ++c) {
      std::complex<double> wv = 0;
      double w = 0;
      for (std::size_t ch = 0; ch < 2; ++ch) {
        std::size_t k = obs.index(r, ch, c);
        if (obs.flag[k]) continue;
        wv += double(obs.weight[k]) * std::complex<double>(obs.vis[k]);
        w += obs.weight[k];
      }
      std::size_t k = avg.index(r, 0, c);
      ASSERT_EQ(avg.flag[k] != 0, w == 0);
      ASSERT_NEAR(avg.weight[k], w, 1e-5);
      if (w > 0) ASSERT_NEAR(std::abs(std::complex<double>(avg.vis[k]) - wv / w), 0, 1e-5);
    }
  EXPECT_EQ(average_channels(obs, 1).vis, obs.vis);
  EXPECT_THROW(average_channels(obs, 0), UsageError);
}

TEST(Averaging, TimeBinsPerBaseline) {
  test::SyntheticMsOptions o;
  o.nant = 4;
  o.ntime = 6;  // 30 s apart
  o.nchan = 2;
  Observation obs = test::synthetic_observation(o);
  // One sample flagged, one whole row flagged: left out of their bins.
  obs.flag[obs.index(0, 0, 0)] = 1;
  obs.vis[obs.index(0, 0, 0)] = {100.f, 0.f};
  Observation avg = average_time(obs, 60, "test");
  const std::size_t nbase = 6;
  ASSERT_EQ(avg.nrow, 3 * nbase);
  EXPECT_DOUBLE_EQ(avg.interval, 60);
  // Row 0 of the result: baseline (0,1), rows 0 and nbase of the input.
  EXPECT_EQ(avg.antenna1[0], 0);
  EXPECT_EQ(avg.antenna2[0], 1);
  EXPECT_DOUBLE_EQ(avg.time[0], 0.5 * (obs.time[0] + obs.time[nbase]));
  EXPECT_NEAR(avg.uvw[0], 0.5 * (obs.uvw[0] + obs.uvw[3 * nbase]), 1e-9);
  // The flagged sample does not enter: the bin holds the other row's value and weight.
  EXPECT_EQ(avg.vis[avg.index(0, 0, 0)], obs.vis[obs.index(nbase, 0, 0)]);
  EXPECT_FLOAT_EQ(avg.weight[avg.index(0, 0, 0)], obs.weight[obs.index(nbase, 0, 0)]);
  EXPECT_FLOAT_EQ(avg.weight[avg.index(0, 1, 0)],
                  obs.weight[obs.index(0, 1, 0)] + obs.weight[obs.index(nbase, 1, 0)]);
  // Total weight is conserved.
  double w_in = 0, w_out = 0;
  for (std::size_t k = 0; k < obs.weight.size(); ++k) w_in += obs.flag[k] ? 0 : obs.weight[k];
  for (std::size_t k = 0; k < avg.weight.size(); ++k) w_out += avg.flag[k] ? 0 : avg.weight[k];
  EXPECT_NEAR(w_in, w_out, 1e-6 * w_in);
  // A bin with every sample flagged stays flagged.
  Observation all = obs;
  for (auto& f : all.flag) f = 1;
  Observation a2 = average_time(all, 60, "test");
  for (auto f : a2.flag) ASSERT_EQ(f, 1);
  Observation no_time = obs;
  no_time.time.clear();
  auto msg = message_of<DataError>([&] { average_time(no_time, 60, "vis.txt"); });
  EXPECT_NE(msg.find("vis.txt"), std::string::npos) << msg;
}

TEST(Smearing, LossesGrowWithBaselineAndWidth) {
  const double radius = 1 * kArcsec;
  EXPECT_NEAR(bandwidth_smearing_loss(1e6, 0, radius), 0, 1e-15);
  // x = π·uv·Δν/ν·θ = π/2 → loss 1 − 2/π.
  EXPECT_NEAR(bandwidth_smearing_loss(1e6, 0.5 / (1e6 * radius), radius), 1 - 2 / kPi, 1e-12);
  EXPECT_LT(time_smearing_loss(1e5, 30, radius), time_smearing_loss(1e6, 30, radius));
  EXPECT_LT(time_smearing_loss(1e6, 10, radius), time_smearing_loss(1e6, 60, radius));
  // 10 000 kλ, 30 s, 1″: x = π·7.29e-5·30·1e7·4.85e-6 ≈ 0.333 → ≈ 1.8 %.
  EXPECT_NEAR(time_smearing_loss(1e7, 30, radius), 0.0183, 0.001);
}

}  // namespace
}  // namespace penumbra
