// Image catalogues (CSV + JPEG/PNG files) and the shared crop/resize.
#include "src/datasets/image_catalogue.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <fstream>

#include "src/core/errors.hpp"
#include "src/datasets/image_resize.hpp"
#include "src/io/raster.hpp"
#include "tests/support/jpeg_writer.hpp"
#include "tests/support/paths.hpp"

namespace penumbra {
namespace {

namespace fs = std::filesystem;

// A catalogue of three 40×30 constant-colour images (two JPEGs in images/,
// one PNG) with a label and two vote columns; `extra` is appended verbatim.
fs::path write_catalogue(const std::string& name, const std::string& extra = "") {
  auto dir = test::scratch_dir(name);
  fs::create_directories(dir / "images");
  test::write_jpeg(dir / "images" / "a.jpg", test::constant_samples(30, 40, {200, 100, 50}), 3, 30, 40);
  test::write_jpeg(dir / "images" / "b.jpg", test::constant_samples(30, 40, {60}), 1, 30, 40);
  Canvas png(40, 30, Rgb{0, 255, 0});
  png.write_png(dir / "c.png");
  std::ofstream(dir / "cat.csv") << "id_str,ring,smooth_fraction,q_total-votes,file_loc\n"
                                    "a,1,0.25,12,images/a.jpg\n"
                                    "b,0,,3,images/b.jpg\n"
                                    "\"c, the png\",1,1,0,c.png\n"
                                 << extra;
  return dir / "cat.csv";
}

std::string error_of(const fs::path& csv, const CatalogueOptions& opt) {
  try {
    load_catalogue(csv, opt);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(ImageCatalogue, ReadsImagesLabelsAndVotesInRowOrder) {
  CatalogueOptions opt;
  opt.size = 8;
  opt.label_column = "ring";
  opt.vote_columns = {"*_fraction", "q_total-votes"};
  opt.threads = 2;
  auto c = load_catalogue(write_catalogue("catalogue_ok"), opt);
  ASSERT_EQ(c.count, 3);
  EXPECT_EQ(c.channels, 3);
  EXPECT_EQ(c.size, 8);
  ASSERT_EQ(c.images.size(), 3u * 3 * 8 * 8);
  EXPECT_EQ(c.ids, (std::vector<std::string>{"a", "b", "c, the png"}));
  EXPECT_EQ(c.labels, (std::vector<int>{1, 0, 1}));
  EXPECT_EQ(c.vote_columns, (std::vector<std::string>{"smooth_fraction", "q_total-votes"}));
  ASSERT_EQ(c.votes.size(), 6u);
  EXPECT_DOUBLE_EQ(c.votes[0], 0.25);
  EXPECT_DOUBLE_EQ(c.votes[1], 12);
  EXPECT_TRUE(std::isnan(c.votes[2]));
  EXPECT_DOUBLE_EQ(c.votes[5], 0);
  auto px = [&](int n, int ch, int y, int x) { return c.images[((std::size_t(n) * 3 + ch) * 8 + y) * 8 + x]; };
  const float rgb_a[3] = {200 / 255.f, 100 / 255.f, 50 / 255.f};
  for (int ch = 0; ch < 3; ++ch)
    for (int y = 0; y < 8; y += 3) EXPECT_NEAR(px(0, ch, y, 7 - y), rgb_a[ch], 3 / 255.f);
  for (int ch = 0; ch < 3; ++ch) EXPECT_NEAR(px(1, ch, 4, 4), 60 / 255.f, 3 / 255.f);  // grey repeated
  EXPECT_FLOAT_EQ(px(2, 1, 0, 0), 1.0f);                                               // PNG, lossless
  EXPECT_FLOAT_EQ(px(2, 0, 7, 7), 0.0f);

  opt.channels = 1;
  opt.label_column.clear();
  opt.vote_columns.clear();
  auto g = load_catalogue(write_catalogue("catalogue_grey"), opt);
  ASSERT_EQ(g.images.size(), 3u * 8 * 8);
  EXPECT_NEAR(g.images[10], 0.299 * rgb_a[0] + 0.587 * rgb_a[1] + 0.114 * rgb_a[2], 3 / 255.0);
  EXPECT_EQ(g.labels, (std::vector<int>{-1, -1, -1}));
  EXPECT_TRUE(g.votes.empty());
}

TEST(ImageCatalogue, BadRowsAreOneLineNamingTheLineAndId) {
  CatalogueOptions opt;
  opt.size = 8;
  auto missing = write_catalogue("catalogue_missing", "d,0,0.5,1,images/d.jpg\n");
  auto msg = error_of(missing, opt);
  EXPECT_NE(msg.find("line 5 (id d)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("d.jpg not found"), std::string::npos) << msg;
  EXPECT_THROW(load_catalogue(missing, opt), MissingInputError);

  auto dir = missing.parent_path();
  std::ofstream(dir / "images" / "e.jpg") << "not an image";
  msg = error_of(write_catalogue("catalogue_unreadable", "e,0,0.5,1," + (dir / "images" / "e.jpg").string() + "\n"), opt);
  EXPECT_NE(msg.find("line 5 (id e)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("not a JPEG or PNG"), std::string::npos) << msg;

  opt.label_column = "ring";
  msg = error_of(write_catalogue("catalogue_label", "f,2,0.5,1,images/a.jpg\n"), opt);
  EXPECT_NE(msg.find("line 5 (id f): label column 'ring' is '2'; expected 0 or 1"), std::string::npos) << msg;
  opt.label_column = "class";
  msg = error_of(write_catalogue("catalogue_nolabel"), opt);
  EXPECT_NE(msg.find("no label column 'class' (columns: id_str, ring,"), std::string::npos) << msg;

  opt.label_column.clear();
  opt.vote_columns = {"*_fraction", "*_total-votes"};
  msg = error_of(write_catalogue("catalogue_vote_text", "g,0,many,1,images/a.jpg\n"), opt);
  EXPECT_NE(msg.find("line 5 (id g): vote column 'smooth_fraction': 'many' is not a number"), std::string::npos) << msg;
  msg = error_of(write_catalogue("catalogue_vote_neg", "h,0,0.5,-2,images/a.jpg\n"), opt);
  EXPECT_NE(msg.find("line 5 (id h): vote count 'q_total-votes' is -2"), std::string::npos) << msg;
  msg = error_of(write_catalogue("catalogue_vote_frac", "i,0,0.5,2.5,images/a.jpg\n"), opt);
  EXPECT_NE(msg.find("is 2.5, not a whole number"), std::string::npos) << msg;
  msg = error_of(write_catalogue("catalogue_vote_range", "j,0,1.5,2,images/a.jpg\n"), opt);
  EXPECT_NE(msg.find("vote fraction 'smooth_fraction' is 1.5, not in [0, 1]"), std::string::npos) << msg;
  opt.vote_columns = {"*_count"};
  msg = error_of(write_catalogue("catalogue_vote_pattern"), opt);
  EXPECT_NE(msg.find("no vote column matches '*_count'"), std::string::npos) << msg;

  opt.vote_columns.clear();
  msg = error_of(write_catalogue("catalogue_repeat", "a,0,0.5,1,images/a.jpg\n"), opt);
  EXPECT_NE(msg.find("line 5 (id a): id repeats line 2"), std::string::npos) << msg;
  msg = error_of(write_catalogue("catalogue_fields", "k,0,1\n"), opt);
  EXPECT_NE(msg.find("line 5: 3 fields, the header has 5"), std::string::npos) << msg;
  opt.channels = 2;
  EXPECT_THROW(load_catalogue(missing, opt), UsageError);
  EXPECT_THROW(load_catalogue(missing.parent_path() / "absent.csv", CatalogueOptions{}), MissingInputError);
}

TEST(ImageResize, ConstantStaysConstantAndCheckerboardAveragesToHalf) {
  std::vector<float> flat(30 * 45, 0.7f);
  for (int n : {1, 7, 16, 30, 64})  // shrinking by whole and fractional factors, and enlarging
    for (float v : resize_area(flat.data(), 30, 45, n)) ASSERT_NEAR(v, 0.7f, 1e-6) << n;
  std::vector<float> checker(16 * 16);
  for (int y = 0; y < 16; ++y)
    for (int x = 0; x < 16; ++x) checker[y * 16 + x] = float((x + y) % 2);
  for (int n : {8, 4, 1})
    for (float v : resize_area(checker.data(), 16, 16, n)) ASSERT_NEAR(v, 0.5f, 1e-6) << n;
  // 16 → 5: each output pixel covers 3.2×3.2 input pixels; weights are exact areas.
  auto r = resize_area(checker.data(), 16, 16, 5);
  double w0 = 1.0, w1 = 1.0, w2 = 1.0, w3 = 0.2;  // columns 0..3 of output pixel (0, 0)
  double wx[4] = {w0, w1, w2, w3}, acc = 0;
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 4; ++x) acc += wx[y] * wx[x] * ((x + y) % 2);
  EXPECT_NEAR(r[0], acc / (3.2 * 3.2), 1e-6);
}

TEST(ImageResize, CentreCropTakesTheMiddleOfTheShorterSide) {
  // 20×40: the centred 10×10 square (crop 0.5 of 20) is 1, the rest 0.
  std::vector<float> img(20 * 40, 0.0f);
  for (int y = 5; y < 15; ++y)
    for (int x = 15; x < 25; ++x) img[y * 40 + x] = 1.0f;
  for (float v : crop_resize(img.data(), 20, 40, 0.5, 5)) ASSERT_FLOAT_EQ(v, 1.0f);
  auto whole = crop_resize(img.data(), 20, 40, 1.0, 4);  // the centred 20×20: 1 inside its middle 10×10
  EXPECT_FLOAT_EQ(whole[0], 0.0f);
  EXPECT_FLOAT_EQ(whole[5], 1.0f);
}

TEST(ImageCatalogue, GalaxyZooRings) {
  auto csv = test::shared_data("galaxyzoo_rings/catalog.csv");
  if (csv.empty()) GTEST_SKIP() << "../shared/data/galaxyzoo_rings not present";
  CatalogueOptions opt;
  opt.size = 64;
  opt.label_column = "ring";
  opt.vote_columns = {"*_fraction"};
  auto t0 = std::chrono::steady_clock::now();
  auto c = load_catalogue(csv, opt);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(c.count, 400);
  ASSERT_EQ(c.images.size(), 400u * 3 * 64 * 64);
  EXPECT_EQ(std::count(c.labels.begin(), c.labels.end(), 1), 200);
  EXPECT_EQ(std::count(c.labels.begin(), c.labels.end(), 0), 200);
  EXPECT_EQ(c.vote_columns.size(), 3u);
  EXPECT_EQ(c.ids.front(), "J000411.19+020924.0");
  EXPECT_DOUBLE_EQ(c.votes[0], 0.6342712290661865);
  double sum = 0;
  for (float v : c.images) {
    ASSERT_TRUE(v >= 0 && v <= 1);
    sum += v;
  }
  // A galaxy in the centre: the centre is brighter than the corner on average.
  double centre = 0, corner = 0;
  for (int n = 0; n < 400; ++n) {
    centre += c.images[(std::size_t(n) * 3 * 64 + 32) * 64 + 32];
    corner += c.images[(std::size_t(n) * 3 * 64 + 2) * 64 + 2];
  }
  EXPECT_GT(centre, 2 * corner);
  EXPECT_GT(sum, 0);
  RecordProperty("load_seconds", std::to_string(seconds));
}

}  // namespace
}  // namespace penumbra
