// MiraBest pickle reader: a tiny pickle crafted here in the numpy/CIFAR layout
// (so the reader is tested without ../shared), the bad-input paths, and the
// published checks on the real batches when ../shared/data is present.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "src/core/errors.hpp"
#include "src/datasets/mirabest.hpp"
#include "tests/support/paths.hpp"

using namespace penumbra;

namespace {

// Writes pickle opcodes the way numpy + pickle (protocol 3) do for a dict of
// {batch_label, labels, data (list of uint8 2-D arrays), filenames}.
class PickleWriter {
 public:
  std::string out;
  int memo = 0;
  void op(char c) { out.push_back(c); }
  void u32(std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  void put() {
    if (memo < 256) {
      op('q');
      out.push_back(static_cast<char>(memo));
    } else {
      op('r');
      u32(memo);
    }
    ++memo;
  }
  void str(const std::string& s) {
    op('X');
    u32(static_cast<std::uint32_t>(s.size()));
    out += s;
    put();
  }
  void bytes(const std::string& s) {
    op('B');
    u32(static_cast<std::uint32_t>(s.size()));
    out += s;
    put();
  }
  void int1(int v) {
    op('K');
    out.push_back(static_cast<char>(v));
  }
};

std::string tiny_pickle(const std::vector<int>& labels, int h, int w, bool truncate_image = false) {
  PickleWriter p;
  p.op('\x80');
  p.op('\x03');
  p.op('}');
  p.put();
  p.op('(');
  p.str("batch_label");
  p.str("tiny batch");
  p.str("labels");
  p.op(']');
  p.put();
  p.op('(');
  for (int l : labels) p.int1(l);
  p.op('e');
  p.str("data");
  p.op(']');
  p.put();
  p.op('(');
  int dtype_memo = -1;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    p.out += "cnumpy.core.multiarray\n_reconstruct\n";
    p.put();
    p.out += "cnumpy\nndarray\n";
    p.put();
    p.int1(0);
    p.op('\x85');
    p.put();
    p.op('C');
    p.out.push_back(1);
    p.out.push_back('b');
    p.put();
    p.op('\x87');
    p.put();
    p.op('R');
    p.put();
    // state: (1, (h, w), dtype, False, bytes)
    p.op('(');
    p.int1(1);
    p.int1(h);
    p.int1(w);
    p.op('\x86');
    p.put();
    if (dtype_memo < 0) {
      p.out += "cnumpy\ndtype\n";
      p.put();
      p.str("u1");
      p.op('\x89');
      p.op('\x88');
      p.op('\x87');
      p.put();
      p.op('R');
      dtype_memo = p.memo;
      p.put();
      p.op('(');
      p.int1(3);
      p.str("|");
      p.op('N');
      p.op('N');
      p.op('N');
      p.op('J');
      p.u32(0xffffffffu);
      p.op('J');
      p.u32(0xffffffffu);
      p.int1(0);
      p.op('t');
      p.put();
      p.op('b');
    } else {
      p.op('h');
      p.out.push_back(static_cast<char>(dtype_memo));
    }
    p.op('\x89');
    std::string px(static_cast<std::size_t>(h * w), '\0');
    for (int k = 0; k < h * w; ++k) px[k] = static_cast<char>((k * 7 + static_cast<int>(i)) % 256);
    if (truncate_image) px.resize(px.size() - 1);
    p.bytes(px);
    p.op('t');
    p.put();
    p.op('b');
  }
  p.op('e');
  p.str("filenames");
  p.op(']');
  p.put();
  p.op('(');
  for (std::size_t i = 0; i < labels.size(); ++i) p.str("img" + std::to_string(i) + ".fits");
  p.op('e');
  p.op('u');
  p.op('.');
  return p.out;
}

}  // namespace

TEST(MiraBest, ParsesCraftedPickle) {
  auto bytes = tiny_pickle({0, 5, 9}, 4, 3);
  auto b = parse_mirabest_batch(bytes, "tiny");
  EXPECT_EQ(b.batch_label, "tiny batch");
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b.labels, (std::vector<int>{0, 5, 9}));
  EXPECT_EQ(b.height, 4);
  EXPECT_EQ(b.width, 3);
  ASSERT_EQ(b.pixels.size(), 36u);
  EXPECT_EQ(b.pixels[12 + 5], (5 * 7 + 1) % 256);  // image 1, pixel 5
  EXPECT_EQ(b.filenames[2], "img2.fits");
}

