// classify --backbone attention with --attention-gate/--attention-aggregation
// end to end: the choices reach config.json, eval rebuilds the same network
// and reports how concentrated its maps are on the source; bad flags are one line.
#include <gtest/gtest.h>
#include <png.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "src/core/run_folder.hpp"
#include "tests/support/paths.hpp"

using namespace penumbra;

namespace {
const std::string kTiny =
    " --data synthetic --n-synthetic 12 --synthetic-size 24 --val-fraction 0.34 --epochs 1 --batch 4 "
    "--eval-samples 2";
}  // namespace

TEST(ClassifyAttentionGates, SoftmaxMeanTrainsAndEvalReportsConcentration) {
  auto dir = test::scratch_dir("classify_attention_gates");
  const std::string bin = test::penumbra_bin();
  std::string out;
  ASSERT_EQ(test::run_command(bin + " --threads 1 --seed 3 --out " + (dir / "model").string() +
                                  " classify train --backbone attention --attention-gate softmax "
                                  "--attention-aggregation mean --deterministic" +
                                  kTiny,
                              &out),
            0)
      << out;
  auto cfg = nlohmann::json::parse(read_text(dir / "model" / "config.json"));
  EXPECT_EQ(cfg.at("attention_gate"), "softmax");
  EXPECT_EQ(cfg.at("attention_aggregation"), "mean");
  // eval rebuilds the network from config.json alone; its metrics match training's validation.
  ASSERT_EQ(test::run_command(bin + " --threads 1 --out " + (dir / "eval").string() +
                                  " classify eval --samples 1 --model " + (dir / "model").string(),
                              &out),
            0)
      << out;
  auto train_m = nlohmann::json::parse(read_text(dir / "model" / "metrics.json"));
  auto m = nlohmann::json::parse(read_text(dir / "eval" / "metrics.json"));
  EXPECT_NEAR(m.at("nll").get<double>(), train_m.at("nll").get<double>(), 1e-6);
  const auto& a = m.at("attention_concentration");
  EXPECT_EQ(a.at("maps"), 2);
  for (int k = 0; k < 2; ++k) {
    const double mass = a.at("mass_in_source")[k], h = a.at("entropy")[k];
    EXPECT_TRUE(mass >= 0 && mass <= 1) << mass;
    EXPECT_TRUE(h > 0 && h <= 1) << h;
  }
  EXPECT_NE(out.find("attention map 2:"), std::string::npos) << out;
  const auto csv = read_text(dir / "eval" / "attention_concentration.csv");
  EXPECT_EQ(csv.rfind("id,label,map,mass_in_source,source_fraction,entropy\n", 0), 0u);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 2 * 4);  // 4 validation images × 2 maps

  // predict draws a softmax map on its own scale (on 0–1 it would be black):
  // the top of viridis (yellow) fills the map panels' bright parts.
  {
    std::vector<unsigned char> px(24 * 24, 0);
    for (int y = 9; y < 15; ++y)
      for (int x = 4; x < 20; ++x) px[y * 24 + x] = static_cast<unsigned char>(255 - 10 * std::abs(x - 12));
    png_image img{};
    img.version = PNG_IMAGE_VERSION;
    img.width = img.height = 24;
    img.format = PNG_FORMAT_GRAY;
    ASSERT_TRUE(png_image_write_to_file(&img, (dir / "src.png").c_str(), 0, px.data(), 0, nullptr));
  }
  ASSERT_EQ(
      test::run_command(bin + " --threads 1 --out " + (dir / "p").string() + " classify predict --model " +
                            (dir / "model").string() + " " + (dir / "src.png").string(),
                        &out),
      0)
      << out;
  {
    png_image img{};
    img.version = PNG_IMAGE_VERSION;
    ASSERT_TRUE(png_image_begin_read_from_file(&img, (dir / "p" / "attention_0.png").c_str()));
    img.format = PNG_FORMAT_RGB;
    std::vector<unsigned char> rgb(PNG_IMAGE_SIZE(img));
    ASSERT_TRUE(png_image_finish_read(&img, nullptr, rgb.data(), 0, nullptr));
    int yellow = 0;
    for (std::size_t i = 0; i + 2 < rgb.size(); i += 3)
      yellow += rgb[i] > 230 && rgb[i + 1] > 215 && rgb[i + 2] < 60;
    EXPECT_GT(yellow, 2000);  // 13,020 here; 320 when the map was drawn on 0–1
  }

  // A backbone without attention maps: no concentration in metrics.json, no CSV.
  ASSERT_EQ(test::run_command(bin + " --threads 1 --seed 3 --out " + (dir / "eq").string() +
                                  " classify train --backbone equivariant --group C4 --deterministic" + kTiny,
                              &out),
            0)
      << out;
  ASSERT_EQ(test::run_command(bin + " --threads 1 --out " + (dir / "eq-eval").string() +
                                  " classify eval --samples 1 --model " + (dir / "eq").string(),
                              &out),
            0)
      << out;
  EXPECT_FALSE(
      nlohmann::json::parse(read_text(dir / "eq-eval" / "metrics.json")).contains("attention_concentration"));
  EXPECT_FALSE(std::filesystem::exists(dir / "eq-eval" / "attention_concentration.csv"));
}

TEST(ClassifyAttentionGates, BadFlagsAreOneLine) {
  auto dir = test::scratch_dir("classify_attention_gates_bad");
  const std::string bin = test::penumbra_bin();
  std::string out;
  auto refused = [&](const std::string& name, const std::string& args, const std::string& msg) {
    EXPECT_EQ(test::run_command(bin + " --out " + (dir / name).string() + " classify " + args, &out), 64)
        << args;
    EXPECT_NE(out.find(msg), std::string::npos) << out;
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
    EXPECT_FALSE(std::filesystem::exists(dir / name)) << args;
  };
  refused("a", "train --backbone attention --attention-gate tanh" + kTiny,
          "--attention-gate must be sigmoid or softmax, got 'tanh'");
  refused("b", "train --backbone attention --attention-aggregation max" + kTiny,
          "--attention-aggregation must be concat or mean, got 'max'");
  refused("c", "train --backbone lenet --attention-gate softmax" + kTiny,
          "--attention-gate softmax applies to the attention backbone only, not lenet");
  refused("d",
          "cross-validate --backbone ge-attention --group C4 --attention-aggregation mean --data synthetic",
          "--attention-aggregation mean applies to the attention backbone only, not ge-attention");
  refused("e", "temperature-sweep --backbone equivariant --attention-gate sigmoid" + kTiny,
          "--attention-gate sigmoid applies to the attention backbone only");
}
