#include "src/pipelines/pruning_study.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "src/core/errors.hpp"
#include "src/core/run_folder.hpp"
#include "src/datasets/labelled_images.hpp"
#include "src/pipelines/classifier_evaluation.hpp"
#include "src/io/png.hpp"
#include "src/nn/classifier.hpp"

namespace penumbra {

PruneRanking parse_prune_ranking(const std::string& name) {
  if (name == "snr") return PruneRanking::kSnr;
  if (name == "fisher") return PruneRanking::kFisher;
  throw UsageError(fmt::format("pruning ranking '{}' unknown; expected snr or fisher", name));
}
std::string prune_ranking_name(PruneRanking r) { return r == PruneRanking::kSnr ? "snr" : "fisher"; }

std::vector<double> snr_scores(Classifier& model) {
  if (!model.config().bayesian) throw UsageError("SNR pruning needs a Bayesian model (σ of each weight)");
  torch::NoGradGuard g;
  std::vector<double> out;
  for (auto& v : model.variational_tensors()) {
    if (!v.dense) continue;
    auto s = (10.0 * torch::log10(v.mu.abs() / v.sigma.clamp_min(1e-30) + 1e-30)).to(torch::kFloat64).contiguous();
    out.insert(out.end(), s.data_ptr<double>(), s.data_ptr<double>() + s.numel());
  }
  return out;
}

std::vector<double> fisher_scores(Classifier& model, const LabelledImages& data, int batch) {
  model.set_train(false);
  model.set_sampling(false);
  std::vector<at::Tensor> mus;
  for (auto& v : model.variational_tensors())
    if (v.dense) mus.push_back(v.mu);
  std::vector<at::Tensor> acc;
  for (auto& m : mus) acc.push_back(torch::zeros_like(m, torch::kFloat64));
  auto N = static_cast<std::int64_t>(data.size());
  auto all = torch::from_blob(const_cast<float*>(data.pixels.data()), {N, data.height, data.width}, torch::kFloat32);
  auto labels = torch::tensor(std::vector<std::int64_t>(data.labels.begin(), data.labels.end()), torch::kLong);
  // Per-example squared gradients (empirical Fisher); examples one at a time in
  // chunks would be exact but slow: a per-example loop over small batches is used.
  for (std::int64_t b0 = 0; b0 < N; b0 += batch) {
    auto b1 = std::min(N, b0 + batch);
    for (std::int64_t i = b0; i < b1; ++i) {
      auto logp = torch::log_softmax(model.forward(all.slice(0, i, i + 1)), 1);
      auto nll = -logp.index({0, labels[i]});
      auto grads = torch::autograd::grad({nll}, mus);
      for (std::size_t k = 0; k < mus.size(); ++k) acc[k] += grads[k].to(torch::kFloat64).square() / N;
    }
  }
  model.set_sampling(true);
  std::vector<double> out;
  for (auto& a : acc) {
    auto c = a.contiguous();
    out.insert(out.end(), c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
  }
  return out;
}

void reset_masks(Classifier& model) {
  torch::NoGradGuard g;
  for (auto& v : model.variational_tensors()) v.mask.fill_(1.0);
}

void prune_dense(Classifier& model, const std::vector<double>& scores, double fraction) {
  if (fraction < 0 || fraction > 1) throw UsageError(fmt::format("pruning fraction {} outside [0, 1]", fraction));
  reset_masks(model);
  auto n = scores.size();
  auto k = static_cast<std::size_t>(std::llround(fraction * static_cast<double>(n)));
  std::vector<std::size_t> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
  std::vector<float> keep(n, 1.0f);
  for (std::size_t i = 0; i < k; ++i) keep[idx[i]] = 0.0f;
  torch::NoGradGuard g;
  std::size_t off = 0;
  for (auto& v : model.variational_tensors()) {
    if (!v.dense) continue;
    auto m = v.mask.numel();
    if (off + m > n) throw InternalError("prune_dense: scores shorter than the dense weights");
    v.mask.copy_(torch::from_blob(keep.data() + off, v.mask.sizes(), torch::kFloat32));
    off += m;
  }
  if (off != n) throw InternalError("prune_dense: scores longer than the dense weights");
}

std::vector<PruningRow> pruning_study(Classifier& model, const LabelledImages& data, const std::vector<double>& fractions,
                                      const std::vector<PruneRanking>& rankings, int K, int bins) {
  std::vector<PruningRow> rows;
  for (auto r : rankings) {
    auto scores = r == PruneRanking::kSnr ? snr_scores(model) : fisher_scores(model, data);
    for (double f : fractions) {
      prune_dense(model, scores, f);
      auto probs = predict_probabilities(model, data, K, model.config().bayesian);
      int k_used = model.config().bayesian ? K : 1;
      auto rep = calibration_report(probs, k_used, static_cast<std::int64_t>(data.size()), model.config().n_classes,
                                    data.labels, bins);
      rows.push_back({prune_ranking_name(r), f, rep.accuracy, rep.ece, rep.uce, rep.nll});
    }
  }
  reset_masks(model);
  return rows;
}

void write_pruning_csv(const std::filesystem::path& path, const std::vector<PruningRow>& rows) {
  std::string s = "ranking,fraction_pruned,accuracy,ece,uce,nll\n";
  for (auto& r : rows) s += fmt::format("{},{:.3f},{:.6f},{:.6f},{:.6f},{:.6f}\n", r.ranking, r.fraction, r.accuracy, r.ece, r.uce, r.nll);
  write_text_atomic(path, s);
}

void write_pruning_png(const std::filesystem::path& path, const std::vector<PruningRow>& rows) {
  std::vector<Series> series;
  for (const char* rk : {"snr", "fisher"}) {
    Series acc{{}, {}, fmt::format("accuracy ({})", rk), false}, ece{{}, {}, fmt::format("ECE ({})", rk), true};
    for (auto& r : rows)
      if (r.ranking == rk) {
        acc.x.push_back(100 * r.fraction);
        acc.y.push_back(r.accuracy);
        ece.x.push_back(100 * r.fraction);
        ece.y.push_back(r.ece);
      }
    if (!acc.x.empty()) {
      series.push_back(acc);
      series.push_back(ece);
    }
  }
  LinePlot p;
  p.title = "Pruning the dense layers";
  p.xlabel = "weights pruned (%)";
  p.ylabel = "accuracy / ECE";
  p.ymin = 0;
  p.ymax = 1;
  write_line_plot_png(path, series, p);
}

}  // namespace penumbra
