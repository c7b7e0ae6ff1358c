#include "src/pipelines/scaling_training.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>

#include "src/core/errors.hpp"
#include "src/core/log.hpp"
#include "src/core/rng.hpp"
#include "src/datasets/vote_dataset.hpp"
#include "src/io/hdf5_store.hpp"
#include "src/nn/dirichlet_loss.hpp"
#include "src/nn/encoder.hpp"
#include "src/pipelines/pretraining.hpp"

namespace penumbra {

namespace fs = std::filesystem;

namespace {

struct VotePool {
  PretrainData train;            // the largest data size; cell N takes its first N galaxies
  torch::Tensor heldout_images;  // [H, C, S, S]
  torch::Tensor heldout_votes;   // [H, A] float
};

// The grid must fit the file: its largest data size from the start, the held-out split at the end.
std::shared_ptr<const VotePool> load_pool(const ScalingStudyOptions& o) {
  if (!fs::exists(o.data)) throw MissingInputError(fmt::format("cannot open {}", o.data));
  const auto total = static_cast<std::int64_t>(Hdf5Store(o.data, Hdf5Store::Mode::kRead).shape("/votes").at(0));
  const std::int64_t largest = *std::max_element(o.data_sizes.begin(), o.data_sizes.end());
  if (largest + o.heldout > total)
    throw UsageError(fmt::format("data sizes: {} training galaxies and {} held out need {}, but {} holds {}", largest,
                                 o.heldout, largest + o.heldout, o.data, total));
  auto pool = std::make_shared<VotePool>();
  pool->train = read_pretrain_data(o.data, 0, largest, 0, 0);
  auto h = read_vote_dataset(o.data, total - o.heldout, o.heldout);
  pool->heldout_images = torch::from_blob(h.images.data(), {h.count, h.channels, h.size, h.size}).clone();
  pool->heldout_votes =
      torch::from_blob(h.votes.data(), {h.count, h.tree.answer_count()}, torch::kInt32).to(torch::kFloat32);
  log().info("scaling: {} training and {} held-out galaxies ({}x{}x{}) from {}", largest, o.heldout,
             pool->train.channels, pool->train.size, pool->train.size, o.data);
  return pool;
}

PretrainData first_galaxies(const PretrainData& d, std::int64_t n) {
  PretrainData c;
  const auto per = static_cast<std::size_t>(d.channels) * d.size * d.size;
  const auto answers = static_cast<std::size_t>(d.tree.answer_count());
  c.images.assign(d.images.begin(), d.images.begin() + static_cast<std::ptrdiff_t>(n * per));
  c.votes.assign(d.votes.begin(), d.votes.begin() + static_cast<std::ptrdiff_t>(n * answers));
  c.count = n, c.channels = d.channels, c.size = d.size, c.tree = d.tree;
  c.source = fmt::format("{} [0, {})", d.source, n);
  return c;
}

PretrainOptions cell_options(const ScalingStudyOptions& o, const ScalingCell& c, const fs::path& dir) {
  PretrainOptions p;
  p.method = "supervised";
  p.encoder.width = c.model_size;
  p.encoder.depth = o.depth;
  const std::int64_t batch = std::min<std::int64_t>(o.batch, c.data_size);
  p.batch = static_cast<int>(batch);
  p.steps = o.steps > 0 ? o.steps : o.epochs * ((c.data_size + batch - 1) / batch);
  p.lr = o.lr;
  p.checkpoint_every = static_cast<int>(std::max<std::int64_t>(1, p.steps / 5));
  p.resume = fs::exists(dir / "state" / "state.json");  // an interrupted cell continues exactly
  return p;
}

// Mean and standard error of the vote NLL per held-out galaxy (no augmentation).
std::pair<double, double> heldout_nll(Encoder& enc, MlpHead& head, const VotePool& pool) {
  torch::NoGradGuard no_grad;
  enc.set_train(false), head.set_train(false);
  std::vector<torch::Tensor> parts;
  const std::int64_t n = pool.heldout_images.size(0), b = 256;
  for (std::int64_t i = 0; i < n; i += b) {
    auto m = std::min(b, n - i);
    auto conc = concentrations_from_logits(head.forward(enc.forward(pool.heldout_images.narrow(0, i, m))));
    parts.push_back(dirichlet_multinomial_nll(conc, pool.heldout_votes.narrow(0, i, m), pool.train.tree));
  }
  auto nll = torch::cat(parts).to(torch::kFloat64);
  double se = n > 1 ? nll.std().item<double>() / std::sqrt(static_cast<double>(n)) : 0.0;
  return {nll.mean().item<double>(), se};
}

}  // namespace

ScalingCellTrainer vote_cell_trainer(const ScalingStudyOptions& o) {
  auto pool = load_pool(o);
  return [pool, o](const ScalingCell& c, const fs::path& dir) {
    auto t0 = std::chrono::steady_clock::now();
    const PretrainOptions po = cell_options(o, c, dir);
    if (po.resume) log().info("scaling: cell {} continues from its checkpoint", c.name());
    run_pretraining(po, first_galaxies(pool->train, c.data_size), c.seed(o.seed), dir);
    // The trained encoder and vote head back from the cell's folder (what pretrain wrote).
    auto enc = Encoder::load(dir);
    MlpHead head(enc->config().feature_dim(), 0, pool->train.tree.answer_count(), false, 0);
    head.load_weights(dir / "state" / "vote_head.pt");
    ScalingCellResult r;
    r.cell = c;
    r.steps = po.steps;
    std::tie(r.heldout_nll, r.heldout_nll_se) = heldout_nll(*enc, head, *pool);
    r.parameters = enc->parameter_count();
    for (auto& p : head.parameters()) r.parameters += p.numel();
    r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
  };
}

}  // namespace penumbra
