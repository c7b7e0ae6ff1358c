#pragma once
// The prior checkpoint container: ONE file holding a JSON header (every
// hyper-parameter: network, SDE, data normalisation, image size, software
// version, training state) and a list of named tensors (raw and EMA weights,
// buffers, Adam moments, loss history).
//
// It lives in priors/ rather than src/io (DESIGN.md) because it stores
// at::Tensors and src/io must not link LibTorch (see docs/architecture.md).
//
// Layout (little-endian):
//   "PNBRPRIO"                       8-byte magic
//   u32 format version (1)
//   u64 n, n bytes of UTF-8 JSON     the header
//   u32 tensor count, then per tensor:
//     u32 name length, name, u8 dtype (0 f32, 1 f64, 2 i64), u32 ndim,
//     i64 dims[ndim], u64 byte count, raw contiguous bytes
//   u64 FNV-1a 64 hash of every preceding byte
// The hash is checked before anything is parsed, and every length is
// bounds-checked, so a corrupt or truncated file is a DataError, never a crash.
#include <ATen/core/Tensor.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace penumbra {

struct CheckpointData {
  nlohmann::json header;
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  // The tensor called `name`; DataError naming the file if absent.
  const at::Tensor& tensor(const std::string& name) const;
  bool has(const std::string& name) const;
  std::filesystem::path path;  // where it was read from (for messages)
};

inline constexpr std::uint32_t kCheckpointFormatVersion = 1;

// Writes atomically (path.tmp + rename). Tensors are saved contiguous on the CPU.
void save_checkpoint(const std::filesystem::path& path, const nlohmann::json& header,
                     const std::vector<std::pair<std::string, at::Tensor>>& tensors);
// MissingInputError if absent; DataError for anything that is not an intact
// Penumbra checkpoint (wrong magic, newer format, truncated, hash mismatch, bad JSON).
CheckpointData load_checkpoint(const std::filesystem::path& path);

}  // namespace penumbra
