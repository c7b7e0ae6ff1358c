#include "src/pipelines/classifier_evaluation.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>

#include "src/core/errors.hpp"
#include "src/datasets/labelled_images.hpp"
#include "src/io/png.hpp"
#include "src/nn/classifier.hpp"
#include "src/nn/ensemble.hpp"

namespace penumbra {

TestTimeAugmentation parse_test_time_augmentation(const std::string& name, const std::string& option) {
  if (name == "none") return TestTimeAugmentation::kNone;
  if (name == "d4") return TestTimeAugmentation::kDihedral;
  throw UsageError(fmt::format("{} {}: expected none or d4", option, name));
}

namespace {
// x [B, H, W] → [8B, H, W]: the eight dihedral views, view-major.
torch::Tensor dihedral_views(const torch::Tensor& x) {
  std::vector<torch::Tensor> views;
  auto flipped = torch::flip(x, {2});
  for (const auto& base : {x, flipped})
    for (int q = 0; q < 4; ++q) views.push_back(torch::rot90(base, q, {1, 2}));
  return torch::cat(views, 0);
}
}  // namespace

std::vector<double> predict_probabilities(Classifier& model, const LabelledImages& data, int K, bool sample,
                                          TestTimeAugmentation tta, int batch) {
  if (!model.config().bayesian || !sample) K = 1;
  torch::NoGradGuard no_grad;
  model.set_train(false);
  model.set_sampling(sample && model.config().bayesian);
  const auto N = static_cast<std::int64_t>(data.size());
  const int C = model.config().n_classes;
  std::vector<double> out(static_cast<std::size_t>(K) * N * C);
  auto all = torch::from_blob(const_cast<float*>(data.pixels.data()), {N, data.height, data.width}, torch::kFloat32);
  // With the 8 dihedral views a forward pass sees 8 images per input image: keep
  // it at `batch` images (a 256-image forward of the LeNet at 75² runs ~8× slower
  // per image than a 32-image one here: its activations no longer stay in cache).
  const std::int64_t step = tta == TestTimeAugmentation::kDihedral ? std::max(1, batch / 8) : batch;
  for (int k = 0; k < K; ++k)
    for (std::int64_t b0 = 0; b0 < N; b0 += step) {
      auto x = all.slice(0, b0, std::min(N, b0 + step));
      torch::Tensor p;
      if (tta == TestTimeAugmentation::kDihedral) {
        const auto b = x.size(0);
        p = torch::softmax(model.forward(dihedral_views(x)), 1).view({8, b, C}).mean(0);
      } else {
        p = torch::softmax(model.forward(x), 1);
      }
      p = p.to(torch::kFloat64).contiguous();
      std::copy(p.data_ptr<double>(), p.data_ptr<double>() + p.numel(),
                out.begin() + (static_cast<std::size_t>(k) * N + b0) * C);
    }
  model.set_sampling(true);
  return out;
}

std::vector<double> predict_probabilities(ClassifierEnsemble& ensemble, const LabelledImages& data, int K,
                                          bool sample, TestTimeAugmentation tta, int batch) {
  std::vector<double> out;
  for (auto& m : ensemble.members) {
    auto p = predict_probabilities(*m, data, K, sample, tta, batch);
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

void write_reliability_diagram(const std::filesystem::path& path, const CalibrationReport& r, const std::string& title) {
  Series acc{{}, {}, "accuracy per bin", false}, diag{{0, 1}, {0, 1}, "perfect calibration", true};
  for (auto& b : r.reliability)
    if (b.count) {
      acc.x.push_back(b.mean);
      acc.y.push_back(b.accuracy);
    }
  if (acc.x.empty()) {
    acc.x = {0};
    acc.y = {0};
  }
  LinePlot p;
  p.title = fmt::format("{}  (ECE {:.3f}, acc {:.3f}, n {})", title, r.ece, r.accuracy, r.n);
  p.xlabel = "confidence";
  p.ylabel = "accuracy";
  p.xmin = 0;
  p.xmax = 1;
  p.ymin = 0;
  p.ymax = 1;
  write_line_plot_png(path, {acc, diag}, p);
}

}  // namespace penumbra
