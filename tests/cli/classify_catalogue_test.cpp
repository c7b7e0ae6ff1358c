// penumbra classify on an image catalogue (--data catalogue:CSV): train, eval
// from the model folder alone, cross-validate, and rows that are refused.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "src/core/run_folder.hpp"
#include "tests/support/jpeg_writer.hpp"
#include "tests/support/paths.hpp"

using namespace penumbra;

namespace {

// 12 colour JPEGs of 48×48 px: "ring" ones (label 1) a bright annulus, the
// others a bright centre; `extra` rows appended to the CSV.
std::filesystem::path ring_catalogue(const std::string& name, const std::string& extra = "") {
  auto dir = test::scratch_dir(name);
  std::filesystem::create_directories(dir / "images");
  std::ofstream csv(dir / "catalog.csv");
  csv << "id_str,ring,file_loc\n";
  for (int i = 0; i < 12; ++i) {
    const bool ring = i % 2 == 1;
    std::vector<std::uint8_t> s(48 * 48 * 3);
    for (int y = 0; y < 48; ++y)
      for (int x = 0; x < 48; ++x) {
        const double r = std::hypot(x - 23.5, y - 23.5);
        const bool on = ring ? (r > 10 && r < 15) : r < 8 + i % 3;
        for (int c = 0; c < 3; ++c) s[(y * 48 + x) * 3 + c] = on ? std::uint8_t(180 + 20 * c) : 10;
      }
    const std::string file = "images/g" + std::to_string(i) + ".jpg";
    test::write_jpeg(dir / file, s, 3, 48, 48);
    csv << "g" << i << "," << ring << "," << file << "\n";
  }
  csv << extra;
  return dir / "catalog.csv";
}

const std::string kTrain =
    " --image-size 24 --label-column ring --backbone attention --deterministic --epochs 1 --batch 4 --eval-samples 2";

}  // namespace

TEST(ClassifyCatalogueCli, TrainEvalAndCrossValidateOnACatalogue) {
  auto csv = ring_catalogue("classify_catalogue");
  auto dir = csv.parent_path();
  std::string bin = test::penumbra_bin(), out;
  ASSERT_EQ(test::run_command(bin + " --threads 1 --out " + (dir / "model").string() +
                                  " classify train --val-fraction 0.34 --data catalogue:" + csv.string() + kTrain,
                              &out),
            0)
      << out;
  auto m = nlohmann::json::parse(read_text(dir / "model" / "metrics.json"));
  EXPECT_EQ(m["model"]["class_names"], nlohmann::json::array({"not_ring", "ring"})) << m["model"].dump();
  EXPECT_EQ(m["model"]["image_size"], 24);
  // eval takes the catalogue, label column and size from the model folder.
  ASSERT_EQ(test::run_command(bin + " --threads 1 --out " + (dir / "eval").string() +
                                  " classify eval --samples 2 --model " + (dir / "model").string(),
                              &out),
            0)
      << out;
  auto e = nlohmann::json::parse(read_text(dir / "eval" / "metrics.json"));
  EXPECT_EQ(e["n"], 4) << e.dump();  // the model's 4 validation images
  EXPECT_EQ(e["data"], "catalogue:" + csv.string()) << e.dump();
  ASSERT_EQ(test::run_command(bin + " --threads 1 --out " + (dir / "cv").string() +
                                  " classify cross-validate --folds 2 --data catalogue:" + csv.string() + kTrain,
                              &out),
            0)
      << out;
  EXPECT_TRUE(std::filesystem::exists(dir / "cv" / "fold-1" / "weights.pt"));
  // A cropped model: eval must load at the training's --image-size, then crop.
  ASSERT_EQ(test::run_command(bin + " --threads 1 --out " + (dir / "cropped").string() +
                                  " classify train --val-fraction 0.34 --crop 16 --data catalogue:" + csv.string() +
                                  kTrain,
                              &out),
            0)
      << out;
  auto mc = nlohmann::json::parse(read_text(dir / "cropped" / "metrics.json"));
  EXPECT_EQ(mc["model"]["image_size"], 16);
  ASSERT_EQ(test::run_command(bin + " --threads 1 --out " + (dir / "eval-cropped").string() +
                                  " classify eval --samples 2 --model " + (dir / "cropped").string(),
                              &out),
            0)
      << out;
  // The same validation images through the same crop: the training's own numbers.
  auto ec = nlohmann::json::parse(read_text(dir / "eval-cropped" / "metrics.json"));
  EXPECT_EQ(ec["n"], mc["n"]);
  EXPECT_NEAR(ec["nll"].get<double>(), mc["nll"].get<double>(), 1e-9) << ec.dump();
}

TEST(ClassifyCatalogueCli, BadRowsStopWithOneLineNamingTheRow) {
  std::string bin = test::penumbra_bin(), out;
  auto csv = ring_catalogue("classify_catalogue_missing", "g12,1,images/absent.jpg\n");
  auto dir = csv.parent_path();
  EXPECT_EQ(test::run_command(bin + " --out " + (dir / "run").string() + " classify train --data catalogue:" +
                                  csv.string() + kTrain,
                              &out),
            66)
      << out;
  EXPECT_NE(out.find("line 14 (id g12): image"), std::string::npos) << out;
  EXPECT_NE(out.find("absent.jpg not found"), std::string::npos) << out;
  csv = ring_catalogue("classify_catalogue_label", "g12,2,images/g0.jpg\n");
  EXPECT_EQ(test::run_command(bin + " --out " + (dir / "run2").string() + " classify train --data catalogue:" +
                                  csv.string() + kTrain,
                              &out),
            65)
      << out;
  EXPECT_NE(out.find("line 14 (id g12): label column 'ring' is '2'; expected 0 or 1"), std::string::npos) << out;
}
