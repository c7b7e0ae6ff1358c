#include "src/io/hdf5_store.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "src/core/errors.hpp"
#include "src/core/units.hpp"
#include "src/io/describe.hpp"
#include "tests/support/paths.hpp"

namespace penumbra {
namespace {

namespace fs = std::filesystem;

bool have_h5py() { return test::run_command("/usr/bin/python3 -c 'import h5py, numpy'") == 0; }

Observation small_observation() {
  Observation obs;
  obs.nrow = 3;
  obs.nchan = 2;
  obs.ncorr = 2;
  obs.corr = {int(Corr::XX), int(Corr::YY)};
  obs.freq = {230e9, 231e9};
  obs.allocate();
  for (std::size_t k = 0; k < obs.uvw.size(); ++k) obs.uvw[k] = 10.0 * k - 7.5;
  for (std::size_t k = 0; k < obs.vis.size(); ++k) {
    obs.vis[k] = {0.5f * k, -0.25f * k};
    obs.weight[k] = 1.0f + k;
    obs.flag[k] = k % 5 == 0;
  }
  obs.antenna1 = {0, 0, 1};
  obs.antenna2 = {1, 2, 2};
  obs.time = {4.9e9, 4.9e9 + 6, 4.9e9 + 12};
  obs.interval = 6;
  obs.ra = 1.25;
  obs.dec = -0.4;
  obs.telescope = "ALMA";
  obs.field = "AS209";
  obs.antenna_xyz = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  return obs;
}

TEST(Hdf5Store, ArraysRoundTripWithUnits) {
  auto dir = test::scratch_dir("hdf5_arrays");
  auto file = dir / "a.h5";
  {
    Hdf5Store s(file, Hdf5Store::Mode::kCreate);
    s.write("/metrics/chi2", Array<double>{{1.5, 2.5, 3.5, 4.5, 5.5, 6.5}, {2, 3}}, "1");
    s.write("images/x", Array<float>{{1.f, -2.f, 3.f, 4.f}, {4}}, "Jy/pixel");
    s.write("/labels", Array<std::int64_t>{{-3, 7, 1LL << 40}, {3}});
  }
  Hdf5Store s(file, Hdf5Store::Mode::kRead);
  EXPECT_TRUE(s.has("/metrics/chi2"));
  EXPECT_TRUE(s.has("metrics"));
  EXPECT_FALSE(s.has("/metrics/nothing"));
  EXPECT_FALSE(s.has("/labels/deeper"));
  auto a = s.read_double("/metrics/chi2");
  EXPECT_EQ(a.shape, (std::vector<std::size_t>{2, 3}));
  EXPECT_EQ(a.data, (std::vector<double>{1.5, 2.5, 3.5, 4.5, 5.5, 6.5}));
  EXPECT_EQ(s.attr_string("/metrics/chi2", "unit"), "1");
  EXPECT_EQ(s.attr_string("/images/x", "unit"), "Jy/pixel");
  EXPECT_FALSE(s.has_attr("/labels", "unit"));
  // Conversions between numeric types on read.
  auto f = s.read_float("/metrics/chi2");
  EXPECT_FLOAT_EQ(f.data[5], 6.5f);
  auto l = s.read_int("/labels");
  EXPECT_EQ(l.data[2], 1LL << 40);
  EXPECT_EQ(s.read_double("images/x").data[1], -2.0);
  EXPECT_EQ(s.dtype("/images/x"), "float32");
  EXPECT_EQ(s.dtype("/labels"), "int64");
  EXPECT_EQ(s.list(), (std::vector<std::string>{"/images/x", "/labels", "/metrics/chi2"}));
}

TEST(Hdf5Store, OverwriteReplacesDatasetAndReadWriteKeepsOthers) {
  auto dir = test::scratch_dir("hdf5_overwrite");
  auto file = dir / "a.h5";
  {
    Hdf5Store s(file, Hdf5Store::Mode::kCreate);
    s.write("/x", Array<double>{{1, 2, 3}, {3}}, "m");
    s.write("/y", Array<double>{{9}, {1}});
  }
  {
    Hdf5Store s(file, Hdf5Store::Mode::kReadWrite);
    s.write("/x", Array<double>{{4, 5}, {1, 2}}, "s");
  }
  {
    Hdf5Store s(file, Hdf5Store::Mode::kRead);
    EXPECT_EQ(s.shape("/x"), (std::vector<std::size_t>{1, 2}));
    EXPECT_EQ(s.read_double("/x").data, (std::vector<double>{4, 5}));
    EXPECT_EQ(s.attr_string("/x", "unit"), "s");
    EXPECT_EQ(s.read_double("/y").data, (std::vector<double>{9}));
  }
  // kCreate truncates (HDF5 refuses while the file is open elsewhere in the process).
  { Hdf5Store t(file, Hdf5Store::Mode::kCreate); }
  Hdf5Store t(file, Hdf5Store::Mode::kRead);
  EXPECT_TRUE(t.list().empty());
}

TEST(Hdf5Store, StacksGrowAndStreamRows) {
  auto dir = test::scratch_dir("hdf5_stack");
  auto file = dir / "samples.h5";
  const std::size_t ny = 3, nx = 4, item = ny * nx;
  {
    Hdf5Store s(file, Hdf5Store::Mode::kCreate);
    s.create_stack("/samples", {ny, nx}, "Jy/pixel");
    std::vector<float> batch(5 * item);
    for (std::size_t k = 0; k < batch.size(); ++k) batch[k] = static_cast<float>(k);
    s.append("/samples", batch.data(), 2);
    s.append("/samples", batch.data() + 2 * item, 3);
    s.append("/samples", batch.data(), 0);
    EXPECT_EQ(s.shape("/samples"), (std::vector<std::size_t>{5, ny, nx}));
  }
  {
    // Resuming: reopen and keep appending.
    Hdf5Store s(file, Hdf5Store::Mode::kReadWrite);
    std::vector<float> more(item, -1.f);
    s.append("/samples", more.data(), 1);
  }
  Hdf5Store s(file, Hdf5Store::Mode::kRead);
  EXPECT_EQ(s.shape("/samples"), (std::vector<std::size_t>{6, ny, nx}));
  auto rows = s.read_rows("/samples", 1, 3);
  EXPECT_EQ(rows.shape, (std::vector<std::size_t>{3, ny, nx}));
  for (std::size_t k = 0; k < rows.size(); ++k) EXPECT_EQ(rows.data[k], static_cast<float>(item + k));
  auto last = s.read_rows("/samples", 5, 1);
  EXPECT_EQ(last.data.front(), -1.f);
  EXPECT_EQ(s.read_rows("/samples", 6, 0).size(), 0u);
  EXPECT_THROW(s.read_rows("/samples", 4, 3), UsageError);
  EXPECT_EQ(s.attr_string("/samples", "unit"), "Jy/pixel");
}

TEST(Hdf5Store, AppendToPlainArrayIsRefused) {
  auto dir = test::scratch_dir("hdf5_append_plain");
  Hdf5Store s(dir / "a.h5", Hdf5Store::Mode::kCreate);
  s.write("/x", Array<float>{{1, 2}, {1, 2}});
  float v[2] = {3, 4};
  EXPECT_THROW(s.append("/x", v, 1), UsageError);
  EXPECT_THROW(s.append("/missing", v, 1), DataError);
  EXPECT_THROW(s.write("/bad", Array<float>{{1, 2, 3}, {2, 2}}), UsageError);
}

TEST(Hdf5Store, Attributes) {
  auto dir = test::scratch_dir("hdf5_attrs");
  auto file = dir / "a.h5";
  {
    Hdf5Store s(file, Hdf5Store::Mode::kCreate);
    s.set_attr("/", "penumbra_version", "0.1.0");
    s.set_attr("/", "seed", 42.0);
    s.set_attr("/run/config", "sigma", 0.125);  // creates the groups
    s.write("/x", Array<double>{{1}, {1}});
    s.set_attr("/x", "note", "first");
    s.set_attr("/x", "note", "second");  // replaces
  }
  Hdf5Store s(file, Hdf5Store::Mode::kRead);
  EXPECT_EQ(s.attr_string("/", "penumbra_version"), "0.1.0");
  EXPECT_EQ(s.attr_double("/", "seed"), 42.0);
  EXPECT_EQ(s.attr_double("/run/config", "sigma"), 0.125);
  EXPECT_EQ(s.attr_string("/x", "note"), "second");
  EXPECT_TRUE(s.has_attr("/x", "note"));
  EXPECT_FALSE(s.has_attr("/x", "other"));
  EXPECT_FALSE(s.has_attr("/nothing", "other"));
  auto names = s.attr_names("/");
  EXPECT_EQ(names.size(), 2u);
  try {
    s.attr_string("/x", "other");
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("other"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("a.h5"), std::string::npos);
  }
  EXPECT_THROW(s.attr_double("/x", "note"), DataError);  // a string, not a number
  EXPECT_THROW(s.attr_string("/", "seed"), DataError);
  EXPECT_THROW(s.set_attr("/x", "k", 1.0), UsageError);  // read-only
}

TEST(Hdf5Store, ImageRoundTripWithWcs) {
  auto dir = test::scratch_dir("hdf5_image");
  auto file = dir / "img.h5";
  ImageGrid grid{6, 4, 3e-3 * kArcsec, 4.2, -0.65};
  std::vector<double> pix(grid.size());
  for (std::size_t k = 0; k < pix.size(); ++k) pix[k] = std::sin(0.3 * k);
  {
    Hdf5Store s(file, Hdf5Store::Mode::kCreate);
    s.write_image("/posterior/mean", pix, grid, "Jy/pixel");
    EXPECT_THROW(s.write_image("/bad", std::vector<double>(3), grid, "Jy"), UsageError);
  }
  Hdf5Store s(file, Hdf5Store::Mode::kRead);
  ImageGrid back;
  auto got = s.read_image("/posterior/mean", &back);
  EXPECT_EQ(got, pix);
  EXPECT_EQ(back.nx, 6);
  EXPECT_EQ(back.ny, 4);
  EXPECT_EQ(back.cell, grid.cell);
  EXPECT_EQ(back.ra, grid.ra);
  EXPECT_EQ(back.dec, grid.dec);
  EXPECT_EQ(s.shape("/posterior/mean"), (std::vector<std::size_t>{4, 6}));
  EXPECT_EQ(s.attr_string("/posterior/mean", "CTYPE1"), "RA---SIN");
  EXPECT_EQ(s.attr_double("/posterior/mean", "CRPIX1"), 4.0);
  EXPECT_EQ(s.attr_double("/posterior/mean", "CRPIX2"), 3.0);
  EXPECT_LT(s.attr_double("/posterior/mean", "CDELT1"), 0.0);
  EXPECT_NEAR(s.attr_double("/posterior/mean", "CRVAL1"), 4.2 / kDeg, 1e-12);
  EXPECT_EQ(s.attr_string("/posterior/mean", "unit"), "Jy/pixel");
}

TEST(Hdf5Store, ObservationRoundTrip) {
  auto dir = test::scratch_dir("hdf5_obs");
  auto file = dir / "obs.h5";
  Observation obs = small_observation();
  {
    Hdf5Store s(file, Hdf5Store::Mode::kCreate);
    s.write_observation("/obs", obs);
  }
  Hdf5Store s(file, Hdf5Store::Mode::kRead);
  EXPECT_EQ(s.dtype("/obs/vis"), "complex64");
  Observation b = s.read_observation("/obs");
  EXPECT_EQ(b.nrow, obs.nrow);
  EXPECT_EQ(b.nchan, obs.nchan);
  EXPECT_EQ(b.ncorr, obs.ncorr);
  EXPECT_EQ(b.uvw, obs.uvw);
  EXPECT_EQ(b.freq, obs.freq);
  EXPECT_EQ(b.corr, obs.corr);
  EXPECT_EQ(b.vis, obs.vis);
  EXPECT_EQ(b.weight, obs.weight);
  EXPECT_EQ(b.flag, obs.flag);
  EXPECT_EQ(b.antenna1, obs.antenna1);
  EXPECT_EQ(b.antenna2, obs.antenna2);
  EXPECT_EQ(b.time, obs.time);
  EXPECT_EQ(b.antenna_xyz, obs.antenna_xyz);
  EXPECT_EQ(b.ra, obs.ra);
  EXPECT_EQ(b.dec, obs.dec);
  EXPECT_EQ(b.interval, obs.interval);
  EXPECT_EQ(b.telescope, obs.telescope);
  EXPECT_EQ(b.field, obs.field);
  EXPECT_EQ(b.frequency_known, obs.frequency_known);
  EXPECT_EQ(s.attr_string("/obs/uvw", "unit"), "m");
  EXPECT_EQ(s.attr_string("/obs/freq", "unit"), "Hz");
  EXPECT_THROW(s.read_observation("/nothing"), DataError);
}

TEST(Hdf5Store, ObservationWithoutOptionalArrays) {
  auto dir = test::scratch_dir("hdf5_obs_min");
  Observation obs;
  obs.nrow = 2;
  obs.nchan = 1;
  obs.ncorr = 1;
  obs.corr = {int(Corr::I)};
  obs.freq = {kSpeedOfLight};
  obs.frequency_known = false;
  obs.allocate();
  Hdf5Store s(dir / "o.h5", Hdf5Store::Mode::kCreate);
  s.write_observation("uvtable", obs);
  Observation b = s.read_observation("uvtable");
  EXPECT_FALSE(b.frequency_known);
  EXPECT_TRUE(b.antenna1.empty());
  EXPECT_TRUE(b.time.empty());
  EXPECT_EQ(b.vis.size(), 2u);
}

TEST(Hdf5Store, MissingFileIsMissingInput) {
  auto dir = test::scratch_dir("hdf5_missing");
  EXPECT_THROW(Hdf5Store(dir / "nope.h5", Hdf5Store::Mode::kRead), MissingInputError);
}

TEST(Hdf5Store, NotHdf5IsDataError) {
  auto dir = test::scratch_dir("hdf5_not");
  auto file = dir / "text.h5";
  std::ofstream(file) << "u v re im weight\n1 2 3 4 5\n";
  try {
    Hdf5Store s(file, Hdf5Store::Mode::kRead);
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("text.h5"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("not an HDF5"), std::string::npos);
  }
}

TEST(Hdf5Store, TruncatedFileIsDataError) {
  auto dir = test::scratch_dir("hdf5_truncated");
  auto file = dir / "t.h5";
  {
    Hdf5Store s(file, Hdf5Store::Mode::kCreate);
    std::vector<double> big(20000, 1.0);
    s.write("/a/big", Array<double>{big, {big.size()}}, "Jy");
  }
  auto size = fs::file_size(file);
  fs::resize_file(file, size / 3);
  // Depending on where the cut falls HDF5 refuses at open or at read: either way a DataError.
  EXPECT_THROW(
      {
        Hdf5Store s(file, Hdf5Store::Mode::kRead);
        s.read_double("/a/big");
      },
      DataError);
}

TEST(Hdf5Store, MissingDatasetAndWrongRankNameFileAndDataset) {
  auto dir = test::scratch_dir("hdf5_bad_dataset");
  auto file = dir / "d.h5";
  {
    Hdf5Store s(file, Hdf5Store::Mode::kCreate);
    s.write("/vec", Array<double>{{1, 2, 3}, {3}});
  }
  Hdf5Store s(file, Hdf5Store::Mode::kRead);
  try {
    s.read_double("/images/missing");
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("d.h5"), std::string::npos) << m;
    EXPECT_NE(m.find("/images/missing"), std::string::npos) << m;
  }
  try {
    s.read_image("/vec");
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("d.h5"), std::string::npos) << m;
    EXPECT_NE(m.find("/vec"), std::string::npos) << m;
    EXPECT_NE(m.find("rank 1"), std::string::npos) << m;
  }
  EXPECT_THROW(s.shape("/nothing"), DataError);
  EXPECT_THROW(s.write("/x", Array<double>{{1}, {1}}), UsageError);
}

