#pragma once
// A labelled image set in plain memory (no LibTorch): what the MiraBest reader
// and the synthetic FR generator both produce, and what the classifier turns
// into tensors. LabelledImagesDataset presents it through the general Dataset
// interface (src/datasets/dataset.hpp).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "src/datasets/dataset.hpp"

namespace penumbra {

struct LabelledImages {
  int height = 0, width = 0;               // pixels; every image has this shape
  std::vector<float> pixels;               // [n][height][width], row-major, values as stored (see `scale`)
  std::vector<int> labels;                 // [n], class index into class_names
  std::vector<std::string> class_names;    // e.g. {"FRI", "FRII"}
  std::vector<std::string> ids;            // [n], file names or generator ids (may be empty)

  std::size_t size() const { return labels.size(); }
  std::size_t image_size() const { return static_cast<std::size_t>(height) * width; }
  const float* image(std::size_t i) const { return pixels.data() + i * image_size(); }
  float* image(std::size_t i) { return pixels.data() + i * image_size(); }
  // Appends image i of `other` (same shape and classes).
  void push_back_from(const LabelledImages& other, std::size_t i);
  // The images at `indices`, in that order.
  LabelledImages subset(const std::vector<std::size_t>& indices) const;
};

class LabelledImagesDataset : public Dataset {
 public:
  LabelledImagesDataset(LabelledImages images, std::string name) : d_(std::move(images)), name_(std::move(name)) {}
  std::size_t size() const override { return d_.size(); }
  int height() const override { return d_.height; }
  int width() const override { return d_.width; }
  Example get(std::size_t i) const override {
    Example e;
    e.image.assign(d_.image(i), d_.image(i) + d_.image_size());
    e.label = d_.labels.at(i);
    return e;
  }
  std::string name() const override { return name_; }
  const LabelledImages& images() const { return d_; }

 private:
  LabelledImages d_;
  std::string name_;
};

// A seeded permutation of 0..n-1 (Fisher–Yates on make_rng(seed, stream)).
std::vector<std::size_t> seeded_permutation(std::size_t n, std::uint64_t seed, std::uint64_t stream = 0);

// Stratified split: `fraction` of each class (rounded) goes to `second`, the rest
// to `first`; the order inside each part follows a seeded shuffle.
void stratified_split(const LabelledImages& all, double fraction, std::uint64_t seed, LabelledImages& first,
                      LabelledImages& second);
// Fold `fold` of a stratified `folds`-fold partition (cross-validation): image
// k of each seeded class shuffle goes to fold k mod folds. `second` is that fold,
// `first` the other folds; over fold = 0..folds−1 every image is in `second`
// exactly once, and each class is spread over the folds within one image.
void stratified_fold(const LabelledImages& all, int folds, int fold, std::uint64_t seed, LabelledImages& first,
                     LabelledImages& second);

}  // namespace penumbra
