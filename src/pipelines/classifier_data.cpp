#include "src/pipelines/classifier_data.hpp"

#include <fmt/format.h>

#include <sstream>

#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/rng.hpp"
#include "src/core/units.hpp"
#include "src/datasets/augment.hpp"
#include "src/datasets/image_catalogue.hpp"
#include "src/datasets/mirabest.hpp"
#include "src/datasets/radio_galaxy_generator.hpp"

namespace penumbra {

namespace {
bool is_mirabest(const ClassifierDataOptions& d) { return d.data.rfind("mirabest:", 0) == 0; }
bool is_catalogue(const ClassifierDataOptions& d) { return d.data.rfind("catalogue:", 0) == 0; }

[[noreturn]] void unknown_source(const ClassifierDataOptions& d) {
  throw UsageError(fmt::format("data source '{}' unknown; expected mirabest:DIR, catalogue:CSV or synthetic", d.data));
}

// The catalogue's images in grey (the classifiers take one channel), labelled
// by d.label_column: class 0 "not_<column>", class 1 "<column>".
LabelledImages read_catalogue_images(const ClassifierDataOptions& d) {
  CatalogueOptions o;
  o.size = d.image_size;
  o.channels = 1;
  o.label_column = d.label_column;
  const std::string csv = d.data.substr(10);
  auto c = load_catalogue(csv, o);
  for (std::size_t i = 0; i < c.labels.size(); ++i)
    if (c.labels[i] < 0)
      throw DataError(fmt::format("{}: id {} has no '{}' label (the classifier needs every row labelled)", csv,
                                  c.ids[i], d.label_column));
  LabelledImages all;
  all.height = all.width = c.size;
  all.pixels = std::move(c.images);
  all.labels = std::move(c.labels);
  all.ids = std::move(c.ids);
  all.class_names = {"not_" + d.label_column, d.label_column};
  return all;
}
}  // namespace

void validate(const ClassifierDataOptions& d) {
  if (d.data != "synthetic" && !is_mirabest(d) && !is_catalogue(d)) unknown_source(d);
  if (is_catalogue(d)) {
    require_at_least("image size", d.image_size, 4);
    if (d.label_column.empty()) throw UsageError("catalogue data need a label column");
  }
  require_in("split", d.split, {"val", "train", "all"});
  if (d.folds == 0 && !(d.val_fraction >= 0 && d.val_fraction < 1))
    fail_check("validation fraction", "in [0, 1)", d.val_fraction);
  if (d.extra_train.empty()) return;
  if (!is_mirabest(d)) throw UsageError("an extra training subset needs MiraBest data");
  parse_mirabest_subset(d.extra_train);
  if (d.extra_train == d.subset || d.extra_train == "all" || d.subset == "all")
    throw UsageError(fmt::format("extra training subset {} overlaps subset {}: validation images would be trained on",
                                 d.extra_train, d.subset));
}

LabelledImages read_labelled_images(const ClassifierDataOptions& d, const std::string& subset, std::uint64_t seed) {
  LabelledImages all;
  if (d.data == "synthetic") {
    RadioGalaxyOptions o;
    o.size = d.synthetic_size;
    all = generate_radio_galaxies(static_cast<std::size_t>(d.n_synthetic), derive_seed(seed, 0xDA7A), o);
  } else if (is_mirabest(d)) {
    std::vector<int> b;
    for (double x : parse_number_list(d.batches, "MiraBest batches")) b.push_back(static_cast<int>(x));
    all = read_mirabest(d.data.substr(9), parse_mirabest_subset(subset), b);
  } else if (is_catalogue(d)) {
    all = read_catalogue_images(d);
  } else {
    unknown_source(d);
  }
  if (all.size() == 0) throw DataError(fmt::format("data {}: no images in subset '{}'", d.data, subset));
  if (d.crop > 0) all = center_crop(all, d.crop);
  if (d.bin > 1) all = bin_pixels(all, d.bin);
  return all;
}

void load_split(const ClassifierDataOptions& d, std::uint64_t seed, LabelledImages& train, LabelledImages& val) {
  validate(d);
  auto all = read_labelled_images(d, d.subset, seed);
  if (d.folds > 0) {
    if (all.size() < static_cast<std::size_t>(d.folds))
      throw DataError(fmt::format("data {}: {} images cannot make {} folds", d.data, all.size(), d.folds));
    stratified_fold(all, d.folds, d.fold, seed, train, val);
  } else {
    stratified_split(all, d.val_fraction, seed, train, val);
  }
  if (d.extra_train.empty()) return;
  auto extra = read_labelled_images(d, d.extra_train, seed);
  if (extra.class_names != train.class_names)
    throw UsageError(
        fmt::format("extra training subset {}: its classes are not those of subset {}", d.extra_train, d.subset));
  for (std::size_t i = 0; i < extra.size(); ++i) train.push_back_from(extra, i);
}

LabelledImages select_split(const ClassifierDataOptions& d, std::uint64_t seed) {
  LabelledImages train, val;
  load_split(d, seed, train, val);
  if (d.split == "val") return val;
  if (d.split == "train") return train;
  for (std::size_t i = 0; i < val.size(); ++i) train.push_back_from(val, i);
  return train;
}

std::uint64_t images_hash(const LabelledImages& images) {
  std::uint64_t h = 1469598103934665603ull;
  auto* b = reinterpret_cast<const unsigned char*>(images.pixels.data());
  for (std::size_t i = 0; i < images.pixels.size() * sizeof(float); ++i) h = (h ^ b[i]) * 1099511628211ull;
  return h;
}

}  // namespace penumbra
