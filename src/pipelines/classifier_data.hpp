#pragma once
// The labelled images a classifier study trains and validates on: MiraBest
// batches, an image catalogue (CSV + JPEG/PNG files, e.g. the Galaxy Zoo
// rings; grey, resized to image_size) or the seeded synthetic FRI/FRII
// generator, centre-cropped and binned, split into training and validation images (a seeded stratified
// split, or one fold of a stratified K-fold partition) with the run's seed.
#include <cstdint>
#include <string>
#include <vector>

#include "src/datasets/labelled_images.hpp"

namespace penumbra {

struct ClassifierDataOptions {
  std::string data = "synthetic";  // mirabest:DIR | catalogue:CSV | synthetic
  std::string subset = "confident";
  std::string extra_train;         // a further MiraBest subset added to the training side only
  std::string batches = "1,2,3,4,5,6,7";
  int n_synthetic = 400;
  int synthetic_size = 150;
  std::string label_column = "label";  // catalogue: the 0/1 column; class 1 is named after it
  int image_size = 64;                 // catalogue: images centre-square resized to this side (px)
  int crop = 0;                    // 0: full images
  int bin = 1;                     // area-average binning after the crop
  double val_fraction = 0.2;
  int folds = 0, fold = 0;         // cross-validation: validate on fold `fold` of `folds` (0: use val_fraction)
  std::string split = "val";       // which images an evaluation takes: val | train | all
};

// UsageError naming the quantity for what can be checked without reading
// anything (data source, split name, validation fraction, the extra subset).
void validate(const ClassifierDataOptions& d);

// The images of MiraBest subset `subset` (or the synthetic set, from `seed`),
// cropped and binned as `d` says. DataError when there are none.
LabelledImages read_labelled_images(const ClassifierDataOptions& d, const std::string& subset, std::uint64_t seed);

// Reads `d.subset` and splits it with `seed` (a fold when d.folds > 0). The
// extra training images join `train` after the split, so the validation images
// (and folds) are the same with or without them.
void load_split(const ClassifierDataOptions& d, std::uint64_t seed, LabelledImages& train, LabelledImages& val);

// The images `d.split` names: the validation or training side of load_split,
// or both (training images first).
LabelledImages select_split(const ClassifierDataOptions& d, std::uint64_t seed);

// FNV-1a over the pixel bytes: identifies a set of images across runs.
std::uint64_t images_hash(const LabelledImages& images);

}  // namespace penumbra
