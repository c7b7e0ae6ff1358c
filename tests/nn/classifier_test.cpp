// Bayesian layers, group-equivariant convolutions (numerical equivariance),
// the three backbones and model folders.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>

#include "src/core/errors.hpp"
#include "src/core/run_folder.hpp"
#include "src/nn/backbones.hpp"
#include "src/nn/bayesian_layers.hpp"
#include "src/nn/backbone_registry.hpp"
#include "src/nn/classifier.hpp"
#include "tests/support/paths.hpp"

using namespace penumbra;
using namespace penumbra::nn;

TEST(BayesLayers, LocalReparameterisationHasTheRightMoments) {
  torch::manual_seed(0);
  BayesLinear l(3, 2, LayerOptions{true, -1.0});
  auto x = torch::tensor({{1.0f, -2.0f, 0.5f}});
  auto xs = x.expand({20000, 3});
  auto out = l->forward(xs);
  auto mean = torch::nn::functional::linear(x, l->weight->mu, l->bias->mu);
  auto var = torch::nn::functional::linear(x.square(), l->weight->sigma().square(), l->bias->sigma().square());
  EXPECT_TRUE(torch::allclose(out.mean(0, true), mean, 0.03, 0.03));
  EXPECT_TRUE(torch::allclose(out.var(0, true, true), var, 0.05, 0.01));
  l->weight->sampling = l->bias->sampling = false;
  EXPECT_TRUE(torch::allclose(l->forward(x), mean));
}

TEST(BayesLayers, DeterministicLayersHaveNoRhoAndMaskPrunes) {
  BayesConv2d c(1, 2, 3, 1, LayerOptions{false, -5.0});
  EXPECT_EQ(c->parameters().size(), 2u);  // μ of weight and bias only
  auto x = torch::randn({1, 1, 6, 6});
  EXPECT_TRUE(torch::equal(c->forward(x), c->forward(x)));
  c->weight->mask.zero_();
  c->bias->mask.zero_();
  EXPECT_EQ(c->forward(x).abs().max().item<float>(), 0.0f);
}

TEST(Groups, TablesAndFilterTransformsFormARepresentation) {
  for (const char* name : {"C4", "D4", "C8", "D8"}) {
    auto g = Group::parse(name);
    int G = g.order();
    auto M = g.filter_transforms(5);
    for (int a = 0; a < G; ++a) {
      EXPECT_EQ(g.mul(a, g.inv(a)), 0) << name;
      for (int b = 0; b < G; ++b)
        for (int c = 0; c < G; ++c) ASSERT_EQ(g.mul(g.mul(a, b), c), g.mul(a, g.mul(b, c))) << name;
    }
    if (g.n() == 4) {  // exact: T_a T_b = T_ab as matrices
      for (int a = 0; a < G; ++a)
        for (int b = 0; b < G; ++b)
          ASSERT_TRUE(torch::allclose(torch::matmul(M[a], M[b]), M[g.mul(a, b)], 1e-6, 1e-6)) << name;
    }
  }
  EXPECT_THROW(Group::parse("E4"), UsageError);
}

namespace {
// Logits of the equivariant net on x and on its transforms.
void expect_invariant(const std::string& group, bool with_flip, double tol) {
  torch::manual_seed(5);
  auto net = std::make_shared<EquivariantNetImpl>(20, 2, Group::parse(group), LayerOptions{true, -3.0});
  for (auto& m : net->modules())
    if (auto* p = m->as<BayesParamImpl>()) p->sampling = false;
  auto x = torch::randn({2, 1, 20, 20}, torch::kFloat64);
  net->to(torch::kFloat64);
  auto y = net->forward(x);
  auto yr = net->forward(torch::rot90(x, 1, {2, 3}));
  EXPECT_TRUE(torch::allclose(y, yr, tol, tol)) << group << "\n" << y << "\n" << yr;
  if (with_flip) {
    auto yf = net->forward(torch::flip(x, {3}));
    EXPECT_TRUE(torch::allclose(y, yf, tol, tol)) << group << " flip\n" << y << "\n" << yf;
  }
}
}  // namespace

TEST(Equivariance, C4AndD4AreExactlyInvariant) {
  expect_invariant("C4", false, 1e-9);
  expect_invariant("D4", true, 1e-9);
}

TEST(Equivariance, C8IsInvariantToQuarterTurnsAndLeNetIsNot) {
  expect_invariant("C8", false, 1e-9);
  torch::manual_seed(2);
  LeNetImpl lenet(80, 2, LayerOptions{false, -5.0});
  auto x = torch::randn({1, 1, 80, 80});
  EXPECT_FALSE(torch::allclose(lenet.forward(x), lenet.forward(torch::rot90(x, 1, {2, 3})), 1e-4, 1e-4));
}

