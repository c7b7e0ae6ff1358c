// FixMatch: pseudo-label masking at τ, which view labels and which is trained,
// the two augmentations, and a tiny run with every kind of model.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "src/core/errors.hpp"
#include "src/datasets/radio_galaxy_generator.hpp"
#include "src/datasets/ssl_augment.hpp"
#include "src/nn/backbone_registry.hpp"
#include "src/nn/fixmatch.hpp"

using namespace penumbra;

TEST(FixMatch, PseudoLabelMaskIsExactAtTau) {
  // Top probabilities 0.95 (exactly τ: kept), 0.9499 (dropped), 0.99 (kept, class 0), 0.5 (dropped).
  auto p = torch::tensor({{0.05, 0.95}, {0.9499, 0.0501}, {0.99, 0.01}, {0.5, 0.5}}, torch::kFloat64);
  auto [label, mask] = pseudo_labels(p, 0.95);
  EXPECT_EQ(label[0].item<std::int64_t>(), 1);
  EXPECT_EQ(label[2].item<std::int64_t>(), 0);
  EXPECT_EQ(std::vector<float>(mask.data_ptr<float>(), mask.data_ptr<float>() + 4),
            (std::vector<float>{1, 0, 1, 0}));
}

TEST(FixMatch, WeakViewLabelsStrongViewIsTrained) {
  // Weak logits: rows 0 and 2 confident (classes 1 and 0), row 1 not.
  auto weak = torch::tensor({{0.0, 5.0}, {0.1, 0.0}, {6.0, 0.0}}).requires_grad_(true);
  auto strong = torch::tensor({{1.0, 0.0}, {0.0, 3.0}, {0.0, 2.0}}).requires_grad_(true);
  auto loss = unlabelled_nll_sum(weak, strong, 0.9);
  // The strong logits' cross entropy against the weak view's labels, masked rows only.
  const double expected = (std::log(std::exp(1.0) + 1.0) - 0.0) + (std::log(1.0 + std::exp(2.0)) - 0.0);
  EXPECT_NEAR(loss.item<double>(), expected, 1e-5);
  loss.backward();
  EXPECT_FALSE(weak.grad().defined() && weak.grad().abs().sum().item<double>() > 0);  // labels carry no gradient
  auto g = strong.grad();
  EXPECT_GT(g[0].abs().sum().item<double>(), 0);
  EXPECT_EQ(g[1].abs().sum().item<double>(), 0);  // below τ: not trained
  EXPECT_GT(g[2].abs().sum().item<double>(), 0);
}

TEST(FixMatch, WeakViewMovesPixelsStrongViewChangesThem) {
  const int n = 32;
  std::vector<float> orig(n * n, 0.0f);  // a source well inside the weak shifts' reach of the edges
  for (int y = 10; y < 22; ++y)
    for (int x = 12; x < 19; ++x) orig[y * n + x] = static_cast<float>(0.01 * (y * n + x) + 0.1);
  std::vector<float> weak = orig, strong = orig;
  SslAugmentOptions o;
  weak_view(weak.data(), n, o, 9, 1);
  strong_view(strong.data(), n, o, 9, 1);
  auto sorted = [](std::vector<float> v) { return std::sort(v.begin(), v.end()), v; };
  EXPECT_EQ(sorted(weak), sorted(orig));  // flips, 90° turns, integer shifts: the same pixels
  EXPECT_NE(sorted(strong), sorted(orig));
  std::vector<float> again = orig;
  weak_view(again.data(), n, o, 9, 1);
  EXPECT_EQ(again, weak);  // seeded
}

TEST(FixMatch, TinyRunCompletesForEveryModelKind) {
  ClassifierTraining s;
  s.epochs = 2;
  s.batch = 4;
  FixMatchSettings f;
  f.mu = 2;
  f.threshold = 0.5;  // so that some pseudo-labels pass on an untrained model
  // Every backbone Bayesian, and one deterministic.
  std::vector<std::pair<std::string, bool>> kinds = {{"attention", false}};
  for (const auto& e : backbone_registry().entries()) kinds.emplace_back(e.name, true);
  for (const auto& [backbone, bayesian] : kinds) {
    SCOPED_TRACE(backbone + (bayesian ? " bayesian" : " deterministic"));
    const int size = backbone == "lenet" ? 76 : 24;  // LeNet's smallest input
    auto lab = generate_radio_galaxies(8, 1, {.size = size});
    auto unl = generate_radio_galaxies(16, 2, {.size = size});
    ClassifierConfig c;
    c.backbone = backbone;
    c.image_size = size;
    c.bayesian = bayesian;
    Classifier m(c, 4);
    FixMatchEpochStats stats;
    int epochs = 0;
    train_fixmatch(m, lab, unl, s, f, 5, [&](const EpochSummary& e) { epochs = e.epoch; EXPECT_TRUE(std::isfinite(e.loss)); },
                   &stats);
    EXPECT_EQ(epochs, 2);
    EXPECT_GT(stats.mask_rate, 0);
    for (auto& p : m.parameters()) EXPECT_TRUE(torch::isfinite(p).all().item<bool>());
  }
  FixMatchSettings bad;
  bad.threshold = 1.5;
  EXPECT_THROW(validate(bad), UsageError);
}
