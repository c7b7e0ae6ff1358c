// The attention-gated backbone's normalisation (sigmoid | softmax) and
// aggregation (concat | mean) choices: map normalisation, shapes, a training
// step for each, the default being today's network, and the one-line refusals.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>

#include "src/core/errors.hpp"
#include "src/core/run_folder.hpp"
#include "src/nn/attention_options.hpp"
#include "src/nn/backbones.hpp"
#include "src/nn/classifier.hpp"
#include "tests/support/paths.hpp"

using namespace penumbra;
using namespace penumbra::nn;

namespace {
const LayerOptions kPlain{false, -5.0};

std::set<std::string> parameter_names(torch::nn::Module& m) {
  std::set<std::string> names;
  for (const auto& p : m.named_parameters()) names.insert(p.key());
  return names;
}
}  // namespace

TEST(AttentionGates, SoftmaxMapsSumToOnePerImageAndSigmoidMapsAreInUnitInterval) {
  torch::manual_seed(1);
  AttentionNetImpl soft(24, 2, kPlain, GateNormalisation::kSoftmax, GateAggregation::kConcat);
  AttentionNetImpl sig(24, 2, kPlain);
  auto x = torch::randn({3, 1, 24, 24});
  soft.forward(x);
  sig.forward(x);
  ASSERT_EQ(soft.attention_maps().size(), 2u);
  for (const auto& a : soft.attention_maps()) {
    EXPECT_EQ(a.size(1), 1);
    EXPECT_TRUE(torch::allclose(a.sum({1, 2, 3}), torch::ones({3}), 1e-5, 1e-6));
    EXPECT_GE(a.min().item<float>(), 0.0f);
  }
  for (const auto& a : sig.attention_maps()) {
    EXPECT_GT(a.min().item<float>(), 0.0f);
    EXPECT_LT(a.max().item<float>(), 1.0f);
    EXPECT_GT(a.sum({1, 2, 3}).min().item<float>(), 1.5f);  // not a distribution
  }
}

TEST(AttentionGates, EveryVariantHasTheRightShapesAndTrainsAStep) {
  for (auto gate : {GateNormalisation::kSigmoid, GateNormalisation::kSoftmax}) {
    for (auto agg : {GateAggregation::kConcat, GateAggregation::kMean}) {
      const auto name = gate_normalisation_name(gate) + "/" + gate_aggregation_name(agg);
      torch::manual_seed(2);
      auto net = std::make_shared<AttentionNetImpl>(32, 3, LayerOptions{true, -4.0}, gate, agg);
      auto x = torch::randn({5, 1, 32, 32});
      auto y = torch::tensor({0, 1, 2, 0, 1}, torch::kLong);
      auto logits = net->forward(x);
      EXPECT_EQ(logits.sizes(), (std::vector<std::int64_t>{5, 3})) << name;
      // concat: one head's hidden layer; mean: the three heads' hidden layers side by side.
      EXPECT_EQ(net->features.size(1), agg == GateAggregation::kConcat ? 64 : 192) << name;
      EXPECT_EQ(net->heads.size(), agg == GateAggregation::kConcat ? 0u : 3u) << name;
      EXPECT_EQ(net->attention_maps().at(0).sizes(), (std::vector<std::int64_t>{5, 1, 16, 16})) << name;
      EXPECT_EQ(net->attention_maps().at(1).sizes(), (std::vector<std::int64_t>{5, 1, 8, 8})) << name;
      torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(1e-2));
      std::vector<torch::Tensor> before;
      for (auto& p : net->parameters()) before.push_back(p.detach().clone());
      auto loss = torch::nn::functional::cross_entropy(logits, y);
      opt.zero_grad();
      loss.backward();
      opt.step();
      // Every parameter moves, but for a softmax gate's last bias: a shift of
      // every position's score leaves a softmax unchanged, so its gradient is ~0.
      std::size_t i = 0;
      for (const auto& p : net->named_parameters()) {
        const bool shift_invariant =
            gate == GateNormalisation::kSoftmax && p.key().find("psi.bias") != std::string::npos;
        if (!shift_invariant) EXPECT_FALSE(torch::equal(p.value(), before[i])) << name << " " << p.key();
        ++i;
      }
      EXPECT_TRUE(std::isfinite(torch::nn::functional::cross_entropy(net->forward(x), y).item<double>()))
          << name;
    }
  }
}

