#include "src/pipelines/pretraining.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <sstream>

#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/progress.hpp"
#include "src/core/rng.hpp"
#include "src/core/run_folder.hpp"
#include "src/datasets/image_catalogue.hpp"
#include "src/datasets/vote_dataset.hpp"
#include "src/io/png.hpp"
#include "src/nn/dirichlet_loss.hpp"

namespace penumbra {

namespace {

std::string without_suffix(const std::string& name, const std::string& suffix) {
  const bool has = name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  return has ? name.substr(0, name.size() - suffix.size()) : "";
}

// Tree answer of each catalogue vote column, and whether it holds fractions.
std::vector<std::pair<int, bool>> vote_answers(const CatalogueImages& cat, const VoteTree& tree,
                                               const std::string& csv) {
  std::vector<std::pair<int, bool>> out;
  std::vector<int> kind(tree.questions().size(), -1);  // per question: 0 counts, 1 fractions
  for (const auto& col : cat.vote_columns) {
    const std::string answer = without_suffix(col, "_fraction");
    const int a = tree.find_answer(answer.empty() ? col : answer);
    if (a < 0)
      throw DataError(fmt::format("{}: vote column '{}' is no answer of the tree '{}' (expected question_answer or "
                                  "question_answer_fraction)", csv, col, tree.name()));
    const int q = tree.question_of_answer(a), fraction = answer.empty() ? 0 : 1;
    if (kind[q] >= 0 && kind[q] != fraction)
      throw DataError(fmt::format("{}: vote column '{}' mixes counts and fractions in question '{}'", csv, col,
                                  tree.questions()[q].name));
    kind[q] = fraction;
    out.push_back({a, fraction == 1});
  }
  return out;
}

// Row r's votes over the tree's answers; questions not fully given count as unknown.
std::vector<std::int32_t> row_votes(const CatalogueImages& cat, std::int64_t r,
                                    const std::vector<std::pair<int, bool>>& answers, const VoteTree& tree,
                                    int assumed_total) {
  const std::size_t V = answers.size();
  std::vector<double> value(tree.answer_count(), NAN);
  std::vector<bool> fraction(tree.answer_count(), false);
  for (std::size_t j = 0; j < V; ++j) {
    value[answers[j].first] = cat.votes[r * V + j];
    fraction[answers[j].first] = answers[j].second;
  }
  std::vector<double> fractions(tree.answer_count(), NAN);
  std::vector<std::int32_t> counts(tree.answer_count(), 0);
  for (const auto& q : tree.questions()) {
    const int k = static_cast<int>(q.answers.size()), a0 = q.first_answer;
    int missing = -1, n_missing = 0;
    bool fractions_given = false;
    double sum = 0;
    for (int i = 0; i < k; ++i) {
      if (std::isfinite(value[a0 + i])) {
        sum += value[a0 + i];
        fractions_given = fraction[a0 + i];
      } else {
        missing = a0 + i, ++n_missing;
      }
    }
    if (n_missing == k) continue;
    if (fractions_given) {
      if (n_missing > 1) continue;
      for (int i = 0; i < k; ++i) fractions[a0 + i] = value[a0 + i];
      if (n_missing == 1) fractions[missing] = std::max(0.0, 1.0 - sum);
    } else if (n_missing == 0) {
      for (int i = 0; i < k; ++i) counts[a0 + i] = static_cast<std::int32_t>(value[a0 + i]);
    }
  }
  if (assumed_total > 0) {
    auto from_fractions = counts_from_fractions(fractions, assumed_total, tree);
    for (int a = 0; a < tree.answer_count(); ++a) counts[a] += from_fractions[a];
  }
  return counts;
}

}  // namespace

PretrainData read_pretrain_data(const std::string& spec, std::int64_t first, std::int64_t count, int size,
                                int channels, const CatalogueVoteOptions& votes) {
  PretrainData d;
  d.source = spec;
  if (spec.rfind("catalogue:", 0) == 0) {
    CatalogueOptions opt;
    opt.size = size, opt.channels = channels, opt.vote_columns = votes.columns;
    auto cat = load_catalogue(spec.substr(10), opt);
    const std::int64_t end = count < 0 ? cat.count : std::min(cat.count, first + count);
    const std::size_t per = static_cast<std::size_t>(cat.channels) * cat.size * cat.size;
    if (first < 0 || first >= end) throw UsageError(fmt::format("first {} leaves no images of {}", first, cat.count));
    d.images.assign(cat.images.begin() + first * per, cat.images.begin() + end * per);
    d.count = end - first, d.channels = cat.channels, d.size = cat.size;
    if (votes.columns.empty()) return d;
    d.tree = votes.tree.empty() ? VoteTree::decals() : VoteTree::load(votes.tree);
    const auto answers = vote_answers(cat, d.tree, spec.substr(10));
    const bool fractions = std::any_of(answers.begin(), answers.end(), [](const auto& a) { return a.second; });
    if (fractions && votes.assumed_total < 1)
      throw UsageError("assumed total must be given (≥ 1) for vote fractions: the votes per question they stand for");
    for (std::int64_t r = first; r < end; ++r) {
      auto row = row_votes(cat, r, answers, d.tree, fractions ? votes.assumed_total : 0);
      d.votes.insert(d.votes.end(), row.begin(), row.end());
    }
    return d;
  }
  auto v = read_vote_dataset(spec, first, count);
  d.images = std::move(v.images), d.votes = std::move(v.votes), d.tree = std::move(v.tree);
  d.count = v.count, d.channels = v.channels, d.size = v.size;
  return d;
}

void PretrainOptions::validate() const {
  require_in("method", method, {"supervised", "byol", "hybrid"});
  penumbra::validate(byol);
  penumbra::validate(views);
  require_non_negative("lambda", lambda);
  require_in_range("vote fraction", vote_fraction, 0.0, 1.0);
  require_at_least("steps", steps, std::int64_t{1});
  require_at_least("batch", batch, 4);
  require_positive("lr", lr);
  require_non_negative("weight decay", weight_decay);
  require_at_least("checkpoint every", checkpoint_every, 1);
  require_in_range("width", encoder.width, 4, 64);
  require_in_range("depth", encoder.depth, 1, 4);
  require_in_range("stages", encoder.stages, 3, 4);
}

void check_pretrain_data(const PretrainOptions& o, const PretrainData& d) {
  if (o.method != "byol" && !d.has_votes())
    throw DataError(fmt::format("{}: no votes; `pretrain {}` needs a gz-votes file or a catalogue with "
                                "--vote-columns (byol takes images alone)", d.source, o.method));
}

namespace {

struct Trainer {
  const PretrainOptions& o;
  const PretrainData& d;
  std::uint64_t seed;
  std::filesystem::path out;
  std::unique_ptr<Encoder> encoder;
  std::unique_ptr<Byol> byol;
  std::unique_ptr<MlpHead> vote_head;
  std::unique_ptr<torch::optim::Adam> opt;
  torch::Tensor images, counts;
  std::int64_t step = 0;
  std::string log = "step,loss,byol,vote,tau\n";
  bool uses_byol() const { return o.method != "supervised"; }
  bool uses_votes() const { return o.method != "byol"; }
};

nlohmann::json fingerprint(const Trainer& t) {
  const auto& o = t.o;
  return {{"method", o.method},
          {"encoder", t.encoder->config().to_json()},
          {"byol", {o.byol.hidden, o.byol.projection, o.byol.tau_base}},
          {"views", {o.views.rotate, o.views.flip, o.views.min_scale, o.views.blur, o.views.jitter, o.views.noise}},
          {"lambda", o.lambda},
          {"vote_fraction", o.vote_fraction},
          {"batch", o.batch},
          {"lr", o.lr},
          {"weight_decay", o.weight_decay},
          {"data", t.d.source},
          {"images", t.d.count}};
}

void build(Trainer& t) {
  const auto& d = t.d;
  check_pretrain_data(t.o, d);
  t.images = torch::from_blob(const_cast<float*>(d.images.data()), {d.count, d.channels, d.size, d.size});
  EncoderConfig c = t.o.encoder;
  c.channels = d.channels, c.image_size = d.size;
  std::tie(c.input_mean, c.input_std) = channel_statistics(t.images);
  t.encoder = std::make_unique<Encoder>(c, derive_seed(t.seed, 1));
  std::vector<torch::Tensor> params = t.encoder->parameters();
  if (t.uses_byol()) {
    t.byol = std::make_unique<Byol>(*t.encoder, t.o.byol, derive_seed(t.seed, 2));
    for (auto& p : t.byol->parameters()) params.push_back(p);
  }
  if (t.uses_votes()) {
    const int a = d.tree.answer_count();
    t.vote_head = std::make_unique<MlpHead>(c.feature_dim(), 0, a, false, derive_seed(t.seed, 3));
    for (auto& p : t.vote_head->parameters()) params.push_back(p);
    t.counts = torch::tensor(std::vector<float>(d.votes.begin(), d.votes.end())).reshape({d.count, a});
    // Images past the vote fraction are treated as unlabelled: no question has votes.
    const auto voted = static_cast<std::int64_t>(std::llround(t.o.vote_fraction * d.count));
    t.counts.slice(0, voted).zero_();
  }
  t.opt = std::make_unique<torch::optim::Adam>(
      params, torch::optim::AdamOptions(t.o.lr).weight_decay(t.o.weight_decay));
}

void save_checkpoint(Trainer& t) {
  auto state = t.out / "state";
  std::filesystem::create_directories(state);
  if (t.byol) t.byol->save(state);
  if (t.vote_head) t.vote_head->save_weights(state / "vote_head.pt");
  torch::serialize::OutputArchive ar;
  t.opt->save(ar);
  write_atomic(state / "optimizer.pt", [&](const std::filesystem::path& tmp) { ar.save_to(tmp.string()); });
  t.encoder->save(t.out, {{"method", t.o.method}, {"steps", t.step}, {"data", t.d.source},
                          {"images", t.d.count}, {"lambda", t.o.lambda}});
  write_text_atomic(t.out / "loss.csv", t.log);
  // state.json last: it names a step only when every file of that step is written.
  write_text_atomic(state / "state.json", nlohmann::json{{"step", t.step}, {"fingerprint", fingerprint(t)}}.dump(2));
}

void load_checkpoint(Trainer& t) {
  auto state = t.out / "state";
  if (!std::filesystem::exists(state / "state.json"))
    throw MissingInputError(fmt::format("{}: nothing to resume (no state/state.json)", t.out.string()));
  auto j = nlohmann::json::parse(read_text(state / "state.json"));
  t.encoder->load_weights(t.out / "encoder.pt");
  if (j.at("fingerprint") != fingerprint(t))
    throw DataError(fmt::format("{}: the checkpoint was made with other settings ({}); resume with the same ones",
                                t.out.string(), j.at("fingerprint").dump()));
  t.step = j.at("step").get<std::int64_t>();
  if (t.byol) t.byol->load(state);
  if (t.vote_head) t.vote_head->load_weights(state / "vote_head.pt");
  torch::serialize::InputArchive ar;
  ar.load_from((state / "optimizer.pt").string());
  t.opt->load(ar);
  // Keep the loss rows up to the checkpoint's step.
  std::istringstream in(read_text(t.out / "loss.csv"));
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line))
    if (std::stoll(line.substr(0, line.find(','))) <= t.step) t.log += line + "\n";
}

