#pragma once
// How concentrated a classifier's attention maps are on the source, over a set
// of labelled images (src/diagnostics/attention_concentration.hpp per image):
// what `classify eval` adds to metrics.json for a backbone with attention maps.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

#include "src/datasets/labelled_images.hpp"
#include "src/nn/classifier.hpp"

namespace penumbra {

struct AttentionConcentrationReport {
  int maps = 0;                                 // 0: the backbone keeps no attention maps
  std::vector<double> mass_in_source, entropy;  // per map, mean over the images
  double source_fraction = 0;                   // mean share of pixels in the source masks
  double k_sigma = 3;                           // source mask threshold (robust σ above the median)
  nlohmann::json to_json() const;
};

// Runs `net` with its mean weights on every image, upsamples each attention map
// bilinearly to the image's side (as predict's panels), masks the source at
// `k_sigma` robust σ of the raw pixels, and writes one row per image and map to
// `csv` (id, label, map, mass_in_source, source_fraction, entropy). Writes
// nothing and returns maps = 0 for a backbone without attention maps.
AttentionConcentrationReport attention_concentration_report(Classifier& net, const LabelledImages& images,
                                                            const std::filesystem::path& csv,
                                                            double k_sigma = 3.0);

}  // namespace penumbra
