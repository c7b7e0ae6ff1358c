#include "src/pipelines/dataset_shift.hpp"

#include <torch/torch.h>

#include <algorithm>

#include "src/core/checks.hpp"

namespace penumbra {

FeatureMatrix encoder_features(Classifier& model, const LabelledImages& images, int batch) {
  require_positive("feature batch", batch);
  torch::NoGradGuard no_grad;
  model.set_train(false);
  model.set_sampling(false);
  const auto N = static_cast<std::int64_t>(images.size());
  auto all = torch::from_blob(const_cast<float*>(images.pixels.data()), {N, images.height, images.width},
                              torch::kFloat32);
  FeatureMatrix out{N, 0, {}};
  for (std::int64_t b0 = 0; b0 < N; b0 += batch) {
    model.forward(all.slice(0, b0, std::min(N, b0 + batch)));
    auto f = model.features().to(torch::kFloat64).contiguous();
    out.cols = f.size(1);
    out.values.insert(out.values.end(), f.data_ptr<double>(), f.data_ptr<double>() + f.numel());
  }
  model.set_sampling(true);
  return out;
}

DatasetShift dataset_shift(Classifier& model, const LabelledImages& a, const LabelledImages& b,
                           const DatasetShiftOptions& opt, std::uint64_t seed) {
  auto fa = encoder_features(model, a, opt.batch), fb = encoder_features(model, b, opt.batch);
  DatasetShift s;
  s.frechet = frechet_distance_bootstrap(fa, fb, opt.replicates, opt.level, seed);
  s.n_a = fa.rows;
  s.n_b = fb.rows;
  s.dim = fa.cols;
  return s;
}

}  // namespace penumbra