torch::Tensor batch_indices(const Trainer& t) {
  auto rng = make_rng(t.seed, 0xBA7C0000ull + static_cast<std::uint64_t>(t.step));
  std::uniform_int_distribution<std::int64_t> U(0, t.d.count - 1);
  std::vector<std::int64_t> idx(t.o.batch);
  for (auto& i : idx) i = U(rng);
  return torch::tensor(idx);
}

// Mean vote NLL over the batch's galaxies that have any votes (0 when none has).
torch::Tensor vote_loss(Trainer& t, const torch::Tensor& features, const torch::Tensor& idx) {
  auto counts = t.counts.index_select(0, idx);
  auto nll = dirichlet_multinomial_nll(concentrations_from_logits(t.vote_head->forward(features)), counts, t.d.tree);
  auto voted = (counts.sum(1) > 0).to(torch::kFloat32);
  return (nll * voted).sum() / voted.sum().clamp_min(1.0);
}

double train_step(Trainer& t, double& byol_part, double& vote_part, double& tau) {
  auto idx = batch_indices(t);
  auto x = t.images.index_select(0, idx);
  auto v1 = random_views(x, t.o.views, derive_seed(t.seed, 2 * t.step + 10));
  torch::Tensor loss = torch::zeros({}), features;
  if (t.byol) {
    auto v2 = random_views(x, t.o.views, derive_seed(t.seed, 2 * t.step + 11));
    auto s = t.byol->loss(v1, v2);
    loss = s.loss, features = s.features1;
    byol_part = s.loss.item<double>();
  } else {
    features = t.encoder->forward(v1);
  }
  if (t.vote_head) {
    auto v = vote_loss(t, features, idx);
    vote_part = v.item<double>();
    loss = t.byol ? loss + t.o.lambda * v : v;
  }
  t.opt->zero_grad();
  loss.backward();
  t.opt->step();
  if (t.byol) {
    tau = byol_tau(t.o.byol.tau_base, t.step, t.o.steps);
    t.byol->update_target(tau);
  }
  return loss.item<double>();
}

