#include "src/datasets/labelled_images.hpp"

#include <algorithm>
#include <cmath>

#include "src/core/errors.hpp"
#include "src/core/rng.hpp"

namespace penumbra {

void LabelledImages::push_back_from(const LabelledImages& other, std::size_t i) {
  if (other.height != height || other.width != width)
    throw InternalError("LabelledImages::push_back_from: shape mismatch");
  pixels.insert(pixels.end(), other.image(i), other.image(i) + image_size());
  labels.push_back(other.labels[i]);
  if (i < other.ids.size()) ids.push_back(other.ids[i]);
}

LabelledImages LabelledImages::subset(const std::vector<std::size_t>& indices) const {
  LabelledImages out;
  out.height = height;
  out.width = width;
  out.class_names = class_names;
  out.pixels.reserve(indices.size() * image_size());
  for (auto i : indices) {
    if (i >= size()) throw InternalError("LabelledImages::subset: index out of range");
    out.push_back_from(*this, i);
  }
  return out;
}

std::vector<std::size_t> seeded_permutation(std::size_t n, std::uint64_t seed, std::uint64_t stream) {
  std::vector<std::size_t> p(n);
  for (std::size_t i = 0; i < n; ++i) p[i] = i;
  auto rng = make_rng(seed, stream);
  // Explicit Fisher–Yates: std::shuffle's algorithm is implementation-defined.
  for (std::size_t i = n; i > 1; --i) {
    std::size_t j = static_cast<std::size_t>(rng() % i);
    std::swap(p[i - 1], p[j]);
  }
  return p;
}

namespace {
// Shared by the split and the folds: each class is shuffled with the seed and
// image k of n in its class goes to `second` when in_second(k, n); both parts
// are then interleaved again in a seeded order. Same seed → same classes'
// shuffles, so the folds of one seed partition the set.
template <class InSecond>
void stratified_partition(const LabelledImages& all, std::uint64_t seed, InSecond in_second, LabelledImages& first,
                          LabelledImages& second) {
  auto perm = seeded_permutation(all.size(), seed, 0x5e11);
  int n_classes = static_cast<int>(all.class_names.size());
  std::vector<std::size_t> a, b;
  for (int c = 0; c < n_classes; ++c) {
    std::vector<std::size_t> idx;
    for (auto i : perm)
      if (all.labels[i] == c) idx.push_back(i);
    for (std::size_t k = 0; k < idx.size(); ++k) (in_second(k, idx.size()) ? b : a).push_back(idx[k]);
  }
  auto shuffle = [&](std::vector<std::size_t>& v, std::uint64_t stream) {
    auto p = seeded_permutation(v.size(), seed, stream);
    std::vector<std::size_t> out(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) out[i] = v[p[i]];
    v = out;
  };
  shuffle(a, 0x5e12);
  shuffle(b, 0x5e13);
  first = all.subset(a);
  second = all.subset(b);
}
}  // namespace

void stratified_split(const LabelledImages& all, double fraction, std::uint64_t seed, LabelledImages& first,
                      LabelledImages& second) {
  stratified_partition(
      all, seed,
      [&](std::size_t k, std::size_t n) { return k < static_cast<std::size_t>(std::lround(fraction * static_cast<double>(n))); },
      first, second);
}

void stratified_fold(const LabelledImages& all, int folds, int fold, std::uint64_t seed, LabelledImages& first,
                     LabelledImages& second) {
  if (folds < 2 || fold < 0 || fold >= folds)
    throw InternalError("stratified_fold: need folds ≥ 2 and 0 ≤ fold < folds");
  auto F = static_cast<std::size_t>(folds), f = static_cast<std::size_t>(fold);
  stratified_partition(all, seed, [&](std::size_t k, std::size_t) { return k % F == f; }, first, second);
}

}  // namespace penumbra
