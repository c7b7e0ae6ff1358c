// A classifier's forward on a shard of a global batch (data-parallel training,
// src/nn/training.hpp): the rows of a one-process forward, with the random
// generator left where the whole batch leaves it.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "src/nn/classifier.hpp"

using namespace penumbra;

TEST(DataParallelClassifier, AShardSeesItsRowsOfTheWholeBatchsNoise) {
  ClassifierConfig cfg;
  cfg.backbone = "attention";
  cfg.image_size = 24;
  Classifier model(cfg, 5);
  model.set_train(true);
  model.set_sampling(true);
  const auto x = torch::rand({7, 24, 24});
  torch::manual_seed(11);
  const auto whole = model.forward(x);
  const auto after_whole = torch::rand({4});
  torch::manual_seed(11);
  model.set_batch_shard(2, 7);
  const auto shard = model.forward(x.slice(0, 2, 5));
  EXPECT_TRUE(torch::allclose(shard, whole.slice(0, 2, 5), 1e-5, 1e-6));
  EXPECT_TRUE(torch::equal(torch::rand({4}), after_whole)) << "the shard's forward drew other numbers";
  torch::manual_seed(11);
  model.set_batch_shard(0, 0);  // whole batches again: the shard's own noise, unlike the rows above
  EXPECT_FALSE(torch::allclose(model.forward(x.slice(0, 2, 5)), whole.slice(0, 2, 5), 1e-5, 1e-6));
}