TEST(AttentionGates, DefaultIsTodaysNetworkAndAnOldConfigLoadsWithIdenticalOutputs) {
  // The default keeps the parameter names of the network before the choices
  // existed, so its weights.pt files still load.
  AttentionNetImpl def(24, 2, kPlain);
  const std::set<std::string> before = {"c1a.weight.mu", "c1a.bias.mu", "c1b.weight.mu", "c1b.bias.mu",
                                        "c2.weight.mu",  "c2.bias.mu",  "c3.weight.mu",  "c3.bias.mu",
                                        "f1.weight.mu",  "f1.bias.mu",  "f2.weight.mu",  "f2.bias.mu"};
  auto names = parameter_names(def);
  for (const auto& n : before) EXPECT_TRUE(names.count(n)) << n;
  EXPECT_EQ(names.size(), before.size() + 12u);  // + theta, phi, psi (weight, bias) of g1 and g2
  // Today's forward written out: sigmoid gates, attention-weighted means, one head.
  torch::NoGradGuard ng;
  auto x = torch::randn({2, 1, 24, 24});
  auto out = def.forward(x);
  auto x1 = symmetric_pool(torch::relu(def.c1b->forward(torch::relu(def.c1a->forward(x)))));
  auto x2 = symmetric_pool(torch::relu(def.c2->forward(x1)));
  auto g = symmetric_pool(torch::relu(def.c3->forward(x2)));
  auto gate = [&](AttentionGate& m, const torch::Tensor& f) {
    auto gu = torch::nn::functional::interpolate(m->phi->forward(g),
                                                 torch::nn::functional::InterpolateFuncOptions()
                                                     .size(std::vector<std::int64_t>{f.size(2), f.size(3)})
                                                     .mode(torch::kBilinear)
                                                     .align_corners(false));
    return torch::sigmoid(m->psi->forward(torch::relu(m->theta->forward(f) + gu)));
  };
  auto a1 = gate(def.g1, x1), a2 = gate(def.g2, x2);
  auto h = torch::cat({(x1 * a1).sum({2, 3}) / (a1.sum({2, 3}) + 1e-6),
                       (x2 * a2).sum({2, 3}) / (a2.sum({2, 3}) + 1e-6), g.mean({2, 3})},
                      1);
  EXPECT_TRUE(torch::equal(out, def.f2->forward(torch::relu(def.f1->forward(h)))));

  // A model folder saved without the two keys (as every folder before them) loads
  // as sigmoid/concat and predicts exactly what was saved.
  auto dir = test::scratch_dir("attention_gate_old_config");
  ClassifierConfig c;
  c.backbone = "attention";
  c.image_size = 24;
  Classifier m(c, 5);
  m.set_sampling(false);
  auto xi = torch::rand({3, 24, 24});
  auto y = m.forward(xi);
  m.save(dir / "model");
  auto j = nlohmann::json::parse(read_text(dir / "model" / "config.json"));
  EXPECT_EQ(j.at("attention_gate"), "sigmoid");
  EXPECT_EQ(j.at("attention_aggregation"), "concat");
  j.erase("attention_gate");
  j.erase("attention_aggregation");
  write_text_atomic(dir / "model" / "config.json", j.dump());
  auto back = Classifier::load(dir / "model");
  back->set_sampling(false);
  EXPECT_TRUE(torch::equal(back->forward(xi), y));
}

TEST(AttentionGates, ChoicesRoundTripThroughTheModelFolder) {
  auto dir = test::scratch_dir("attention_gate_choices");
  ClassifierConfig c;
  c.backbone = "attention";
  c.image_size = 24;
  c.attention_gate = "softmax";
  c.attention_aggregation = "mean";
  Classifier m(c, 7);
  m.set_sampling(false);
  auto x = torch::rand({2, 24, 24});
  auto y = m.forward(x);
  EXPECT_EQ(m.features().size(1), 192);
  m.save(dir / "model");
  auto back = Classifier::load(dir / "model");
  EXPECT_EQ(back->config().attention_gate, "softmax");
  EXPECT_EQ(back->config().attention_aggregation, "mean");
  back->set_sampling(false);
  EXPECT_TRUE(torch::equal(back->forward(x), y));
  EXPECT_TRUE(torch::allclose(back->attention_maps()[1].sum({1, 2, 3}), torch::ones({2}), 1e-5, 1e-6));
  // The same weights under the other aggregation do not match: refused, not misread.
  auto j = nlohmann::json::parse(read_text(dir / "model" / "config.json"));
  j["attention_aggregation"] = "concat";
  write_text_atomic(dir / "model" / "config.json", j.dump());
  EXPECT_THROW(Classifier::load(dir / "model"), DataError);
}

TEST(AttentionGates, BadChoicesAreOneLine) {
  auto one_line = [](auto f, const std::string& expect) {
    try {
      f();
      ADD_FAILURE() << "accepted: " << expect;
    } catch (const UsageError& e) {
      std::string msg = e.what();
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
      EXPECT_NE(msg.find(expect), std::string::npos) << msg;
    }
  };
  one_line([] { check_attention_options("attention", "tanh", ""); },
           "attention gate must be sigmoid or softmax");
  one_line([] { check_attention_options("attention", "", "max"); },
           "attention aggregation must be concat or mean");
  one_line([] { check_attention_options("lenet", "softmax", ""); }, "attention backbone only, not lenet");
  one_line([] { check_attention_options("ge-attention", "", "mean"); },
           "attention backbone only, not ge-attention");
  EXPECT_NO_THROW(check_attention_options("attention", "softmax", "mean"));
  EXPECT_NO_THROW(check_attention_options("lenet", "", ""));
  ClassifierConfig c;
  c.backbone = "equivariant";
  c.image_size = 24;
  c.attention_gate = "softmax";
  EXPECT_THROW(Classifier(c, 1), UsageError);
}
