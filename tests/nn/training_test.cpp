// The classifier training loop and its ELBO terms (src/nn/training) on tiny
// synthetic batches: training lowers the loss, the prior term is the KL (or
// −log p(μ) for MAP) and scales with the temperature as each tempering says,
// runs repeat from a seed, and bad settings are refused naming the quantity.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "priors/weight_priors.hpp"
#include "src/core/errors.hpp"
#include "src/nn/training.hpp"

using namespace penumbra;

namespace {

constexpr int kSide = 24;

ClassifierConfig tiny_config(bool bayesian) {
  ClassifierConfig c;
  c.backbone = "attention";  // the only backbone that takes 24-px images
  c.bayesian = bayesian;
  c.image_size = kSide;
  return c;
}

// Eight images: class 1 has a bright centre, class 0 a bright corner.
LabelledImages tiny_images() {
  LabelledImages d;
  d.height = d.width = kSide;
  d.class_names = {"FRI", "FRII"};
  for (int i = 0; i < 8; ++i) {
    std::vector<float> img(kSide * kSide, 0.0f);
    const int y = i % 2 ? kSide / 2 : 2, x = i % 2 ? kSide / 2 : 3 + i;
    img[y * kSide + x] = 1.0f;
    d.pixels.insert(d.pixels.end(), img.begin(), img.end());
    d.labels.push_back(i % 2);
  }
  return d;
}

std::pair<at::Tensor, at::Tensor> as_batch(const LabelledImages& d) {
  auto x = torch::from_blob(const_cast<float*>(d.pixels.data()), {static_cast<long>(d.size()), kSide, kSide},
                            torch::kFloat32)
               .clone();
  std::vector<std::int64_t> y(d.labels.begin(), d.labels.end());
  return {x, torch::tensor(y, torch::kLong)};
}

}  // namespace

TEST(ClassifierTraining, StepsLowerTheLossOnAFixedBatch) {
  Classifier model(tiny_config(false), 1);
  auto prior = make_weight_prior("gaussian");
  auto [x, y] = as_batch(tiny_images());
  const ElboSettings es{8, 1.0, ElboTempering::kPartial};
  auto loss_now = [&] { return tempered_loss(classifier_elbo_terms(model, x, y, *prior), es).item<double>(); };
  model.set_train(false);
  const double before = loss_now();
  VariationalInference vi(model.parameters(), 1e-2, es, [&](std::int64_t) {
    return classifier_elbo_terms(model, x, y, *prior);
  });
  for (int k = 0; k < 5; ++k) vi.step();
  model.set_train(false);
  EXPECT_LT(loss_now(), before);
}

TEST(ClassifierTraining, BayesianPriorTermIsTheKlAndScalesWithTheTemperature) {
  Classifier model(tiny_config(true), 2);
  auto prior = make_weight_prior("gaussian");
  torch::manual_seed(3);
  auto [x, y] = as_batch(tiny_images());
  const auto e = classifier_elbo_terms(model, x, y, *prior);
  EXPECT_EQ(e.batch_size, 8);
  double kl = 0;
  for (auto& v : model.variational_tensors()) kl += kl_divergence(*prior, v.mu, v.sigma).item<double>();
  const double ce = e.cross_entropy.item<double>(), h = e.entropy.item<double>();
  EXPECT_NEAR(ce - h, kl, 1e-6 * std::abs(kl));
  const std::int64_t N = 100;
  const double nll = e.nll_sum.item<double>() / 8;
  auto prior_term = [&](double T, ElboTempering tempering) {
    return (tempered_loss(e, {N, T, tempering}).item<double>() - nll) * N;
  };
  // partial: T·(CE − H); full: CE − T·H.
  EXPECT_NEAR(prior_term(1.0, ElboTempering::kPartial), ce - h, 1e-3 * std::abs(ce - h));
  EXPECT_NEAR(prior_term(0.1, ElboTempering::kPartial), 0.1 * (ce - h), 1e-3 * std::abs(ce - h));
  EXPECT_NEAR(prior_term(0.1, ElboTempering::kFull), ce - 0.1 * h, 1e-3 * std::abs(ce - 0.1 * h));
}

TEST(ClassifierTraining, DeterministicPriorTermIsTheNegativeLogPriorOfTheMeans) {
  Classifier model(tiny_config(false), 4);
  auto prior = make_weight_prior("laplace");
  auto [x, y] = as_batch(tiny_images());
  const auto e = classifier_elbo_terms(model, x, y, *prior);
  double nlp = 0;
  for (auto& v : model.variational_tensors()) nlp -= prior->log_prob(v.mu).item<double>();
  EXPECT_NEAR(e.cross_entropy.item<double>(), nlp, 1e-6 * std::abs(nlp));
  EXPECT_EQ(e.entropy.item<double>(), 0.0);
}