TEST(MiraBest, TruncatedPickleIsOneLineDataError) {
  auto bytes = tiny_pickle({0, 1}, 4, 4);
  for (std::size_t cut : {bytes.size() - 1, bytes.size() / 2, std::size_t{5}}) {
    try {
      parse_mirabest_batch(bytes.substr(0, cut), "cut.pkl");
      FAIL() << "no error at cut " << cut;
    } catch (const DataError& e) {
      std::string m = e.what();
      EXPECT_NE(m.find("cut.pkl"), std::string::npos) << m;
      EXPECT_EQ(m.find('\n'), std::string::npos) << m;
    }
  }
}

TEST(MiraBest, CorruptOpcodeAndBadShapeAreDataErrors) {
  auto bytes = tiny_pickle({0}, 4, 4);
  bytes[2] = '\xff';  // where EMPTY_DICT was
  EXPECT_THROW(parse_mirabest_batch(bytes, "bad.pkl"), DataError);
  // Pixel bytes that do not match the shape.
  EXPECT_THROW(parse_mirabest_batch(tiny_pickle({0}, 4, 4, true), "short.pkl"), DataError);
}

TEST(MiraBest, UnknownLabelCodeIsDataError) {
  try {
    parse_mirabest_batch(tiny_pickle({0, 12}, 2, 2), "labels.pkl");
    FAIL();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("labels[1] = 12"), std::string::npos) << e.what();
  }
}

TEST(MiraBest, SubsetsMapCodesToClasses) {
  EXPECT_EQ(mirabest_class(0, MiraBestSubset::kConfident), 0);
  EXPECT_EQ(mirabest_class(2, MiraBestSubset::kConfident), 0);
  EXPECT_EQ(mirabest_class(3, MiraBestSubset::kConfident), -1);
  EXPECT_EQ(mirabest_class(5, MiraBestSubset::kConfident), 1);
  EXPECT_EQ(mirabest_class(6, MiraBestSubset::kConfident), 1);
  EXPECT_EQ(mirabest_class(7, MiraBestSubset::kConfident), -1);
  EXPECT_EQ(mirabest_class(8, MiraBestSubset::kConfident), -1);
  EXPECT_EQ(mirabest_class(4, MiraBestSubset::kUncertain), 0);
  EXPECT_EQ(mirabest_class(7, MiraBestSubset::kUncertain), 1);
  EXPECT_EQ(mirabest_class(9, MiraBestSubset::kHybrid), 1);
  EXPECT_EQ(mirabest_code(6), "201");
  EXPECT_THROW(mirabest_code(10), DataError);
  EXPECT_THROW(parse_mirabest_subset("sure"), UsageError);
}

TEST(MiraBest, ReadsFolderAndSkipsOtherSubsets) {
  auto dir = test::scratch_dir("mirabest_tiny");
  std::ofstream(dir / "data_batch_1", std::ios::binary) << tiny_pickle({0, 3, 5, 8}, 3, 3);
  auto set = read_mirabest(dir, MiraBestSubset::kConfident, {1});
  ASSERT_EQ(set.size(), 2u);
  EXPECT_EQ(set.labels, (std::vector<int>{0, 1}));
  EXPECT_FLOAT_EQ(set.image(1)[0], static_cast<float>(2) / 255.0f);  // image 2 of the batch, pixel 0
  EXPECT_THROW(read_mirabest(dir, MiraBestSubset::kConfident, {1, 2}), MissingInputError);
}

TEST(MiraBest, RealBatchMatchesPublishedChecks) {
  PENUMBRA_REQUIRE_SHARED(dir, "mirabest/data_batch_1");
  auto b = read_mirabest_batch(dir);
  ASSERT_EQ(b.size(), 157u);
  EXPECT_EQ(b.height, 150);
  EXPECT_EQ(b.width, 150);
  EXPECT_EQ(b.labels[0], 0);
  long sum = 0, nonzero = 0;
  for (int k = 0; k < 150 * 150; ++k) {
    sum += b.pixels[k];
    nonzero += b.pixels[k] != 0;
  }
  EXPECT_EQ(sum, 15225);
  EXPECT_EQ(nonzero, 662);
}

TEST(MiraBest, ConfidentTrainingSetCountsAndStatistics) {
  PENUMBRA_REQUIRE_SHARED(dir, "mirabest");
  auto set = read_mirabest(dir, MiraBestSubset::kConfident);
  ASSERT_EQ(set.size(), 729u);
  int fri = 0;
  for (int l : set.labels) fri += l == 0;
  EXPECT_EQ(fri, 348);
  EXPECT_EQ(static_cast<int>(set.size()) - fri, 381);
  double s = 0, s2 = 0;
  for (float v : set.pixels) {
    s += v;
    s2 += static_cast<double>(v) * v;
  }
  double n = static_cast<double>(set.pixels.size());
  double mean = s / n, sd = std::sqrt(s2 / n - mean * mean);
  EXPECT_NEAR(mean, 0.003089, 5e-7);
  EXPECT_NEAR(sd, 0.034987, 5e-7);
}
