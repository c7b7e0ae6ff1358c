#pragma once
// Dataset shift between two image sets, measured as the Fréchet distance of
// their features under a fixed (trained) classifier: the input of its final
// dense layer (Classifier::features), deterministic weights (the means).
#include <cstdint>

#include "src/datasets/labelled_images.hpp"
#include "src/diagnostics/frechet_distance.hpp"
#include "src/nn/classifier.hpp"

namespace penumbra {

struct DatasetShiftOptions {
  int replicates = 200;  // bootstrap replicates
  double level = 0.9;    // interval level
  int batch = 64;        // images per forward
};

struct DatasetShift {
  FrechetEstimate frechet;
  std::int64_t n_a = 0, n_b = 0, dim = 0;
};

// Features of every image, [N, F] (DataError when the images do not fit the model).
FeatureMatrix encoder_features(Classifier& model, const LabelledImages& images, int batch = 64);
DatasetShift dataset_shift(Classifier& model, const LabelledImages& a, const LabelledImages& b,
                           const DatasetShiftOptions& opt, std::uint64_t seed);

}  // namespace penumbra