TEST(Hdf5Store, H5pyReadsTheLayout) {
  if (!have_h5py()) GTEST_SKIP() << "python3 h5py not available";
  auto dir = test::scratch_dir("hdf5_h5py");
  auto file = dir / "h.h5";
  {
    Hdf5Store s(file, Hdf5Store::Mode::kCreate);
    s.write_observation("/obs", small_observation());
    ImageGrid grid{4, 4, kArcsec, 1.0, 0.5};
    s.write_image("/img", std::vector<double>(16, 2.0), grid, "Jy/beam");
    s.create_stack("/samples", {4, 4}, "Jy/pixel");
    std::vector<float> item(16, 3.f);
    s.append("/samples", item.data(), 1);
  }
  auto script = dir / "check.py";
  std::ofstream(script) << "import sys, h5py, numpy as np\n"
                           "f = h5py.File(sys.argv[1], 'r')\n"
                           "v = f['obs/vis'][()]\n"
                           "assert v.dtype == np.complex64, v.dtype\n"
                           "assert v.shape == (3, 2, 2), v.shape\n"
                           "assert v[0, 0, 1] == 0.5 - 0.25j, v[0, 0, 1]\n"
                           "assert f['obs/uvw'].attrs['unit'] == 'm'\n"
                           "assert f['obs'].attrs['telescope'] == 'ALMA'\n"
                           "assert f['img'].attrs['CTYPE1'] == 'RA---SIN'\n"
                           "assert f['img'].attrs['CDELT1'] < 0\n"
                           "assert f['samples'].shape == (1, 4, 4) and f['samples'].maxshape[0] is None\n"
                           "assert f['samples'][0, 0, 0] == 3.0\n"
                           "print('ok')\n";
  std::string out;
  int rc = test::run_command("/usr/bin/python3 " + script.string() + " " + file.string(), &out);
  EXPECT_EQ(rc, 0) << out;
}

