#include "src/datasets/training_set.hpp"

#include <fmt/format.h>

#include <random>

#include "src/core/errors.hpp"

namespace penumbra {

namespace {
constexpr std::uint64_t kDiskStream = 0xD15Cull;
constexpr std::uint64_t kDiskPeakStream = 0x9EA4ull;
constexpr std::uint64_t kDiskNoiseStream = 0x9EA5ull;
constexpr double kDiskCell = 0.010 * 4.84813681109536e-6;  // 10 mas
}  // namespace

TrainingKind parse_training_kind(const std::string& s) {
  if (s == "galaxies") return TrainingKind::kGalaxies;
  if (s == "disks") return TrainingKind::kDisks;
  if (s == "mix") return TrainingKind::kMix;
  throw UsageError("training-set kind '" + s + "': expected galaxies, disks or mix");
}

std::string training_kind_name(TrainingKind k) {
  switch (k) {
    case TrainingKind::kGalaxies: return "galaxies";
    case TrainingKind::kDisks: return "disks";
    case TrainingKind::kMix: return "mix";
  }
  return "?";
}

ImageGrid disk_training_grid(int size) { return ImageGrid{size, size, kDiskCell, 0.0, 0.0}; }

DiskImageGenerator::DiskImageGenerator(std::size_t count, GalaxyOptions opt, std::uint64_t seed)
    : count_(count), opt_(opt), seed_(derive_seed(seed, kDiskStream)), grid_(disk_training_grid(opt.size)) {
  opt_.validate();
}

ProtoplanetaryDisk DiskImageGenerator::disk(std::size_t i) const { return random_disk(disk_seed(i), grid_); }

double DiskImageGenerator::peak(std::size_t i) const {
  auto rng = make_rng(disk_seed(i), kDiskPeakStream);
  return std::uniform_real_distribution<double>(opt_.peak_min, opt_.peak_max)(rng);
}

Example DiskImageGenerator::get(std::size_t i) const {
  if (i >= count_)
    throw UsageError(fmt::format("disk generator: item {} out of range [0, {})", i, count_));
  auto noise = make_rng(disk_seed(i), kDiskNoiseStream);
  auto jy = render_disk(disk(i), grid_);
  Example e;
  e.image.assign(jy.begin(), jy.end());
  finish_training_image(e.image, opt_, peak(i), noise);
  return e;
}

TrainingSetGenerator::TrainingSetGenerator(TrainingKind kind, std::size_t count, GalaxyOptions opt, std::uint64_t seed)
    : kind_(kind), galaxies_(count, opt, seed), disks_(count, opt, seed) {}

Example TrainingSetGenerator::get(std::size_t i) const { return is_disk(i) ? disks_.get(i) : galaxies_.get(i); }

std::string TrainingSetGenerator::describe() const {
  const auto& o = galaxies_.options();
  return fmt::format("generator {} n={} size={} psf_fwhm={} noise={} peak=[{},{}]", name(), size(), o.size, o.psf_fwhm,
                     o.noise, o.peak_min, o.peak_max);
}

}  // namespace penumbra
