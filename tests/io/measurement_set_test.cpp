// MeasurementSet reader/writer: round trips, the stored sign convention
// (checked independently with python3-casacore and WSClean when installed),
// bad input, and the real casacore test MS from ../shared/data.
#include "src/io/measurement_set.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fmt/format.h>

#include <fstream>
#include <functional>
#include <optional>
#include <algorithm>
#include <nlohmann/json.hpp>

#include "src/core/errors.hpp"
#include "src/io/describe.hpp"
#include "tests/io/synthetic_ms.hpp"
#include "tests/support/error_message.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/wsclean.hpp"

namespace penumbra {
namespace {

using test::message_of;
using test::scratch_dir;
using test::synthetic_observation;
using test::SyntheticMsOptions;

void expect_same(const Observation& a, const Observation& b) {
  ASSERT_EQ(a.nrow, b.nrow);
  ASSERT_EQ(a.nchan, b.nchan);
  ASSERT_EQ(a.ncorr, b.ncorr);
  EXPECT_EQ(a.uvw, b.uvw);
  EXPECT_EQ(a.freq, b.freq);
  EXPECT_EQ(a.corr, b.corr);
  EXPECT_EQ(a.vis, b.vis);
  EXPECT_EQ(a.weight, b.weight);
  EXPECT_EQ(a.flag, b.flag);
  EXPECT_EQ(a.antenna1, b.antenna1);
  EXPECT_EQ(a.antenna2, b.antenna2);
  EXPECT_EQ(a.time, b.time);
  EXPECT_EQ(a.interval, b.interval);
  EXPECT_EQ(a.ra, b.ra);
  EXPECT_EQ(a.dec, b.dec);
  EXPECT_EQ(a.antenna_xyz, b.antenna_xyz);
  EXPECT_EQ(a.dish_diameter, b.dish_diameter);
  EXPECT_EQ(a.telescope, b.telescope);
  EXPECT_EQ(a.field, b.field);
  EXPECT_TRUE(b.frequency_known);
}

TEST(MeasurementSet, RoundTripWithChannelConstantWeights) {
  auto dir = scratch_dir("ms_roundtrip_weight");
  SyntheticMsOptions o;
  o.flag_fraction = 0.1;
  o.l = 1e-6;
  o.m = -2e-6;
  Observation obs = synthetic_observation(o);
  auto path = dir / "synth.ms";
  write_measurement_set(path, obs);
  EXPECT_TRUE(std::filesystem::is_directory(path));
  EXPECT_FALSE(std::filesystem::exists(dir / "synth.ms.tmp"));
  Observation back = read_measurement_set(path);
  expect_same(obs, back);
  // Overwriting an existing MS replaces it.
  obs.vis[0] = {3.f, 4.f};
  write_measurement_set(path, obs);
  EXPECT_EQ(read_measurement_set(path).vis[0], std::complex<float>(3.f, 4.f));
}

TEST(MeasurementSet, RoundTripWithWeightSpectrum) {
  auto dir = scratch_dir("ms_roundtrip_spectrum");
  SyntheticMsOptions o;
  o.channel_weights = true;
  o.flag_fraction = 0.3;
  Observation obs = synthetic_observation(o);
  write_measurement_set(dir / "s.ms", obs);
  expect_same(obs, read_measurement_set(dir / "s.ms"));
}

TEST(MeasurementSet, RoundTripCircularFourCorrelations) {
  auto dir = scratch_dir("ms_roundtrip_circular");
  SyntheticMsOptions o;
  o.corr = {int(Corr::RR), int(Corr::RL), int(Corr::LR), int(Corr::LL)};
  o.nchan = 1;
  Observation obs = synthetic_observation(o);
  write_measurement_set(dir / "c.ms", obs);
  Observation back = read_measurement_set(dir / "c.ms");
  expect_same(obs, back);
  // Stokes I from RR/LL of a 1 Jy point source at the phase centre.
  auto si = back.stokes_i();
  ASSERT_EQ(si.size(), obs.nrow);
  for (std::size_t k = 0; k < si.size(); ++k) EXPECT_NEAR(std::abs(si.vis[k] - std::complex<double>(1, 0)), 0, 1e-6);
}

TEST(MeasurementSet, FlagRowAndNonFiniteValuesAreFlaggedNotPropagated) {
  auto dir = scratch_dir("ms_nonfinite");
  Observation obs = synthetic_observation();
  // Everything flagged in row 3 → FLAG_ROW true on disk; NaN and a negative weight elsewhere.
  for (std::size_t ch = 0; ch < obs.nchan; ++ch)
    for (std::size_t c = 0; c < obs.ncorr; ++c) obs.flag[obs.index(3, ch, c)] = 1;
  obs.vis[obs.index(5, 1, 0)] = {std::nanf(""), 0.f};
  obs.weight[obs.index(6, 2, 1)] = -1.f;
  obs.weight[obs.index(7, 0, 0)] = INFINITY;
  write_measurement_set(dir / "n.ms", obs);
  Observation back = read_measurement_set(dir / "n.ms");
  EXPECT_TRUE(back.flag[back.index(5, 1, 0)]);
  EXPECT_EQ(back.vis[back.index(5, 1, 0)], std::complex<float>(0, 0));
  EXPECT_TRUE(back.flag[back.index(6, 2, 1)]);
  EXPECT_EQ(back.weight[back.index(6, 2, 1)], 0.f);
  EXPECT_FALSE(back.flag[back.index(6, 2, 0)]);
  EXPECT_TRUE(back.flag[back.index(7, 0, 0)]);
  auto si = back.stokes_i();
  EXPECT_NO_THROW(si.validate("test"));
  EXPECT_EQ(si.size(), obs.nrow * obs.nchan - 1 * obs.nchan - 3);
}

TEST(MeasurementSet, BadInputGivesOneClearLine) {
  auto dir = scratch_dir("ms_bad");
  EXPECT_THROW(read_measurement_set(dir / "nope.ms"), MissingInputError);
  std::ofstream(dir / "file.ms") << "not a table\n";
  auto m = message_of<DataError>([&] { read_measurement_set(dir / "file.ms"); });
  EXPECT_NE(m.find("file.ms"), std::string::npos);
  std::filesystem::create_directories(dir / "empty.ms");
  m = message_of<DataError>([&] { read_measurement_set(dir / "empty.ms"); });
  EXPECT_NE(m.find("not a MeasurementSet"), std::string::npos);

  write_measurement_set(dir / "ok.ms", synthetic_observation());
  m = message_of<DataError>([&] { read_measurement_set(dir / "ok.ms", {"CORRECTED_DATA"}); });
  EXPECT_NE(m.find("CORRECTED_DATA"), std::string::npos) << m;
  EXPECT_NE(m.find("ok.ms"), std::string::npos) << m;
  EXPECT_NE(m.find("DATA"), std::string::npos) << m;
  m = message_of<DataError>([&] { read_measurement_set(dir / "ok.ms", {"DATA", 5, -1}); });
  EXPECT_NE(m.find("field 5"), std::string::npos) << m;
  m = message_of<DataError>([&] { read_measurement_set(dir / "ok.ms", {"DATA", -1, 3}); });
  EXPECT_NE(m.find("spectral window 3"), std::string::npos) << m;

  // Corrupt: the main table's description overwritten with garbage.
  std::filesystem::copy(dir / "ok.ms", dir / "corrupt.ms", std::filesystem::copy_options::recursive);
  std::ofstream(dir / "corrupt.ms" / "table.dat", std::ios::trunc) << "garbage garbage garbage";
  m = message_of<DataError>([&] { read_measurement_set(dir / "corrupt.ms"); });
  EXPECT_NE(m.find("corrupt.ms"), std::string::npos) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  // Corrupt: a data file cut short.
  std::filesystem::copy(dir / "ok.ms", dir / "short.ms", std::filesystem::copy_options::recursive);
  for (auto& e : std::filesystem::directory_iterator(dir / "short.ms"))
    if (e.path().filename().string().rfind("table.f", 0) == 0 && e.is_regular_file())
      std::filesystem::resize_file(e.path(), 16);
  EXPECT_THROW(read_measurement_set(dir / "short.ms"), DataError);
  // A subtable removed.
  std::filesystem::copy(dir / "ok.ms", dir / "nospw.ms", std::filesystem::copy_options::recursive);
  std::filesystem::remove_all(dir / "nospw.ms" / "SPECTRAL_WINDOW");
  m = message_of<DataError>([&] { read_measurement_set(dir / "nospw.ms"); });
  EXPECT_NE(m.find("SPECTRAL_WINDOW"), std::string::npos) << m;
}

TEST(MeasurementSet, WriterRequiresRowMetadata) {
  auto dir = scratch_dir("ms_writer_needs");
  Observation obs = synthetic_observation();
  Observation no_ant = obs;
  no_ant.antenna_xyz.clear();
  EXPECT_THROW(write_measurement_set(dir / "a.ms", no_ant), UsageError);
  Observation no_time = obs;
  no_time.time.clear();
  EXPECT_THROW(write_measurement_set(dir / "b.ms", no_time), UsageError);
  Observation bad_ant = obs;
  bad_ant.antenna2[0] = 99;
  EXPECT_THROW(write_measurement_set(dir / "c.ms", bad_ant), UsageError);
  EXPECT_FALSE(std::filesystem::exists(dir / "a.ms"));
  EXPECT_FALSE(std::filesystem::exists(dir / "c.ms.tmp"));
}

bool have_python_casacore() { return std::system("/usr/bin/python3 -c 'import casacore.tables' >/dev/null 2>&1") == 0; }

// An independent reader (python3-casacore) sees the expected columns, subtables
// and values, and DATA of an off-centre point source in the CASA convention
// exp(+2πi(ul + vm + w(n−1))) (REFERENCE.md §1).
TEST(MeasurementSet, OpensInPythonCasacoreWithCasaSignConvention) {
  if (!have_python_casacore()) GTEST_SKIP() << "python3-casacore not installed";
  auto dir = scratch_dir("ms_python");
  SyntheticMsOptions o;
  o.l = 0.3 * kArcsec;
  o.m = -0.2 * kArcsec;
  Observation obs = synthetic_observation(o);
  write_measurement_set(dir / "p.ms", obs);
  std::ofstream(dir / "check.py") << R"PY(
import sys, numpy as np, casacore.tables as T
ms = T.table(sys.argv[1], ack=False)
for c in ['UVW','FLAG','FLAG_ROW','WEIGHT','SIGMA','ANTENNA1','ANTENNA2','TIME','EXPOSURE','INTERVAL',
          'DATA_DESC_ID','FIELD_ID','DATA','SCAN_NUMBER','STATE_ID','TIME_CENTROID']:
    assert c in ms.colnames(), c
assert ms.nrows() == int(sys.argv[2]), ms.nrows()
assert ms.getkeyword('MS_VERSION') == 2.0
sub = lambda n: T.table(ms.getkeyword(n), ack=False)
assert sub('ANTENNA').nrows() == 8 and sub('FEED').nrows() == 8
assert sub('ANTENNA').getcell('DISH_DIAMETER', 0) == 12.0
assert sub('OBSERVATION').getcell('TELESCOPE_NAME', 0) == 'ALMA'
assert list(sub('POLARIZATION').getcell('CORR_TYPE', 0)) == [9, 12]
assert sub('DATA_DESCRIPTION').nrows() == 1 and sub('STATE').nrows() == 1 and sub('PROCESSOR').nrows() == 1
f = sub('SPECTRAL_WINDOW').getcell('CHAN_FREQ', 0)
assert np.allclose(f, 230e9 + 15.625e6*np.arange(4), rtol=0, atol=1e-3), f
pd = sub('FIELD').getcell('PHASE_DIR', 0)
assert pd.shape == (1, 2) and pd[0,0] == 1.2345 and pd[0,1] == -0.4, pd
l, m = float(sys.argv[3]), float(sys.argv[4]); n = np.sqrt(1 - l*l - m*m)
uvw = ms.getcol('UVW'); data = ms.getcol('DATA')            # [row, chan, corr]
s = f[None, :] / 299792458.0
ph = 2*np.pi*s*(uvw[:, 0:1]*l + uvw[:, 1:2]*m + uvw[:, 2:3]*(n-1))
err = np.abs(data[:, :, 0] - np.exp(1j*ph)).max()
assert err < 1e-4, err
w = ms.getcol('WEIGHT'); sg = ms.getcol('SIGMA')
assert np.allclose(w[:, 0], 2.0) and np.allclose(w[:, 1], 2.25) and np.allclose(sg, 1/np.sqrt(w))
print('OK')
)PY";
  std::string out;
  int rc = test::run_command(fmt::format("/usr/bin/python3 {} {} {} {:.17g} {:.17g}", (dir / "check.py").string(),
                                         (dir / "p.ms").string(), obs.nrow, o.l, o.m),
                             &out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("OK"), std::string::npos) << out;
}

// Columns that exist but hold no cells (common in ALMA data): an empty
// WEIGHT_SPECTRUM falls back to WEIGHT; an empty CORRECTED_DATA is an error.
TEST(MeasurementSet, EmptyWeightSpectrumFallsBackToWeight) {
  if (!have_python_casacore()) GTEST_SKIP() << "python3-casacore not installed";
  auto dir = scratch_dir("ms_empty_ws");
  Observation obs = synthetic_observation();
  write_measurement_set(dir / "e.ms", obs);
  std::ofstream(dir / "add.py") << R"PY(
import sys, casacore.tables as T
t = T.table(sys.argv[1], readonly=False, ack=False)
t.addcols(T.maketabdesc([T.makearrcoldesc('WEIGHT_SPECTRUM', 0.0, ndim=2, valuetype='float'),
                         T.makearrcoldesc('CORRECTED_DATA', 0j, ndim=2, valuetype='complex')]))
t.close()
)PY";
  std::string out;
  ASSERT_EQ(test::run_command(fmt::format("/usr/bin/python3 {} {}", (dir / "add.py").string(), (dir / "e.ms").string()), &out), 0)
      << out;
  Observation back = read_measurement_set(dir / "e.ms");
  EXPECT_EQ(back.weight, obs.weight);
  auto m = message_of<DataError>([&] { read_measurement_set(dir / "e.ms", {"CORRECTED_DATA"}); });
  EXPECT_NE(m.find("CORRECTED_DATA is empty"), std::string::npos) << m;
  auto d = describe_measurement_set(dir / "e.ms");
  EXPECT_EQ(d.json["weight"]["min"], 2.0);
}