TEST(Equivariance, LiftingLayerRotatesAndPermutes) {
  torch::manual_seed(1);
  Group g = Group::parse("C4");
  LiftingConv l(1, 1, 3, g, LayerOptions{false, -5.0});
  auto x = torch::randn({1, 1, 9, 9}, torch::kFloat64);
  l->to(torch::kFloat64);
  auto y = l->forward(x), yr = l->forward(torch::rot90(x, 1, {2, 3}));
  // rot90 of the input rotates each map and shifts the group axis by one step (either sense).
  auto ry = torch::rot90(y, 1, {2, 3});
  bool fwd = torch::allclose(yr, torch::roll(ry, 1, 1), 1e-9, 1e-9);
  bool bwd = torch::allclose(yr, torch::roll(ry, -1, 1), 1e-9, 1e-9);
  EXPECT_TRUE(fwd || bwd);
}

TEST(Classifier, BackbonesForwardAndAttentionMaps) {
  for (const char* b : {"lenet", "attention", "equivariant"}) {
    ClassifierConfig c;
    c.backbone = b;
    c.image_size = std::string(b) == "lenet" ? 80 : 24;
    c.group = "C4";
    Classifier m(c, 1);
    auto x = torch::rand({3, c.image_size, c.image_size});
    auto y = m.forward(x);
    EXPECT_EQ(y.sizes(), (std::vector<std::int64_t>{3, 2})) << b;
    EXPECT_GT(m.weight_count(), 0);
    EXPECT_EQ(m.attention_maps().size(), std::string(b) == "attention" ? 2u : 0u);
    // Sampling on: two forwards differ; off: they agree.
    m.set_sampling(false);
    EXPECT_TRUE(torch::equal(m.forward(x), m.forward(x))) << b;
    int dense = 0;
    for (auto& v : m.variational_tensors()) dense += v.dense;
    EXPECT_GE(dense, 2) << b;
    EXPECT_THROW(m.forward(torch::rand({1, c.image_size + 2, c.image_size + 2})), DataError);
  }
}

TEST(Classifier, ModelFolderRoundTripAndWrongBackbone) {
  auto dir = test::scratch_dir("classifier_model");
  ClassifierConfig c;
  c.backbone = "attention";
  c.image_size = 16;
  c.input_mean = 0.1;
  Classifier m(c, 3);
  m.set_sampling(false);
  auto x = torch::rand({2, 16, 16});
  auto y = m.forward(x);
  m.save(dir / "model");
  auto back = Classifier::load(dir / "model");
  back->set_sampling(false);
  EXPECT_TRUE(torch::allclose(back->forward(x), y));
  EXPECT_EQ(back->config().input_mean, 0.1);
  EXPECT_THROW(Classifier::load(dir / "model", "lenet"), DataError);
  EXPECT_THROW(Classifier::load(dir / "nothing"), MissingInputError);
  // A config edited to another backbone no longer matches its weights.
  auto j = nlohmann::json::parse(read_text(dir / "model" / "config.json"));
  j["backbone"] = "equivariant";
  write_text_atomic(dir / "model" / "config.json", j.dump());
  try {
    Classifier::load(dir / "model");
    FAIL();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("'attention' backbone"), std::string::npos) << e.what();
  }
}

namespace {
// A backbone only this test knows: mean pixel → one linear layer.
class TinyBackboneImpl : public penumbra::nn::BackboneImpl {
 public:
  explicit TinyBackboneImpl(int classes) : fc(register_module("fc", torch::nn::Linear(1, classes))) {}
  torch::Tensor forward(const torch::Tensor& x) override { return fc(x.flatten(1).mean(1, true)); }
  torch::nn::Linear fc;
};
}  // namespace

TEST(BackboneRegistry, ABackboneRegisteredHereBuildsAClassifier) {
  using namespace penumbra;
  if (!backbone_registry().find("tiny"))
    backbone_registry().add({"tiny", "mean pixel, one linear layer",
                             [](const BackboneShape& s, const nn::LayerOptions&) {
                               return std::make_shared<TinyBackboneImpl>(s.classes);
                             }});
  ClassifierConfig c;
  c.backbone = "tiny";
  c.image_size = 16;
  c.bayesian = false;
  Classifier model(c, 1);
  auto logits = model.forward(torch::rand({3, 16, 16}));
  EXPECT_EQ(logits.size(0), 3);
  EXPECT_EQ(logits.size(1), 2);
  EXPECT_NE(backbone_help().find("tiny (mean pixel"), std::string::npos);
  EXPECT_THROW(check_backbone_options("no-such-backbone", ""), UsageError);
}
