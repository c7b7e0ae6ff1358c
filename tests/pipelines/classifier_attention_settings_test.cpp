// The attention-gate choices in a training's fingerprint and model config:
// a fold saved before they existed (sigmoid, concat) still matches, a softmax
// or mean run does not match it, and the choices reach the model's config.
#include <gtest/gtest.h>

#include "src/core/errors.hpp"
#include "src/pipelines/classifier_data.hpp"
#include "src/pipelines/classifier_study.hpp"

using namespace penumbra;

TEST(ClassifierAttentionSettings, FingerprintAndConfigCarryTheChoices) {
  ClassifierTrainOptions t;
  t.backbone = "attention";
  ClassifierDataOptions d;
  const auto plain = train_settings(t, d);
  EXPECT_FALSE(plain.contains("attention_gate"));
  EXPECT_FALSE(plain.contains("attention_aggregation"));
  t.attention_gate = "sigmoid";  // the default named: the same fingerprint
  t.attention_aggregation = "concat";
  EXPECT_EQ(train_settings(t, d), plain);
  t.attention_gate = "softmax";
  t.attention_aggregation = "mean";
  const auto chosen = train_settings(t, d);
  EXPECT_EQ(chosen.at("attention_gate"), "softmax");
  EXPECT_EQ(chosen.at("attention_aggregation"), "mean");
  EXPECT_NE(model_settings(chosen), model_settings(plain));

  LabelledImages imgs;
  imgs.height = imgs.width = 24;
  imgs.class_names = {"FRI", "FRII"};
  imgs.labels = {0, 1};
  imgs.pixels.assign(2 * 24 * 24, 0.5f);
  const auto cfg = member_config(t, d, imgs, imgs, 1, 1);
  EXPECT_EQ(cfg.attention_gate, "softmax");
  EXPECT_EQ(cfg.attention_aggregation, "mean");
  const auto back = ClassifierConfig::from_json(cfg.to_json(), "test");
  EXPECT_EQ(back.attention_gate, "softmax");
  EXPECT_EQ(back.attention_aggregation, "mean");

  t.backbone = "lenet";
  EXPECT_THROW(validate(t), UsageError);
}