// WSClean (which follows CASA) images the MS penumbra wrote, and the point
// source lands East-left / North-up where it was put: the end-to-end check of
// the stored sign convention.
TEST(MeasurementSet, WscleanImagesWrittenMsWithSourceInPlace) {
  if (std::system("/usr/bin/python3 -c 'import astropy.io.fits' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "astropy not installed";
  auto dir = scratch_dir("ms_wsclean");
  SyntheticMsOptions o;
  o.l = 0.3 * kArcsec;   // East: 15 pixels of 20 mas left of the centre
  o.m = 0.2 * kArcsec;   // North: 10 pixels up
  o.nant = 10;
  o.ntime = 24;
  auto env = test::wsclean_launcher();
  if (!env) GTEST_SKIP() << "wsclean not installed or cannot start";
  Observation obs = synthetic_observation(o);
  write_measurement_set(dir / "w.ms", obs);
  std::string out;
  int rc = test::run_command(fmt::format("cd {} && {} wsclean -j 1 -quiet -size 64 64 -scale 20masec -niter 0 -name w w.ms",
                                         dir.string(), *env),
                             &out);
  ASSERT_EQ(rc, 0) << out;
  ASSERT_TRUE(std::filesystem::exists(dir / "w-dirty.fits")) << out;
  rc = test::run_command(fmt::format("/usr/bin/python3 -c \"import numpy as np; from astropy.io import fits; "
                                     "d = fits.getdata('{}').squeeze(); y, x = np.unravel_index(np.argmax(d), d.shape); "
                                     "print('PEAK', x, y)\"",
                                     (dir / "w-dirty.fits").string()),
                             &out);
  ASSERT_EQ(rc, 0) << out;
  int x = -1, y = -1;
  std::sscanf(out.substr(out.find("PEAK")).c_str(), "PEAK %d %d", &x, &y);
  // FITS pixel (33, 33) (1-based) is the phase centre: numpy index 32.
  EXPECT_NEAR(x, 32 - 15, 1) << out;
  EXPECT_NEAR(y, 32 + 10, 1) << out;
}

// ---------------------------------------------------------------------------
// The real casacore test MS (ALMA, 1058 rows, 2 fields, 3 spectral windows).

std::filesystem::path untar_test_ms(const std::filesystem::path& tgz, const std::string& name) {
  auto dir = scratch_dir(name);
  std::string out;
  int rc = test::run_command(fmt::format("tar xzf {} -C {}", tgz.string(), dir.string()), &out);
  EXPECT_EQ(rc, 0) << out;
  return dir / "mssel_test_small.ms";
}

TEST(MeasurementSetReal, CasacoreTestMs) {
  PENUMBRA_REQUIRE_SHARED(tgz, "ms/mssel_test_small.ms.tgz");
  auto ms = untar_test_ms(tgz, "ms_real");
  FileDescription d = describe_measurement_set(ms);
  EXPECT_EQ(d.json["rows"], 1058);
  EXPECT_EQ(d.json["antennas"], 13);
  EXPECT_EQ(d.json["telescope"], "ALMA");
  EXPECT_NEAR(d.json["flagged_fraction"].get<double>(), 0.348, 0.005);

  // Default selection: spw 1 (the first with rows; spw 0 is only reached by no
  // row), field 1 (field 0 is entirely flagged in spw 1).
  Observation obs = read_measurement_set(ms);
  EXPECT_EQ(obs.nchan, 64u);
  EXPECT_EQ(obs.ncorr, 4u);
  EXPECT_EQ(obs.corr, (std::vector<int>{9, 10, 11, 12}));
  // A lower-sideband window: frequencies decrease with channel number.
  EXPECT_NEAR(*std::min_element(obs.freq.begin(), obs.freq.end()), 84.32e9, 0.01e9);
  EXPECT_NEAR(*std::max_element(obs.freq.begin(), obs.freq.end()), 86.29e9, 0.01e9);
  EXPECT_EQ(obs.nrow, 368u);
  EXPECT_EQ(obs.field, "J1423-7829");
  EXPECT_EQ(obs.telescope, "ALMA");
  EXPECT_EQ(obs.antenna_xyz.size(), 13u * 3);
  EXPECT_EQ(obs.dish_diameter, 12.0);
  EXPECT_GT(obs.interval, 0);
  // WEIGHT_SPECTRUM exists but is empty: WEIGHT repeated over channels.
  for (std::size_t r = 0; r < obs.nrow; r += 37)
    for (std::size_t ch = 1; ch < obs.nchan; ++ch)
      for (std::size_t c = 0; c < obs.ncorr; ++c) ASSERT_EQ(obs.weight[obs.index(r, ch, c)], obs.weight[obs.index(r, 0, c)]);
  EXPECT_GT(obs.stokes_i().size(), 0u);

  // DDID 1 across both fields: 529 rows, ≈ 35 % flagged.
  Observation f0 = read_measurement_set(ms, {"DATA", 0, 1});
  EXPECT_EQ(f0.nrow, 161u);
  EXPECT_DOUBLE_EQ(f0.flagged_fraction(), 1.0);
  double flagged = f0.flagged_fraction() * f0.flag.size() + obs.flagged_fraction() * obs.flag.size();
  EXPECT_NEAR(flagged / (f0.flag.size() + obs.flag.size()), 0.348, 0.005);
  EXPECT_EQ(f0.nrow + obs.nrow, 529u);
  // spw 2: one channel; spw 0 has no rows.
  Observation s2 = read_measurement_set(ms, {"DATA", 1, 2});
  EXPECT_EQ(s2.nchan, 1u);
  EXPECT_EQ(s2.nrow, 368u);
  EXPECT_EQ(s2.ncorr, 4u);
  EXPECT_THROW(read_measurement_set(ms, {"DATA", -1, 0}), DataError);
  EXPECT_THROW(read_measurement_set(ms, {"CORRECTED_DATA"}), DataError);

  // Re-written by penumbra and read back: the same observation.
  auto out = ms.parent_path() / "rewritten.ms";
  write_measurement_set(out, obs);
  Observation back = read_measurement_set(out);
  EXPECT_EQ(back.vis, obs.vis);
  EXPECT_EQ(back.uvw, obs.uvw);
  EXPECT_EQ(back.flag, obs.flag);
  EXPECT_EQ(back.weight, obs.weight);
}

}  // namespace
}  // namespace penumbra