void write_loss_png(const Trainer& t) {
  Series s{{}, {}, "loss"};
  std::istringstream in(t.log);
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    auto comma = line.find(',');
    s.x.push_back(std::stod(line.substr(0, comma)));
    s.y.push_back(std::stod(line.substr(comma + 1, line.find(',', comma + 1) - comma - 1)));
  }
  if (s.x.empty()) return;
  LinePlot plot;
  plot.title = fmt::format("pretrain {}: loss", t.o.method), plot.xlabel = "step", plot.ylabel = "loss";
  write_line_plot_png(t.out / "loss.png", {s}, plot);
}

}  // namespace

PretrainResult run_pretraining(const PretrainOptions& o, const PretrainData& data, std::uint64_t seed,
                               const std::filesystem::path& out) {
  o.validate();
  const auto start = std::chrono::steady_clock::now();
  Trainer t{o, data, seed, out};
  build(t);
  if (o.resume) load_checkpoint(t);
  PretrainResult r;
  r.start_step = t.step;
  r.encoder_parameters = t.encoder->parameter_count();
  t.encoder->set_train(true);
  if (t.byol) t.byol->set_train(true);
  Progress progress(fmt::format("pretrain {}", o.method), o.steps, "step");
  progress.set_done(t.step);
  double loss = std::nan("");
  while (t.step < o.steps) {
    double b = std::nan(""), v = std::nan(""), tau = std::nan("");
    loss = train_step(t, b, v, tau);
    ++t.step;
    t.log += fmt::format("{},{:.6g},{:.6g},{:.6g},{:.6f}\n", t.step, loss, b, v, tau);
    progress.tick(1, fmt::format("loss {:.4g}", loss));
    if (t.step % o.checkpoint_every == 0 || t.step == o.steps) save_checkpoint(t);
  }
  progress.finish();
  if (r.start_step == o.steps) save_checkpoint(t);
  write_loss_png(t);
  r.steps = t.step;
  r.final_loss = loss;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace penumbra
