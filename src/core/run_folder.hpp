#pragma once
// Every run writes into its own folder: the resolved configuration
// (config.toml), run.json (command, seed, version, threads, start/end time),
// run.log, and its results. Results are written under a temporary name and
// renamed when complete, so an interrupted run never leaves half a file.
#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <filesystem>
#include <string>

namespace penumbra {

class RunFolder {
 public:
  // Creates `dir` (and parents). `config_text` is the resolved configuration.
  RunFolder(std::filesystem::path dir, const std::string& command, std::uint64_t seed, int threads,
            const std::string& config_text);
  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path path(const std::string& name) const { return dir_ / name; }
  // Merges `results` into run.json under "results" and stamps the end time.
  void finish(const nlohmann::json& results);

 private:
  std::filesystem::path dir_;
};

// Writes `text` to `path` through `path.tmp` + rename.
void write_text_atomic(const std::filesystem::path& path, const std::string& text);
std::string read_text(const std::filesystem::path& path);
// Calls `write(tmp)` and renames tmp → path on success; removes tmp on failure.
template <class F>
void write_atomic(const std::filesystem::path& path, F&& write) {
  auto tmp = path;
  tmp += ".tmp";
  try {
    write(tmp);
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove_all(tmp, ec);
    throw;
  }
  std::filesystem::rename(tmp, path);
}

}  // namespace penumbra
