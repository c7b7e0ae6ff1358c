#pragma once
// Seeding. Every random stream in Penumbra derives from the run's --seed and a
// stream index through SplitMix64, so parallel or resumed work is reproducible
// and streams never overlap by accident.
#include <cstdint>
#include <random>

namespace penumbra {

inline std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Seed of stream `stream` of a run seeded with `seed`.
inline std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t stream) {
  return splitmix64(splitmix64(seed) ^ splitmix64(stream + 0x5851F42D4C957F2Dull));
}

using Rng = std::mt19937_64;
inline Rng make_rng(std::uint64_t seed, std::uint64_t stream = 0) { return Rng(derive_seed(seed, stream)); }

}  // namespace penumbra