TEST(Hdf5Store, ReadsWhatH5pyWrites) {
  if (!have_h5py()) GTEST_SKIP() << "python3 h5py not available";
  auto dir = test::scratch_dir("hdf5_from_h5py");
  auto file = dir / "py.h5";
  std::string out;
  int rc = test::run_command("/usr/bin/python3 -c \"import h5py, numpy as np; f = h5py.File('" + file.string() +
                                 "', 'w'); d = f.create_dataset('g/x', data=np.arange(6, dtype=np.int32).reshape(2, 3));"
                                 " d.attrs['unit'] = 'K'; d.attrs['fixed'] = np.bytes_(b'abc'); f.close()\"",
                             &out);
  ASSERT_EQ(rc, 0) << out;
  Hdf5Store s(file, Hdf5Store::Mode::kRead);
  auto a = s.read_double("/g/x");
  EXPECT_EQ(a.shape, (std::vector<std::size_t>{2, 3}));
  EXPECT_EQ(a.data[5], 5.0);
  EXPECT_EQ(s.attr_string("/g/x", "unit"), "K");
  EXPECT_EQ(s.attr_string("/g/x", "fixed"), "abc");
}

TEST(Hdf5Store, DescribeForPenumbraInfo) {
  auto dir = test::scratch_dir("hdf5_describe");
  auto file = dir / "run.h5";
  {
    Hdf5Store s(file, Hdf5Store::Mode::kCreate);
    s.set_attr("/", "seed", 7.0);
    s.set_attr("/", "command", "sample");
    s.write_observation("/obs", small_observation());
    ImageGrid grid{16, 16, 3e-3 * kArcsec, 1.0, -0.5};
    s.write_image("/posterior/mean", std::vector<double>(grid.size(), 1.0), grid, "Jy/pixel");
    s.create_stack("/posterior/samples", {16, 16}, "Jy/pixel");
  }
  FileDescription d = describe_file(file);
  EXPECT_EQ(d.format, "HDF5");
  EXPECT_EQ(d.json["rows"], 3);
  EXPECT_EQ(d.json["channels"], 2);
  EXPECT_DOUBLE_EQ(d.json["frequency_range_hz"][0].get<double>(), 230e9);
  EXPECT_EQ(d.json["image"]["name"], "/posterior/mean");
  EXPECT_EQ(d.json["image"]["shape"], (std::vector<std::size_t>{16, 16}));
  EXPECT_LT(d.json["image"]["wcs"]["cdelt_deg"][0].get<double>(), 0);
  EXPECT_EQ(d.json["attributes"]["seed"], 7.0);
  EXPECT_EQ(d.json["attributes"]["command"], "sample");
  bool saw_stack = false;
  for (auto& ds : d.json["datasets"])
    if (ds["name"] == "/posterior/samples") {
      saw_stack = true;
      EXPECT_EQ(ds["shape"], (std::vector<std::size_t>{0, 16, 16}));
      EXPECT_EQ(ds["unit"], "Jy/pixel");
      EXPECT_EQ(ds["dtype"], "float32");
    }
  EXPECT_TRUE(saw_stack);
  std::string all;
  for (auto& l : d.lines) all += l.label + ": " + l.text + "\n";
  EXPECT_NE(all.find("3 rows × 2 channels × 2 correlations (XX YY)"), std::string::npos) << all;
  EXPECT_NE(all.find("complex64 [3 × 2 × 2] Jy"), std::string::npos) << all;
  // A text file named .h5 is a clear DataError.
  std::ofstream(dir / "fake.h5") << "not hdf5";
  EXPECT_THROW(describe_file(dir / "fake.h5"), DataError);
}

}  // namespace
}  // namespace penumbra
