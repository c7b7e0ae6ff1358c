// MeasurementSets of several spectral windows: written one window (and data
// description) per Observation, read back window by window, and refused with
// one line when the windows cannot be combined (polarisation setup, frequency
// frame). Built as C++17: it edits a subtable through casacore, whose headers
// do not compile as C++20 (as src/io/measurement_set.cpp).
#include <casacore/tables/Tables/ScalarColumn.h>
#include <casacore/tables/Tables/Table.h>
#include <gtest/gtest.h>

#include "src/core/errors.hpp"
#include "src/io/measurement_set.hpp"
#include "tests/io/synthetic_ms.hpp"
#include "tests/support/error_message.hpp"
#include "tests/support/paths.hpp"

namespace penumbra {
namespace {

using test::message_of;

// Window 0: 4 channels at 230 GHz; window 1: 3 channels at 245 GHz, fewer rows.
std::vector<Observation> two_windows(std::vector<int> corr1 = {int(Corr::XX), int(Corr::YY)}) {
  test::SyntheticMsOptions o;
  o.l = 1e-6;
  Observation a = test::synthetic_observation(o);
  o.nchan = 3;
  o.ntime = 5;
  o.corr = corr1;
  o.seed = 9;
  Observation b = test::synthetic_observation(o);
  for (std::size_t ch = 0; ch < b.nchan; ++ch) b.freq[ch] = 245e9 + 31.25e6 * ch;
  return {a, b};
}

TEST(MeasurementSetWindows, WrittenAndReadWindowByWindow) {
  auto dir = test::scratch_dir("ms_windows");
  auto w = two_windows();
  write_measurement_set(dir / "two.ms", w);
  auto back = read_measurement_set_windows(dir / "two.ms", {});
  ASSERT_EQ(back.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(back[i].spw, static_cast<int>(i));
    EXPECT_EQ(back[i].field, 0);
    EXPECT_EQ(back[i].obs.nrow, w[i].nrow);
    EXPECT_EQ(back[i].obs.freq, w[i].freq);
    EXPECT_EQ(back[i].obs.vis, w[i].vis);
    EXPECT_EQ(back[i].obs.uvw, w[i].uvw);
    EXPECT_EQ(back[i].obs.weight, w[i].weight);
  }
  auto only1 = read_measurement_set_windows(dir / "two.ms", {}, {1});
  ASSERT_EQ(only1.size(), 1u);
  EXPECT_EQ(only1[0].obs.nchan, 3u);
  // The single-window reader keeps its default: the first window with rows.
  EXPECT_EQ(read_measurement_set(dir / "two.ms").nchan, 4u);
  EXPECT_EQ(read_measurement_set(dir / "two.ms", {"DATA", -1, 1}).nchan, 3u);
  auto msg = message_of<DataError>([&] { read_measurement_set_windows(dir / "two.ms", {}, {0, 5}); });
  EXPECT_NE(msg.find("spectral window 5 has no rows"), std::string::npos) << msg;
  EXPECT_NE(msg.find("0, 1"), std::string::npos) << msg;
}

TEST(MeasurementSetWindows, DifferentPolarisationSetupsRefused) {
  auto dir = test::scratch_dir("ms_windows_pol");
  write_measurement_set(dir / "pol.ms", two_windows({int(Corr::RR), int(Corr::LL)}));
  auto msg = message_of<DataError>([&] { read_measurement_set_windows(dir / "pol.ms", {}); });
  EXPECT_NE(msg.find("different polarisation setups (XX YY vs RR LL)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--spw"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos);
  EXPECT_EQ(read_measurement_set_windows(dir / "pol.ms", {}, {1}).at(0).obs.corr,
            (std::vector<int>{int(Corr::RR), int(Corr::LL)}));
}

TEST(MeasurementSetWindows, DifferentFrequencyFramesRefused) {
  auto dir = test::scratch_dir("ms_windows_frame");
  write_measurement_set(dir / "frame.ms", two_windows());
  {
    casacore::Table spw((dir / "frame.ms" / "SPECTRAL_WINDOW").string(), casacore::Table::Update);
    casacore::ScalarColumn<casacore::Int>(spw, "MEAS_FREQ_REF").put(1, 1);  // LSRK; window 0 is TOPO
  }
  auto msg = message_of<DataError>([&] { read_measurement_set_windows(dir / "frame.ms", {}); });
  EXPECT_NE(msg.find("different frequency reference frames (TOPO vs LSRK)"), std::string::npos) << msg;
  EXPECT_EQ(read_measurement_set_windows(dir / "frame.ms", {}, {0}).size(), 1u);
}

}  // namespace
}  // namespace penumbra
