#include "src/io/jpeg.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "src/core/errors.hpp"
#include "src/io/png.hpp"
#include "src/io/raster.hpp"
#include "src/io/rgb_image.hpp"
#include "tests/support/jpeg_writer.hpp"
#include "tests/support/paths.hpp"

namespace penumbra {
namespace {

constexpr int kH = 48, kW = 64;

// Left half: a horizontal red ramp over constant green and a vertical blue
// ramp; right half: four 16×16 blocks of known colours per column pair.
std::vector<std::uint8_t> test_pattern() {
  std::vector<std::uint8_t> s(std::size_t(kH) * kW * 3);
  const std::uint8_t blocks[3][3] = {{255, 0, 0}, {0, 255, 0}, {20, 40, 230}};
  for (int y = 0; y < kH; ++y)
    for (int x = 0; x < kW; ++x) {
      std::uint8_t* p = &s[(std::size_t(y) * kW + x) * 3];
      if (x < kW / 2) {
        p[0] = std::uint8_t(x * 255 / (kW / 2 - 1));
        p[1] = 128;
        p[2] = std::uint8_t(y * 255 / (kH - 1));
      } else {
        const std::uint8_t* b = blocks[y / 16];
        p[0] = b[0], p[1] = b[1], p[2] = b[2];
      }
    }
  return s;
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const DataError& e) {
    return e.what();
  }
  return "";
}

TEST(Jpeg, ColourGradientAndBlocksDecodeWithinQuantisation) {
  auto dir = test::scratch_dir("jpeg_colour");
  auto samples = test_pattern();
  test::write_jpeg(dir / "a.jpg", samples, 3, kH, kW, 95);
  auto img = read_jpeg(dir / "a.jpg");
  ASSERT_EQ(img.channels, 3);
  ASSERT_EQ(img.height, kH);
  ASSERT_EQ(img.width, kW);
  double sum_err = 0, max_block_err = 0;
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < kH; ++y)
      for (int x = 0; x < kW; ++x) {
        double want = samples[(std::size_t(y) * kW + x) * 3 + c] / 255.0;
        double err = std::abs(img.at(c, y, x) - want);
        sum_err += err;
        // Away from block edges (JPEG rings at sharp edges).
        bool inner = x >= kW / 2 + 3 && x < kW - 3 && y % 16 >= 3 && y % 16 < 13;
        if (inner) max_block_err = std::max(max_block_err, err);
      }
  EXPECT_LT(sum_err / (3.0 * kH * kW), 2.0 / 255);
  EXPECT_LT(max_block_err, 6.0 / 255);
  EXPECT_NEAR(img.at(0, 0, 0), 0.0, 4.0 / 255);              // ramp start
  EXPECT_NEAR(img.at(0, 20, kW / 2 - 2), 247.0 / 255, 6.0 / 255);
  EXPECT_NEAR(img.at(1, 20, 10), 128.0 / 255, 4.0 / 255);
  for (float v : img.pixels) ASSERT_TRUE(v >= 0 && v <= 1);
}

TEST(Jpeg, GreyFileGivesOneChannel) {
  auto dir = test::scratch_dir("jpeg_grey");
  std::vector<std::uint8_t> s(std::size_t(kH) * kW);
  for (int y = 0; y < kH; ++y)
    for (int x = 0; x < kW; ++x) s[std::size_t(y) * kW + x] = std::uint8_t(x * 4);
  test::write_jpeg(dir / "g.jpg", s, 1, kH, kW, 95);
  auto img = read_rgb_image(dir / "g.jpg");
  ASSERT_EQ(img.channels, 1);
  for (int x = 0; x < kW; x += 7) EXPECT_NEAR(img.at(0, 24, x), x * 4 / 255.0, 4.0 / 255) << x;
  EXPECT_EQ(luminance(img), img.pixels);
}

TEST(Jpeg, ReducedDecodeKeepsTheShorterSideAboveTheMinimum) {
  auto dir = test::scratch_dir("jpeg_scale");
  test::write_jpeg(dir / "c.jpg", test::constant_samples(96, 128, {200, 100, 50}), 3, 96, 128);
  auto img = read_jpeg(dir / "c.jpg", 20);  // 96/4 = 24 ≥ 20, 96/8 = 12 < 20
  EXPECT_EQ(img.height, 24);
  EXPECT_EQ(img.width, 32);
  for (int y = 0; y < img.height; ++y) EXPECT_NEAR(img.at(2, y, 5), 50.0 / 255, 3.0 / 255);
  EXPECT_EQ(read_jpeg(dir / "c.jpg", 200).height, 96);  // never enlarged
}

TEST(Jpeg, TruncatedOrCorruptFileIsADataErrorNamingIt) {
  auto dir = test::scratch_dir("jpeg_bad");
  test::write_jpeg(dir / "full.jpg", test_pattern(), 3, kH, kW);
  std::ifstream in(dir / "full.jpg", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(dir / "cut.jpg", std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  std::string msg = message_of([&] { read_jpeg(dir / "cut.jpg"); });
  EXPECT_NE(msg.find("cut.jpg"), std::string::npos) << msg;
  EXPECT_NE(msg.find("JPEG"), std::string::npos) << msg;
  std::ofstream(dir / "junk.jpg", std::ios::binary) << "\xFF\xD8\xFF this is not a JPEG stream";
  EXPECT_NE(message_of([&] { read_jpeg(dir / "junk.jpg"); }).find("junk.jpg"), std::string::npos);
  std::ofstream(dir / "empty.jpg", std::ios::binary) << "";
  EXPECT_NE(message_of([&] { read_jpeg(dir / "empty.jpg"); }).find("empty.jpg"), std::string::npos);
  std::ofstream(dir / "text.png") << "hello";
  EXPECT_NE(message_of([&] { read_rgb_image(dir / "text.png"); }).find("not a JPEG or PNG"), std::string::npos);
  EXPECT_THROW(read_jpeg(dir / "absent.jpg"), MissingInputError);
  EXPECT_THROW(read_rgb_image(dir / "absent.jpg"), MissingInputError);
}

TEST(PngRead, ColourPngIsReadExactlyTopRowFirst) {
  auto dir = test::scratch_dir("png_rgb");
  Canvas canvas(5, 4, Rgb{10, 20, 30});
  canvas.set(0, 0, Rgb{255, 0, 0});
  canvas.set(4, 3, Rgb{0, 0, 255});
  canvas.write_png(dir / "c.png");
  auto img = read_rgb_image(dir / "c.png");
  ASSERT_EQ(img.channels, 3);
  ASSERT_EQ(img.height, 4);
  ASSERT_EQ(img.width, 5);
  EXPECT_FLOAT_EQ(img.at(0, 0, 0), 1.0f);
  EXPECT_FLOAT_EQ(img.at(2, 3, 4), 1.0f);
  EXPECT_FLOAT_EQ(img.at(1, 2, 2), 20.0f / 255);
  auto grey = luminance(img);
  EXPECT_NEAR(grey[0], 0.299, 1e-6);
  std::ofstream(dir / "bad.png", std::ios::binary) << "\x89PNG\r\n\x1a\n truncated";
  EXPECT_NE(message_of([&] { read_png_rgb(dir / "bad.png"); }).find("bad.png"), std::string::npos);
}

}  // namespace
}  // namespace penumbra
