#pragma once
// Generated training sets for diffusion priors, of one kind: procedural galaxies
// (galaxy_generator.hpp), random protoplanetary disks (protoplanetary_disk.hpp),
// or a half/half mix. Every kind uses the "peak" normalisation of the galaxy
// generator (finish_training_image: optional PSF blur, peak uniform in
// [peak_min, peak_max], optional noise), so a prior can be fine-tuned from one
// kind to another without changing its units.
//
// Seeds, from the set's seed S (train-prior and `penumbra dataset` pass
// S = derive_seed(--seed, 0xDA7A)):
//  * galaxies: item i is GalaxyGenerator(S) item i — unchanged from the
//    galaxies-only sets, so older commands make the same images;
//  * disks: item i is random_disk(derive_seed(D, i)) with D = derive_seed(S, 0xD15C),
//    its peak from make_rng(derive_seed(D, i), 0x9EA4), its noise from stream 0x9EA5;
//  * mix: item i is galaxy item i for even i and disk item i for odd i (a fixed
//    interleaving, so any prefix or suffix — e.g. the held-out tail — is half/half).
// The coverage study draws its held-out disks from derive_seed(seed,
// kHeldOutDiskSeedOffset + j) (coverage_study.hpp), a different first argument of
// the SplitMix hash, so training disks and test disks never share a stream (a
// test checks the first 10⁴ of each for the seeds 0–3).
//
// Disk images are rendered on disk_training_grid(size): random_disk sizes disks in
// fractions of the usable half-width (radius 0.4–0.9 of it, offsets ≤ 5 %), so
// they fill the image as galaxies do and the rendering in pixels is the same at
// any pixel scale — the coverage study's disks at any --scale look like these.
#include <cstdint>
#include <string>

#include "src/core/image_grid.hpp"
#include "src/datasets/dataset.hpp"
#include "src/datasets/galaxy_generator.hpp"
#include "src/datasets/protoplanetary_disk.hpp"

namespace penumbra {

enum class TrainingKind { kGalaxies, kDisks, kMix };
// "galaxies" | "disks" | "mix"; UsageError otherwise.
TrainingKind parse_training_kind(const std::string& s);
std::string training_kind_name(TrainingKind k);

// The size×size grid disk images are rendered on (10 mas cells, the coverage
// command's default; see above for why the cell does not matter).
ImageGrid disk_training_grid(int size);

// Peak-normalised images of random protoplanetary disks.
class DiskImageGenerator final : public Dataset {
 public:
  // `opt`: size, PSF, noise and peak range as for galaxies (supersample is unused:
  // render_disk supersamples 4× itself).
  DiskImageGenerator(std::size_t count, GalaxyOptions opt, std::uint64_t seed);
  std::size_t size() const override { return count_; }
  int height() const override { return opt_.size; }
  int width() const override { return opt_.size; }
  Example get(std::size_t i) const override;
  std::string name() const override { return "disks"; }
  ProtoplanetaryDisk disk(std::size_t i) const;
  std::uint64_t disk_seed(std::size_t i) const { return derive_seed(seed_, i); }  // random_disk's seed of item i
  double peak(std::size_t i) const;  // the image's peak after normalisation (noise aside)

 private:
  std::size_t count_;
  GalaxyOptions opt_;
  std::uint64_t seed_;
  ImageGrid grid_;
};

// A generated training set of one kind (seeds as described above).
class TrainingSetGenerator final : public Dataset {
 public:
  TrainingSetGenerator(TrainingKind kind, std::size_t count, GalaxyOptions opt, std::uint64_t seed);
  std::size_t size() const override { return galaxies_.size(); }
  int height() const override { return galaxies_.height(); }
  int width() const override { return galaxies_.width(); }
  Example get(std::size_t i) const override;
  std::string name() const override { return training_kind_name(kind_); }
  TrainingKind kind() const { return kind_; }
  bool is_disk(std::size_t i) const { return kind_ == TrainingKind::kDisks || (kind_ == TrainingKind::kMix && i % 2 == 1); }
  const GalaxyGenerator& galaxies() const { return galaxies_; }
  const DiskImageGenerator& disks() const { return disks_; }
  // One line for provenance: "generator mix n=10000 size=64 psf_fwhm=0 noise=0 peak=[0.5,1]".
  std::string describe() const;

 private:
  TrainingKind kind_;
  GalaxyGenerator galaxies_;
  DiskImageGenerator disks_;
};

}  // namespace penumbra
