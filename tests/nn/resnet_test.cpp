// ResNet encoders (shapes, parameter counts against the formula, monotone in
// width and depth), encoder checkpoints (round trip, another backbone refused),
// the resnet classifier backbone with 3 channels.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "src/core/errors.hpp"
#include "src/core/run_folder.hpp"
#include "src/nn/classifier.hpp"
#include "src/nn/encoder.hpp"
#include "src/nn/resnet.hpp"
#include "tests/support/paths.hpp"

using namespace penumbra;

namespace {
EncoderConfig config(int channels, int width, int depth, int size = 32, int stages = 4) {
  EncoderConfig c;
  c.channels = channels, c.width = width, c.depth = depth, c.image_size = size, c.stages = stages;
  return c;
}

// Weights and biases of the convolutions plus the GroupNorm scales and offsets.
std::int64_t expected_parameters(const EncoderConfig& c) {
  auto conv = [](std::int64_t in, std::int64_t out, std::int64_t k) { return in * out * k * k + out; };
  std::int64_t n = conv(c.channels, c.width, 3) + 2 * c.width, in = c.width;
  for (int s = 0; s < c.stages; ++s) {
    std::int64_t out = static_cast<std::int64_t>(c.width) << s;
    for (int d = 0; d < c.depth; ++d) {
      n += conv(in, out, 3) + conv(out, out, 3) + 4 * out + (in != out ? conv(in, out, 1) : 0);
      in = out;
    }
  }
  return n;
}
}  // namespace

TEST(ResNet, FeatureShapeAndParameterCountFollowTheKnobs) {
  for (int channels : {1, 3})
    for (int stages : {3, 4}) {
      auto c = config(channels, 8, 2, 32, stages);
      Encoder e(c, 1);
      auto f = e.forward(torch::rand({2, channels, 32, 32}));
      EXPECT_EQ(f.sizes(), (std::vector<std::int64_t>{2, c.feature_dim()}));
      EXPECT_EQ(c.feature_dim(), 8 << (stages - 1));
      EXPECT_EQ(e.parameter_count(), expected_parameters(c));
    }
  std::int64_t last = 0;
  for (int width : {4, 8, 16, 32}) {
    auto n = Encoder(config(3, width, 1), 1).parameter_count();
    EXPECT_GT(n, last) << width;
    last = n;
  }
  last = 0;
  for (int depth : {1, 2, 3, 4}) {
    auto n = Encoder(config(3, 8, depth), 1).parameter_count();
    EXPECT_GT(n, last) << depth;
    last = n;
  }
  // The documented range: ≈ 0.05 M at width 6, depth 1 to ≈ 4.4 M at width 40, depth 2.
  EXPECT_NEAR(expected_parameters(config(3, 6, 1)) / 1e6, 0.05, 0.01);
  EXPECT_NEAR(expected_parameters(config(3, 40, 2)) / 1e6, 4.37, 0.01);
}

TEST(ResNet, BlocksStartAsTheIdentityAndBadKnobsAreRefused) {
  torch::manual_seed(0);
  nn::ResidualBlock b(4, 4, nn::LayerOptions{false, -5.0});
  auto x = torch::relu(torch::randn({2, 4, 8, 8}));
  EXPECT_TRUE(torch::allclose(b->forward(x), x));  // zero-scaled last GroupNorm: relu(0 + x) = x for x ≥ 0
  EXPECT_THROW(Encoder(config(2, 8, 1), 1), UsageError);
  EXPECT_THROW(Encoder(config(1, 80, 1), 1), UsageError);
  EXPECT_THROW(Encoder(config(1, 8, 5), 1), UsageError);
  EXPECT_THROW(Encoder(config(1, 8, 1, 8), 1), UsageError);  // 4 stages need ≥ 16 px
  Encoder e(config(1, 8, 1), 1);
  EXPECT_THROW(e.forward(torch::rand({2, 3, 32, 32})), DataError);
  EXPECT_EQ(nn::group_norm_groups(12), 6);
  EXPECT_EQ(nn::group_norm_groups(40), 8);
}

TEST(ResNet, EncoderCheckpointRoundTripAndAnotherBackboneIsOneLine) {
  auto dir = test::scratch_dir("resnet_checkpoint");
  auto c = config(3, 4, 1, 16);
  c.input_mean = {0.1, 0.2, 0.3};
  Encoder e(c, 5);
  e.set_train(false);
  auto x = torch::rand({2, 3, 16, 16});
  auto f = e.forward(x);
  e.save(dir / "enc", {{"method", "byol"}});
  auto back = Encoder::load(dir / "enc");
  back->set_train(false);
  EXPECT_TRUE(torch::allclose(back->forward(x), f));
  EXPECT_EQ(back->trained_by().value("method", ""), "byol");
  EXPECT_EQ(back->config().input_mean, c.input_mean);
  auto clone = e.clone();
  clone->set_train(false);
  EXPECT_TRUE(torch::equal(clone->forward(x), f));
  try {
    Encoder::load(dir / "enc", "vit");
    FAIL();
  } catch (const DataError& err) {
    EXPECT_NE(std::string(err.what()).find("checkpoint holds a 'resnet' encoder, expected 'vit'"), std::string::npos);
  }
  ClassifierConfig cc;
  cc.backbone = "lenet";
  cc.bayesian = false;
  cc.image_size = 80;
  Classifier(cc, 1).save(dir / "lenet");
  try {
    Encoder::load(dir / "lenet");
    FAIL();
  } catch (const DataError& err) {
    EXPECT_NE(std::string(err.what()).find("a classifier model folder, not an encoder checkpoint"), std::string::npos);
  }
  // Weights of a wider encoder under this config: refused, not crashed.
  Encoder(config(3, 8, 1, 16), 1).save_weights(dir / "enc" / "encoder.pt");
  EXPECT_THROW(Encoder::load(dir / "enc"), DataError);
}

TEST(ResNet, ClassifierBackboneTakesThreeChannelsAndSavesItsKnobs) {
  auto dir = test::scratch_dir("resnet_classifier");
  ClassifierConfig c;
  c.backbone = "resnet";
  c.bayesian = true;
  c.image_size = 32;
  c.channels = 3;
  c.width = 8;
  c.depth = 2;
  Classifier m(c, 3);
  EXPECT_EQ(m.forward(torch::rand({2, 3, 32, 32})).sizes(), (std::vector<std::int64_t>{2, 2}));
  EXPECT_EQ(m.features().size(1), 64);
  EXPECT_THROW(m.forward(torch::rand({2, 1, 32, 32})), DataError);
  m.save(dir);
  EXPECT_EQ(Classifier::load(dir, "resnet")->config().depth, 2);
  c.backbone = "lenet";
  EXPECT_THROW(Classifier(c, 1), UsageError);  // lenet takes one channel
}
