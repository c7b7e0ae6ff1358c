// uvtable text files (plain, .bz2, .gz): round trips, the stored sign
// convention, malformed input, and the frank mock uvtable from ../shared/data.
#include "src/io/uvtable.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <random>

#include <fmt/format.h>

#include "src/core/errors.hpp"
#include "src/core/run_folder.hpp"
#include "src/core/units.hpp"
#include "src/io/describe.hpp"
#include "src/io/text_compression.hpp"
#include "tests/support/error_message.hpp"
#include "tests/support/paths.hpp"

namespace penumbra {
namespace {

using test::message_of;
using test::scratch_dir;

VisibilitySet random_set(std::size_t n, unsigned seed = 3) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> g(0, 1);
  VisibilitySet s;
  for (std::size_t k = 0; k < n; ++k) {
    s.u.push_back(1e5 * g(rng));
    s.v.push_back(1e5 * g(rng));
    // Float-representable values: the Observation stores complex<float>.
    s.vis.emplace_back(static_cast<float>(g(rng)), static_cast<float>(g(rng)));
    s.weight.push_back(static_cast<float>(std::abs(g(rng)) + 0.1));
  }
  return s;
}

void write_file(const std::filesystem::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

class UvtableRoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(UvtableRoundTrip, WriteThenReadGivesTheSameVisibilities) {
  std::string tag = GetParam();
  std::replace(tag.begin(), tag.end(), '.', '_');
  auto dir = scratch_dir("uvtable_rt" + tag);
  auto path = dir / ("table" + GetParam());
  VisibilitySet s = random_set(500);
  write_uvtable(path, s);
  EXPECT_FALSE(std::filesystem::exists(path.string() + ".tmp"));
  Observation obs = read_uvtable(path);
  EXPECT_EQ(obs.nrow, 500u);
  EXPECT_EQ(obs.nchan, 1u);
  EXPECT_EQ(obs.ncorr, 1u);
  EXPECT_EQ(obs.corr, std::vector<int>{int(Corr::I)});
  EXPECT_FALSE(obs.frequency_known);
  EXPECT_DOUBLE_EQ(obs.freq[0], kSpeedOfLight);
  VisibilitySet back = obs.stokes_i();
  ASSERT_EQ(back.size(), s.size());
  for (std::size_t k = 0; k < s.size(); ++k) {
    EXPECT_NEAR(back.u[k], s.u[k], 1e-9 * std::abs(s.u[k]));
    EXPECT_NEAR(back.v[k], s.v[k], 1e-9 * std::abs(s.v[k]));
    EXPECT_EQ(back.vis[k], s.vis[k]);
    EXPECT_EQ(back.weight[k], s.weight[k]);
  }
  // The file itself holds the conjugate (CASA convention).
  std::string text = read_compressed_text(path);
  if (GetParam() != ".txt") EXPECT_NE(read_compressed_text(path), std::string());
  EXPECT_NE(text.find(fmt::format("{:.17g}", -s.vis[0].imag())), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Suffixes, UvtableRoundTrip, ::testing::Values(".txt", ".txt.bz2", ".txt.gz"));

TEST(Uvtable, CompressedFilesAreActuallyCompressed) {
  auto dir = scratch_dir("uvtable_compressed");
  VisibilitySet s = random_set(2000);
  write_uvtable(dir / "a.txt", s);
  write_uvtable(dir / "a.txt.bz2", s);
  write_uvtable(dir / "a.txt.gz", s);
  auto plain = std::filesystem::file_size(dir / "a.txt");
  EXPECT_LT(std::filesystem::file_size(dir / "a.txt.bz2"), plain * 3 / 4);
  EXPECT_LT(std::filesystem::file_size(dir / "a.txt.gz"), plain * 3 / 4);
  // Independent decompressors agree with the plain text.
  std::string out;
  EXPECT_EQ(test::run_command("bzip2 -t " + (dir / "a.txt.bz2").string(), &out), 0) << out;
  EXPECT_EQ(test::run_command("gzip -t " + (dir / "a.txt.gz").string(), &out), 0) << out;
  EXPECT_EQ(read_compressed_text(dir / "a.txt.bz2"), read_compressed_text(dir / "a.txt"));
  EXPECT_EQ(read_compressed_text(dir / "a.txt.gz"), read_compressed_text(dir / "a.txt"));
}

TEST(Uvtable, ConcatenatedCompressedStreamsAreRead) {
  auto dir = scratch_dir("uvtable_concat");
  write_compressed_text(dir / "a.txt.bz2", "1 2 3 4 5\n");
  write_compressed_text(dir / "b.txt.bz2", "6 7 8 9 10\n");
  write_compressed_text(dir / "a.txt.gz", "1 2 3 4 5\n");
  write_compressed_text(dir / "b.txt.gz", "6 7 8 9 10\n");
  for (const char* z : {".bz2", ".gz"}) {
    std::string both = read_text(dir / (std::string("a.txt") + z)) + read_text(dir / (std::string("b.txt") + z));
    write_file(dir / (std::string("ab.txt") + z), both);
    EXPECT_EQ(read_compressed_text(dir / (std::string("ab.txt") + z)), "1 2 3 4 5\n6 7 8 9 10\n") << z;
  }
}

TEST(Uvtable, CommentsBlankLinesTabsAndCrlf) {
  auto dir = scratch_dir("uvtable_comments");
  write_file(dir / "c.txt",
             "# header\n#  wavelength[m] = 0.0013\n\n1e3\t2e3\t0.5\t0.25\t2   # trailing comment\r\n"
             "   \n-4 +5 -0.5 -1e-3 1\r\n");
  Observation obs = read_uvtable(dir / "c.txt");
  ASSERT_EQ(obs.nrow, 2u);
  EXPECT_EQ(obs.uvw[0], 1e3);
  EXPECT_EQ(obs.uvw[1], 2e3);
  EXPECT_EQ(obs.vis[0], std::complex<float>(0.5f, -0.25f));  // conjugated into the internal convention
  EXPECT_EQ(obs.weight[0], 2.f);
  EXPECT_EQ(obs.uvw[3], -4.0);
  EXPECT_EQ(obs.uvw[4], 5.0);
  EXPECT_EQ(obs.vis[1], std::complex<float>(-0.5f, 1e-3f));
  EXPECT_DOUBLE_EQ(uvtable_header_wavelength(read_text(dir / "c.txt")), 0.0013);
  EXPECT_EQ(uvtable_header_wavelength("1 2 3 4 5\n# wavelength = 3\n"), 0.0);
}

TEST(Uvtable, WavelengthGivesMetresAndFrequency) {
  auto dir = scratch_dir("uvtable_wavelength");
  write_file(dir / "w.txt", "1000 -2000 1 0 1\n");
  Observation obs = read_uvtable(dir / "w.txt", 1.3e-3);
  EXPECT_TRUE(obs.frequency_known);
  EXPECT_DOUBLE_EQ(obs.freq[0], kSpeedOfLight / 1.3e-3);
  EXPECT_DOUBLE_EQ(obs.uvw[0], 1.3);
  EXPECT_NEAR(obs.u_lambda(0, 0), 1000, 1e-9);
  EXPECT_NEAR(obs.v_lambda(0, 0), -2000, 1e-9);
  EXPECT_THROW(read_uvtable(dir / "w.txt", -1), UsageError);
}

TEST(Uvtable, BadInputNamesFileAndLine) {
  auto dir = scratch_dir("uvtable_bad");
  EXPECT_THROW(read_uvtable(dir / "missing.txt"), MissingInputError);
  EXPECT_THROW(read_uvtable(dir / "missing.txt.bz2"), MissingInputError);

  write_file(dir / "word.txt", "# c\n1 2 3 4 5\n1 2 x 4 5\n");
  auto m = message_of<DataError>([&] { read_uvtable(dir / "word.txt"); });
  EXPECT_NE(m.find("word.txt:3:"), std::string::npos) << m;
  EXPECT_NE(m.find("'x'"), std::string::npos) << m;

  write_file(dir / "four.txt", "1 2 3 4 5\n1 2 3 4\n");
  m = message_of<DataError>([&] { read_uvtable(dir / "four.txt"); });
  EXPECT_NE(m.find("four.txt:2:"), std::string::npos) << m;
  EXPECT_NE(m.find("4 columns"), std::string::npos) << m;

  write_file(dir / "six.txt", "1 2 3 4 5 6\n");
  m = message_of<DataError>([&] { read_uvtable(dir / "six.txt"); });
  EXPECT_NE(m.find("six.txt:1:"), std::string::npos) << m;

  write_file(dir / "nan.txt", "1 2 3 4 5\n\n1 2 nan 4 5\n");
  m = message_of<DataError>([&] { read_uvtable(dir / "nan.txt"); });
  EXPECT_NE(m.find("nan.txt:3:"), std::string::npos) << m;
  EXPECT_NE(m.find("Re"), std::string::npos) << m;
  write_file(dir / "inf.txt", "1 2 3 4 inf\n");
  m = message_of<DataError>([&] { read_uvtable(dir / "inf.txt"); });
  EXPECT_NE(m.find("inf.txt:1:"), std::string::npos) << m;
  EXPECT_NE(m.find("weight"), std::string::npos) << m;

  write_file(dir / "neg.txt", "1 2 3 4 -1\n");
  m = message_of<DataError>([&] { read_uvtable(dir / "neg.txt"); });
  EXPECT_NE(m.find("neg.txt:1:"), std::string::npos) << m;

  write_file(dir / "empty.txt", "# nothing\n\n");
  EXPECT_THROW(read_uvtable(dir / "empty.txt"), DataError);

  // Not compressed although the name says so.
  write_file(dir / "fake.txt.bz2", "1 2 3 4 5\n");
  m = message_of<DataError>([&] { read_uvtable(dir / "fake.txt.bz2"); });
  EXPECT_NE(m.find("bzip2"), std::string::npos) << m;
  write_file(dir / "fake.txt.gz", "1 2 3 4 5\n");
  EXPECT_THROW(read_uvtable(dir / "fake.txt.gz"), DataError);

  // Truncated compressed files.
  VisibilitySet s = random_set(3000);
  for (const char* z : {".bz2", ".gz"}) {
    auto full = dir / (std::string("full.txt") + z);
    auto cut = dir / (std::string("cut.txt") + z);
    write_uvtable(full, s);
    std::string bytes = read_text(full);
    write_file(cut, bytes.substr(0, bytes.size() / 2));
    m = message_of<DataError>([&] { read_uvtable(cut); });
    EXPECT_NE(m.find("cut.txt"), std::string::npos) << m;
    EXPECT_TRUE(m.find("truncated") != std::string::npos || m.find("corrupt") != std::string::npos) << m;
    // Flipped bytes in the middle: corrupt, never silently wrong.
    std::string flipped = bytes;
    for (std::size_t k = bytes.size() / 2; k < bytes.size() / 2 + 64; ++k) flipped[k] = static_cast<char>(~flipped[k]);
    write_file(cut, flipped);
    EXPECT_THROW(read_uvtable(cut), DataError) << z;
  }

  // Writing an invalid set is refused.
  VisibilitySet bad = random_set(3);
  bad.vis[1] = {NAN, 0};
  EXPECT_THROW(write_uvtable(dir / "bad.txt", bad), DataError);
  EXPECT_FALSE(std::filesystem::exists(dir / "bad.txt"));
}

TEST(Describe, Formatting) {
  EXPECT_EQ(format_klambda(11.5526), "11.6");
  EXPECT_EQ(format_klambda(1916.17), "1916");
  EXPECT_EQ(format_klambda(0.052345), "0.0523");
  // Field 0 of the casacore test MS: PHASE_DIR (-2.01663513, -1.34893816) rad.
  EXPECT_EQ(format_ra(-2.01663513).substr(0, 12), "16h17m49.28s");
  EXPECT_NE(format_ra(-2.01663513).find("244.45"), std::string::npos);
  EXPECT_EQ(format_dec(-1.34893816).substr(0, 13), "-77°17'18.5\"");
  EXPECT_EQ(format_dec(0.1).substr(0, 1), "+");
  EXPECT_EQ(format_ra(2 * kPi - 1e-12).substr(0, 9), "00h00m00.");
}

TEST(UvtableReal, FrankMockMultiRing) {
  auto path = test::shared_data("uvtables/multi_ring_C43_6.txt.bz2");
  if (path.empty()) path = test::shared_data("uvtables/frank_mock_multi_ring_C43_6.txt.bz2");
  if (path.empty()) GTEST_SKIP() << "../shared/data/uvtables/*multi_ring_C43_6.txt.bz2 not present";
  Observation obs = read_uvtable(path);
  EXPECT_EQ(obs.nrow, 54180u);
  VisibilitySet s = obs.stokes_i();
  ASSERT_EQ(s.size(), 54180u);
  double lo = INFINITY, hi = 0;
  for (std::size_t k = 0; k < s.size(); ++k) {
    double b = std::hypot(s.u[k], s.v[k]);
    lo = std::min(lo, b);
    hi = std::max(hi, b);
    ASSERT_EQ(s.weight[k], 1.0);
  }
  EXPECT_NEAR(lo / 1e3, 11.6, 0.05);
  EXPECT_NEAR(hi / 1e3, 1916, 1);
  FileDescription d = describe_file(path);
  EXPECT_EQ(d.format, "uvtable");
  EXPECT_EQ(d.json["rows"], 54180);
  EXPECT_NEAR(d.json["uv_range_klambda"][0].get<double>(), 11.6, 0.05);
  EXPECT_NEAR(d.json["uv_range_klambda"][1].get<double>(), 1916, 1);
  // The header comment states λ = 1.3034 mm (230 GHz).
  EXPECT_NEAR(d.json["frequency_range_hz"][0].get<double>(), 230e9, 0.1e9);
}

}  // namespace
}  // namespace penumbra
