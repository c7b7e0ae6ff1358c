#pragma once
// Dataset (DESIGN.md): a sized, indexable source of images with optional
// labels/votes and a seeded, deterministic order. Generators and readers of
// real files implement the same interface, so training code never knows which
// one it has.
//
// Images are float32, row-major [height][width] (ImageGrid layout, row 0 = the
// South edge), single channel, in the dataset's own normalisation (see each
// implementation; for the galaxy generator and the importer: peak-normalised).
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include "src/core/rng.hpp"

namespace penumbra {

struct Example {
  std::vector<float> image;  // [height][width]
  int label = -1;            // -1: unlabelled
  std::vector<float> votes;  // per-class vote fractions, empty when none
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual std::size_t size() const = 0;
  virtual int height() const = 0;
  virtual int width() const = 0;
  // Item i, 0 ≤ i < size(); the same i always gives the same example.
  virtual Example get(std::size_t i) const = 0;
  virtual std::string name() const = 0;

  // Items [first, first+count) into `out` ([count][height][width]) on `threads`
  // threads (≤ 0: penumbra::thread_count()); item i's result never depends on the
  // thread that made it.
  void write_images(std::size_t first, std::size_t count, float* out, int threads = 0) const;

  // A deterministic permutation of [0, size()) for epoch `epoch` of a run seeded `seed`.
  std::vector<std::size_t> order(std::uint64_t seed, std::uint64_t epoch) const {
    std::vector<std::size_t> idx(size());
    std::iota(idx.begin(), idx.end(), std::size_t{0});
    auto rng = make_rng(seed, 0xD47A5E7ull + epoch);
    for (std::size_t i = idx.size(); i > 1; --i) {  // Fisher–Yates, explicit so it is identical across STL versions
      std::size_t j = static_cast<std::size_t>(rng() % i);
      std::swap(idx[i - 1], idx[j]);
    }
    return idx;
  }
};

}  // namespace penumbra