TEST(ClassifierTraining, RepeatsFromItsSeedAndReportsEveryEpoch) {
  const auto data = tiny_images();
  ClassifierTraining s;
  s.epochs = 2;
  s.batch = 4;
  auto run = [&](std::vector<EpochSummary>& epochs) {
    auto cfg = tiny_config(true);
    set_input_normalisation(cfg, data);
    Classifier model(cfg, 5);
    train_classifier(model, data, s, 7, [&](const EpochSummary& e) { epochs.push_back(e); });
    return model.parameters().front().clone();
  };
  std::vector<EpochSummary> a, b;
  auto wa = run(a), wb = run(b);
  EXPECT_TRUE(torch::equal(wa, wb));
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].epoch, 1);
  EXPECT_EQ(a[1].epoch, 2);
  EXPECT_EQ(a[1].loss, b[1].loss);
  EXPECT_GT(a[1].penalty, 0);  // the KL of the Bayesian model
}

// The count of right answers is the argmax of the very logits of the NLL, and
// it accumulates over calls.
TEST(ClassifierTraining, ElboTermsCountTheRowsWhoseLargestLogitIsTheLabel) {
  Classifier model(tiny_config(false), 6);
  model.set_train(false);
  auto prior = make_weight_prior("gaussian");
  auto [x, y] = as_batch(tiny_images());
  const auto expected = model.forward(x).argmax(1).eq(y).sum().item<std::int64_t>();
  std::int64_t correct = 0;
  classifier_elbo_terms(model, x, y, *prior, 1, &correct);
  EXPECT_EQ(correct, expected);
  classifier_elbo_terms(model, x, y, *prior, 1, &correct);
  EXPECT_EQ(correct, 2 * expected);
}

// Each epoch reports its training accuracy over the images it trained on
// (a multiple of 1/8 here); on this separable set training fits them all.
TEST(ClassifierTraining, EveryEpochReportsItsTrainingAccuracyAsSeen) {
  const auto data = tiny_images();
  ClassifierTraining s;
  s.epochs = 25;
  s.batch = 4;
  s.augment = false;
  s.learning_rate = 1e-2;
  s.prior = "gaussian:sigma=1";
  s.temperature = 1e-3;  // the prior term of 8 images would swamp the NLL
  auto cfg = tiny_config(false);
  set_input_normalisation(cfg, data);
  Classifier model(cfg, 8);
  std::vector<double> acc;
  train_classifier(model, data, s, 9, [&](const EpochSummary& e) { acc.push_back(e.train_accuracy); });
  ASSERT_EQ(acc.size(), 25u);
  for (double a : acc) {
    ASSERT_GE(a, 0.0);
    ASSERT_LE(a, 1.0);
    EXPECT_DOUBLE_EQ(a * 8, std::round(a * 8));
  }
  EXPECT_EQ(acc.back(), 1.0) << ::testing::PrintToString(acc);
  EXPECT_LT(acc.front(), 1.0) << ::testing::PrintToString(acc);
  EXPECT_TRUE(std::isnan(EpochSummary{}.train_accuracy));  // nothing counted: not a zero
}

TEST(ClassifierTraining, InputNormalisationIsThePixelMeanAndSpread) {
  LabelledImages d;
  d.height = d.width = 1;
  d.pixels = {1.0f, 3.0f};
  d.labels = {0, 1};
  ClassifierConfig c;
  set_input_normalisation(c, d);
  EXPECT_DOUBLE_EQ(c.input_mean, 2.0);
  EXPECT_DOUBLE_EQ(c.input_std, 1.0);
}

TEST(ClassifierTraining, BadSettingsNameTheQuantity) {
  auto message = [](const ClassifierTraining& s) {
    try {
      validate(s);
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  ClassifierTraining s;
  s.temperature = 0;
  EXPECT_NE(message(s).find("temperature must be > 0"), std::string::npos) << message(s);
  s = {};
  s.batch = 0;
  EXPECT_NE(message(s).find("minibatch size"), std::string::npos) << message(s);
  s = {};
  s.prior = "cauchy";
  EXPECT_NE(message(s).find("cauchy"), std::string::npos) << message(s);
  Classifier model(tiny_config(false), 1);
  EXPECT_THROW(train_classifier(model, LabelledImages{}, ClassifierTraining{}, 1), DataError);
}
