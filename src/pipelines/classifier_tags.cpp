#include "src/pipelines/classifier_tags.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include <Eigen/Core>
#include <charconv>
#include <cmath>
#include <set>

#include "src/core/errors.hpp"
#include "src/core/log.hpp"
#include "src/core/rng.hpp"
#include "src/core/run_folder.hpp"
#include "src/datasets/radio_galaxy_generator.hpp"
#include "src/semantics/csv_table.hpp"
#include "src/semantics/tag_evaluation.hpp"

namespace penumbra {

namespace fs = std::filesystem;

namespace {

float parse_cell(const std::string& cell, const std::string& source, const std::string& id, const std::string& tag) {
  double v = 0;
  const auto* end = cell.data() + cell.size();
  auto [p, ec] = std::from_chars(cell.data(), end, v);
  if (ec != std::errc() || p != end || !std::isfinite(v))
    throw DataError(fmt::format("{}: tag '{}' of '{}' is '{}', not a number (counts or 0/1)", source, tag, id, cell));
  return v > 0 ? 1.0f : 0.0f;
}

}  // namespace

TagTable read_tag_table(const fs::path& path) {
  const auto csv = semantics::read_csv(path);
  TagTable t;
  t.source = path.string();
  if (csv.header.size() < 2)
    throw DataError(fmt::format("{}: no tag columns (expected an id column, then one column per tag)", t.source));
  t.tags.assign(csv.header.begin() + 1, csv.header.end());
  for (const auto& row : csv.rows) {
    std::vector<float> v;
    for (std::size_t j = 1; j < row.size(); ++j) v.push_back(parse_cell(row[j], t.source, row[0], t.tags[j - 1]));
    if (!t.rows.emplace(row[0], std::move(v)).second)
      throw DataError(fmt::format("{}: id '{}' appears twice", t.source, row[0]));
  }
  return t;
}

TagTable synthetic_tag_table(const ClassifierDataOptions& d, std::uint64_t seed) {
  // The same seed, options and order as read_labelled_images: image i's components.
  RadioGalaxyOptions o;
  o.size = d.synthetic_size;
  const auto image_seed = derive_seed(seed, 0xDA7A);
  TagTable t{"synthetic", radio_galaxy_tag_names(), {}};
  std::vector<float> scratch(static_cast<std::size_t>(o.size) * o.size);
  for (int i = 0; i < d.n_synthetic; ++i) {
    const auto c = render_radio_galaxy(scratch.data(), i % 2, image_seed, static_cast<std::uint64_t>(i), o);
    std::vector<float> v;
    for (bool b : radio_galaxy_tags(c)) v.push_back(b ? 1.0f : 0.0f);
    t.rows.emplace(fmt::format("synthetic-{}", i), std::move(v));
  }
  return t;
}

TagTable tag_table(const std::string& targets, const ClassifierDataOptions& d, std::uint64_t seed) {
  if (targets == "synthetic") {
    if (d.data != "synthetic") throw UsageError("tag targets 'synthetic' need the synthetic data set");
    return synthetic_tag_table(d, seed);
  }
  return read_tag_table(targets);
}

void write_tag_table(const fs::path& path, const TagTable& t) {
  std::string text = "id";
  for (const auto& tag : t.tags) text += "," + semantics::csv_field(tag);
  text += '\n';
  for (const auto& [id, v] : t.rows) {
    text += semantics::csv_field(id);
    for (float x : v) text += x > 0 ? ",1" : ",0";
    text += '\n';
  }
  write_text_atomic(path, text);
}

MultiLabelTargets tag_targets_for(const TagTable& table, const LabelledImages& images, const std::string& side,
                                  bool require_each_tag) {
  const int T = static_cast<int>(table.tags.size());
  MultiLabelTargets out{T, {}};
  std::size_t missing = 0;
  std::string first_missing;
  for (std::size_t i = 0; i < images.size(); ++i) {
    const std::string id = i < images.ids.size() ? images.ids[i] : std::to_string(i);
    auto it = table.rows.find(id);
    if (it == table.rows.end()) {
      if (missing++ == 0) first_missing = id;
      continue;
    }
    out.values.insert(out.values.end(), it->second.begin(), it->second.end());
  }
  if (missing > 0)
    throw DataError(fmt::format("{}: no tags for {} of the {} {} images (e.g. '{}'); its first column must hold "
                                "the image ids",
                                table.source, missing, images.size(), side, first_missing));
  for (int j = 0; require_each_tag && j < T; ++j) {
    double positives = 0;
    for (std::size_t i = 0; i < images.size(); ++i) positives += out.values[i * T + j];
    if (positives == 0)
      throw DataError(fmt::format("{}: tag '{}' is empty on the {} {} images (no image has it)", table.source,
                                  table.tags[j], images.size(), side));
  }
  return out;
}

std::vector<double> predict_tag_probabilities(Classifier& model, const LabelledImages& images, int samples) {
  const bool sample = model.config().bayesian;
  const int K = sample ? samples : 1;
  torch::NoGradGuard no_grad;
  model.set_train(false);
  model.set_sampling(sample);
  const auto N = static_cast<std::int64_t>(images.size());
  auto all = torch::from_blob(const_cast<float*>(images.pixels.data()), {N, images.height, images.width},
                              torch::kFloat32);
  auto mean = torch::zeros({N, model.config().n_classes}, torch::kFloat64);
  for (int k = 0; k < K; ++k)
    for (std::int64_t b0 = 0; b0 < N; b0 += 32) {
      const auto b1 = std::min(N, b0 + 32);
      mean.slice(0, b0, b1) += torch::sigmoid(model.forward(all.slice(0, b0, b1))).to(torch::kFloat64) / K;
    }
  model.set_sampling(true);
  mean = mean.contiguous();
  return {mean.data_ptr<double>(), mean.data_ptr<double>() + mean.numel()};
}

std::vector<TagMetrics> tag_metrics(const std::vector<double>& probs, const MultiLabelTargets& truth,
                                    const std::vector<std::string>& tags) {
  const int T = truth.tags;
  const auto N = static_cast<Eigen::Index>(truth.values.size() / std::max(1, T));
  std::vector<TagMetrics> out;
  for (int j = 0; j < T; ++j) {
    Eigen::VectorXd score(N);
    Eigen::VectorXi y(N);
    int tp = 0, fp = 0, fn = 0;
    for (Eigen::Index i = 0; i < N; ++i) {
      score(i) = probs[i * T + j];
      y(i) = truth.values[i * T + j] > 0 ? 1 : 0;
      const bool pred = score(i) >= 0.5;
      tp += pred && y(i);
      fp += pred && !y(i);
      fn += !pred && y(i);
    }
    TagMetrics m{tags[j], static_cast<int>(y.sum()), static_cast<int>(N)};
    m.auc = m.positives > 0 && m.positives < N ? semantics::roc_auc(score, y) : std::nan("");
    m.precision = tp + fp > 0 ? double(tp) / (tp + fp) : 0.0;
    m.recall = tp + fn > 0 ? double(tp) / (tp + fn) : 0.0;
    m.f1 = tp > 0 ? 2.0 * tp / (2.0 * tp + fp + fn) : 0.0;
    out.push_back(m);
  }
  return out;
}

void check_tag_training_options(const ClassifierTrainOptions& t) {
  if (t.ensemble > 1) throw UsageError("tag targets train one model; drop --ensemble");
  if (t.tta != "none") throw UsageError("tag targets take no test-time augmentation; drop --tta");
}

bool is_tag_model(const ClassifierConfig& cfg) { return cfg.extra.is_object() && cfg.extra.value("multi_label", false); }

namespace {

void write_tag_metrics(const fs::path& dir, const TagTrainingResult& r, const nlohmann::json& extra) {
  std::string csv = "tag,positives,n,auc,f1,precision,recall\n";
  nlohmann::json tags = nlohmann::json::array();
  for (const auto& m : r.val) {
    csv += fmt::format("{},{},{},{:.4f},{:.4f},{:.4f},{:.4f}\n", semantics::csv_field(m.tag), m.positives, m.n, m.auc,
                       m.f1, m.precision, m.recall);
    tags.push_back({{"tag", m.tag}, {"positives", m.positives}, {"n", m.n}, {"auc", m.auc}, {"f1", m.f1}});
  }
  write_text_atomic(dir / "tag_metrics.csv", csv);
  nlohmann::json j = {{"split", "val"}, {"mean_auc", r.mean_auc}, {"mean_f1", r.mean_f1}, {"tags", tags}};
  j.update(extra);
  write_text_atomic(dir / "metrics.json", j.dump(2) + "\n");
}

// The table restricted to the images a model saw, for the run folder.
TagTable used_rows(const TagTable& table, const LabelledImages& train, const LabelledImages& val) {
  TagTable out{table.source, table.tags, {}};
  for (const auto* images : {&train, &val})
    for (const auto& id : images->ids)
      if (auto it = table.rows.find(id); it != table.rows.end()) out.rows.insert(*it);
  return out;
}

}  // namespace

TagTrainingResult train_tag_classifier_folder(const ClassifierTrainOptions& t, const ClassifierDataOptions& d,
                                              const TagTable& table, const LabelledImages& train,
                                              const LabelledImages& val, std::uint64_t seed, const fs::path& dir) {
  check_tag_training_options(t);
  const auto y_train = tag_targets_for(table, train, "training");
  auto cfg = member_config(t, d, train, val, seed, seed);
  cfg.n_classes = y_train.tags;
  cfg.class_names = table.tags;
  cfg.extra.update({{"multi_label", true}, {"targets", table.source}});
  Classifier model(cfg, seed);
  std::string log = "epoch,loss,nll,penalty,seconds\n";
  TagTrainingResult r;
  r.seconds_per_epoch = train_multilabel_classifier(
      model, train, y_train, training_settings(t), seed, [&](const EpochSummary& e) {
        log += fmt::format("{},{:.6f},{:.6f},{:.3f},{:.2f}\n", e.epoch, e.loss, e.nll, e.penalty, e.seconds);
        penumbra::log().info("epoch {}/{}: loss {:.4f} bce {:.4f} ({:.1f} s)", e.epoch, t.epochs, e.loss, e.nll,
                             e.seconds);
        write_text_atomic(dir / "train_log.csv", log);
      });
  model.save(dir);
  write_tag_table(dir / "targets.csv", used_rows(table, train, val));
  if (val.size() == 0) return r;
  const auto y_val = tag_targets_for(table, val, "validation", false);
  r.val = tag_metrics(predict_tag_probabilities(model, val, t.eval_samples), y_val, table.tags);
  int with_auc = 0;  // a tag absent from the validation images has no AUC
  for (const auto& m : r.val) {
    if (std::isfinite(m.auc)) r.mean_auc += m.auc, ++with_auc;
    r.mean_f1 += m.f1 / static_cast<double>(r.val.size());
  }
  r.mean_auc = with_auc > 0 ? r.mean_auc / with_auc : std::nan("");
  write_tag_metrics(dir, r, {{"n_val", val.size()}, {"seconds_per_epoch", r.seconds_per_epoch}});
  return r;
}

}  // namespace penumbra
