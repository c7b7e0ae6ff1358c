#include "src/pipelines/finetuning.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/progress.hpp"
#include "src/core/rng.hpp"
#include "src/core/run_folder.hpp"
#include "src/datasets/image_catalogue.hpp"
#include "src/datasets/image_resize.hpp"
#include "src/datasets/labelled_images.hpp"
#include "src/datasets/mirabest.hpp"
#include "src/diagnostics/calibration.hpp"
#include "src/io/png.hpp"
#include "src/nn/byol.hpp"
#include "src/semantics/tag_evaluation.hpp"

namespace penumbra {

namespace {

DownstreamData read_mirabest_downstream(const std::filesystem::path& dir, int size, int channels, double crop) {
  auto mb = read_mirabest(dir, MiraBestSubset::kConfident);
  DownstreamData d;
  d.count = static_cast<std::int64_t>(mb.size());
  d.channels = channels, d.size = size, d.labels = mb.labels;
  const std::size_t plane = static_cast<std::size_t>(size) * size;
  d.images.resize(d.count * channels * plane);
  for (std::int64_t i = 0; i < d.count; ++i) {
    auto img = crop_resize(mb.image(i), mb.height, mb.width, crop, size);
    for (int c = 0; c < channels; ++c) std::copy(img.begin(), img.end(), d.images.begin() + (i * channels + c) * plane);
  }
  return d;
}

}  // namespace

DownstreamData read_downstream(const std::string& spec, const std::string& label_column, int size, int channels,
                               double crop) {
  DownstreamData d;
  if (spec.rfind("catalogue:", 0) == 0) {
    CatalogueOptions opt;
    opt.size = size, opt.crop = crop, opt.channels = channels, opt.label_column = label_column;
    auto cat = load_catalogue(spec.substr(10), opt);
    for (std::size_t i = 0; i < cat.labels.size(); ++i)
      if (cat.labels[i] < 0)
        throw DataError(fmt::format("{}: image '{}' has no '{}' label", spec.substr(10), cat.ids[i], label_column));
    d.images = std::move(cat.images), d.count = cat.count, d.channels = cat.channels, d.size = cat.size;
    d.labels = std::move(cat.labels);
  } else if (spec.rfind("mirabest:", 0) == 0) {
    d = read_mirabest_downstream(spec.substr(9), size, channels, crop);
  } else {
    throw UsageError(fmt::format("data source '{}' unknown; expected catalogue:CSV or mirabest:DIR", spec));
  }
  d.source = spec;
  return d;
}

void FinetuneOptions::validate() const {
  require_in("head", head, {"linear", "mlp"});
  require_at_least("head hidden", head_hidden, 1);
  require_at_least("folds", folds, 2);
  require_at_least("steps", steps, 1);
  require_at_least("batch", batch, 2);
  require_positive("lr", lr);
  require_non_negative("weight decay", weight_decay);
  if (labels.empty()) throw UsageError("labels must list at least one label count");
  for (int n : labels) require_at_least("labels", n, 2);
  if (encoder == "scratch") check_encoder_config(scratch);
  if (input_size != 0) require_at_least("size", input_size, 8);
}

std::vector<int> stratified_fold_index(const std::vector<int>& labels, int folds, std::uint64_t seed) {
  std::vector<int> fold(labels.size(), 0);
  const int classes = labels.empty() ? 0 : *std::max_element(labels.begin(), labels.end()) + 1;
  auto order = seeded_permutation(labels.size(), seed, 0xF01D);
  std::vector<int> seen(classes, 0);
  for (std::size_t i : order) fold[i] = seen[labels[i]]++ % folds;
  return fold;
}

std::vector<std::size_t> stratified_draw(const std::vector<std::size_t>& pool, const std::vector<int>& labels, int n,
                                         std::uint64_t seed) {
  if (n >= static_cast<int>(pool.size())) return pool;
  std::vector<std::vector<std::size_t>> by_class;
  for (std::size_t k : seeded_permutation(pool.size(), seed, 0xD7A3)) {
    const std::size_t i = pool[k];
    if (labels[i] >= static_cast<int>(by_class.size())) by_class.resize(labels[i] + 1);
    by_class[labels[i]].push_back(i);
  }
  // Largest remainder: floor of each class's share, the rest to the largest fractions.
  std::vector<int> take(by_class.size());
  std::vector<std::pair<double, int>> rest;
  int taken = 0;
  for (std::size_t c = 0; c < by_class.size(); ++c) {
    const double share = static_cast<double>(n) * by_class[c].size() / pool.size();
    take[c] = static_cast<int>(std::floor(share));
    taken += take[c];
    rest.push_back({share - take[c], -static_cast<int>(c)});
  }
  std::sort(rest.rbegin(), rest.rend());
  for (int k = 0; taken < n; ++k, ++taken) take[-rest[k].second]++;
  std::vector<std::size_t> out;
  for (std::size_t c = 0; c < by_class.size(); ++c) out.insert(out.end(), by_class[c].begin(), by_class[c].begin() + take[c]);
  return out;
}

namespace {

struct Prepared {
  torch::Tensor images, labels, features;  // features: frozen runs only
  std::unique_ptr<Encoder> base;           // null: scratch (built per fold)
  EncoderConfig config;
  std::vector<double> mean, std;
};

torch::Tensor features_of(Encoder& e, const torch::Tensor& images) {
  torch::NoGradGuard no_grad;
  e.set_train(false);
  std::vector<torch::Tensor> parts;
  for (std::int64_t i = 0; i < images.size(0); i += 128) parts.push_back(e.forward(images.slice(0, i, i + 128)));
  return torch::cat(parts);
}

Prepared prepare(const FinetuneOptions& o, const DownstreamData& d) {
  Prepared p;
  p.images = torch::from_blob(const_cast<float*>(d.images.data()), {d.count, d.channels, d.size, d.size}).clone();
  p.labels = torch::tensor(std::vector<std::int64_t>(d.labels.begin(), d.labels.end()));
  std::tie(p.mean, p.std) = channel_statistics(p.images);
  if (o.encoder != "scratch") {
    p.base = Encoder::load(o.encoder);
    p.base->set_input_normalisation(p.mean, p.std);
    if (o.input_size > 0) p.base->set_image_size(o.input_size);
    p.config = p.base->config();
  } else {
    p.config = o.scratch;
    p.config.channels = d.channels, p.config.image_size = d.size;
    p.config.input_mean = p.mean, p.config.input_std = p.std;
  }
  if (p.config.channels != d.channels || p.config.image_size != d.size)
    throw DataError(fmt::format("the encoder takes {} channel(s) of {}² px; the data {} are {} channel(s) of {}² px",
                                p.config.channels, p.config.image_size, d.source, d.channels, d.size));
  if (o.freeze) {
    Encoder scratch(p.config, 0);
    p.features = features_of(p.base ? *p.base : scratch, p.images);
  }
  return p;
}

torch::Tensor index(const torch::Tensor& t, const std::vector<std::size_t>& idx) {
  return t.index_select(0, torch::tensor(std::vector<std::int64_t>(idx.begin(), idx.end())));
}

// Trains one model on `train` and returns P(class 1) of every `test` image.
std::vector<double> train_fold(const FinetuneOptions& o, Prepared& p, const std::vector<std::size_t>& train,
                               const std::vector<std::size_t>& test, std::uint64_t seed) {
  std::unique_ptr<Encoder> enc;
  if (!o.freeze) enc = p.base ? p.base->clone() : std::make_unique<Encoder>(p.config, derive_seed(seed, 1));
  const auto f = p.config.feature_dim();
  MlpHead head(f, o.head == "mlp" ? o.head_hidden : 0, 2, false, derive_seed(seed, 2));
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(head.parameters(), std::make_unique<torch::optim::AdamOptions>(o.lr));
  if (enc)
    groups.emplace_back(enc->parameters(),
                        std::make_unique<torch::optim::AdamOptions>(p.base ? o.lr / 10 : o.lr));
  for (auto& g : groups) static_cast<torch::optim::AdamOptions&>(g.options()).weight_decay(o.weight_decay);
  torch::optim::Adam opt(std::move(groups));
  const auto x_train = enc ? index(p.images, train) : index(p.features, train);
  const auto y_train = index(p.labels, train);
  const std::int64_t n = static_cast<std::int64_t>(train.size()), b = std::min<std::int64_t>(o.batch, n);
  ViewOptions views;
  views.min_scale = 0.85, views.blur = 0, views.jitter = 0, views.noise = 0;
  head.set_train(true);
  if (enc) enc->set_train(true);
  std::vector<std::size_t> order;
  for (int step = 0, at = 0; step < o.steps; ++step, at += b) {
    if (order.empty() || at + b > n) order = seeded_permutation(n, seed, 100 + step), at = 0;
    std::vector<std::size_t> batch(order.begin() + at, order.begin() + at + b);
    auto x = index(x_train, batch);
    if (enc) x = enc->forward(random_views(x, views, derive_seed(seed, 1000 + step)));
    auto loss = torch::nn::functional::cross_entropy(head.forward(x), index(y_train, batch));
    opt.zero_grad();
    loss.backward();
    opt.step();
  }
  torch::NoGradGuard no_grad;
  head.set_train(false);
  auto feats = enc ? features_of(*enc, index(p.images, test)) : index(p.features, test);
  auto prob = torch::softmax(head.forward(feats), 1).select(1, 1).to(torch::kFloat64).contiguous();
  return std::vector<double>(prob.data_ptr<double>(), prob.data_ptr<double>() + prob.numel());
}

FinetunePoint pooled_point(int labels, int used, const std::vector<double>& p1, const std::vector<int>& y,
                           const std::vector<double>& fold_accuracy) {
  FinetunePoint pt;
  pt.labels = labels, pt.labels_used = used;
  std::vector<double> probs;
  for (double p : p1) probs.push_back(1 - p), probs.push_back(p);
  auto report = calibration_report(probs, 1, static_cast<std::int64_t>(y.size()), 2, y);
  pt.accuracy = report.accuracy, pt.ece = report.ece, pt.nll = report.nll;
  Eigen::VectorXd score = Eigen::Map<const Eigen::VectorXd>(p1.data(), p1.size());
  Eigen::VectorXi truth = Eigen::Map<const Eigen::VectorXi>(y.data(), y.size());
  pt.auc = semantics::roc_auc(score, truth);
  double m = 0, v = 0;
  for (double a : fold_accuracy) m += a / fold_accuracy.size();
  for (double a : fold_accuracy) v += (a - m) * (a - m) / std::max<std::size_t>(1, fold_accuracy.size() - 1);
  pt.accuracy_sd = std::sqrt(v);
  return pt;
}

void write_outputs(const FinetuneOptions& o, const FinetuneResult& r, const std::filesystem::path& out) {
  std::string rows = "labels,labels_used,fold,n_test,accuracy\n", curve = "labels,labels_used,accuracy,accuracy_sd,auc,ece,nll\n";
  for (const auto& w : r.rows)
    rows += fmt::format("{},{},{},{},{:.6f}\n", w.labels, w.labels_used, w.fold, w.n_test, w.accuracy);
  nlohmann::json points = nlohmann::json::array();
  Series acc{{}, {}, "accuracy"}, auc{{}, {}, "ROC AUC"}, ece{{}, {}, "ECE", true};
  for (const auto& p : r.curve) {
    curve += fmt::format("{},{},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f}\n", p.labels, p.labels_used, p.accuracy,
                         p.accuracy_sd, p.auc, p.ece, p.nll);
    points.push_back({{"labels", p.labels}, {"labels_used", p.labels_used}, {"accuracy", p.accuracy},
                      {"accuracy_sd", p.accuracy_sd}, {"auc", p.auc}, {"ece", p.ece}, {"nll", p.nll}});
    for (auto* s : {&acc, &auc, &ece}) s->x.push_back(p.labels_used);
    acc.y.push_back(p.accuracy), auc.y.push_back(p.auc), ece.y.push_back(p.ece);
  }
  write_text_atomic(out / "finetune.csv", rows);
  write_text_atomic(out / "curve.csv", curve);
  nlohmann::json j = {{"encoder", o.encoder}, {"description", r.encoder_description},
                      {"encoder_parameters", r.encoder_parameters}, {"head", o.head}, {"freeze", o.freeze},
                      {"folds", o.folds}, {"steps", o.steps}, {"batch", o.batch}, {"lr", o.lr},
                      {"seconds", r.seconds}, {"curve", points}};
  write_text_atomic(out / "finetune.json", j.dump(2) + "\n");
  LinePlot plot;
  plot.title = fmt::format("label efficiency: {}", r.encoder_description);
  plot.xlabel = "labels used", plot.ylabel = "accuracy, ROC AUC, ECE (dashed)", plot.logx = true;
  plot.ymin = 0.0, plot.ymax = 1.0;
  write_line_plot_png(out / "label_efficiency.png", {acc, auc, ece}, plot);
}

std::string describe(const FinetuneOptions& o, const Prepared& p) {
  const auto& c = p.config;
  std::string arch = fmt::format("resnet w{} d{} s{} at {}²", c.width, c.depth, c.stages, c.image_size);
  std::string how = o.encoder == "scratch" ? "scratch" : p.base->trained_by().value("method", std::string("pretrained"));
  return fmt::format("{} {}, {} head, {}", how, arch, o.head, o.freeze ? "frozen" : "fine-tuned");
}

}  // namespace

FinetuneResult run_finetuning(const FinetuneOptions& o, const DownstreamData& d, std::uint64_t seed,
                              const std::filesystem::path& out,
                              const std::function<void(const FinetunePoint&)>& on_point) {
  o.validate();
  const auto start = std::chrono::steady_clock::now();
  for (int c = 0; c < 2; ++c)
    if (std::count(d.labels.begin(), d.labels.end(), c) < o.folds)
      throw DataError(fmt::format("{}: class {} has fewer images than the {} folds", d.source, c, o.folds));
  Prepared p = prepare(o, d);
  FinetuneResult r;
  r.encoder_description = describe(o, p);
  r.encoder_parameters = Encoder(p.config, 0).parameter_count();
  auto fold = stratified_fold_index(d.labels, o.folds, seed);
  Progress progress("finetune", static_cast<std::int64_t>(o.labels.size()) * o.folds, "model");
  for (int n : o.labels) {
    std::vector<double> p1(d.count, 0.0), fold_accuracy;
    int used = 0;
    for (int k = 0; k < o.folds; ++k) {
      std::vector<std::size_t> pool, test;
      for (std::int64_t i = 0; i < d.count; ++i) (fold[i] == k ? test : pool).push_back(i);
      auto train = stratified_draw(pool, d.labels, n, derive_seed(seed, 31 * n + k));
      auto pk = train_fold(o, p, train, test, derive_seed(seed, 7919 * n + k));
      int right = 0;
      for (std::size_t t = 0; t < test.size(); ++t) {
        p1[test[t]] = pk[t];
        right += (pk[t] >= 0.5) == (d.labels[test[t]] == 1);
      }
      used = static_cast<int>(train.size());
      fold_accuracy.push_back(static_cast<double>(right) / test.size());
      r.rows.push_back({n, used, k, static_cast<std::int64_t>(test.size()), fold_accuracy.back()});
      progress.tick(1, fmt::format("labels {} fold {}", n, k));
    }
    r.curve.push_back(pooled_point(n, used, p1, d.labels, fold_accuracy));
    if (on_point) on_point(r.curve.back());
  }
  progress.finish();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::filesystem::create_directories(out);
  write_outputs(o, r, out);
  return r;
}

}  // namespace penumbra
