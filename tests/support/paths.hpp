#pragma once
// Where tests find things: the reference files in ../shared/data (absent on a
// user's fresh clone, so tests that need them skip), a scratch folder, and the CLI.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

namespace penumbra::test {

// ../shared/data/<rel> next to the source tree, or empty when it is not there.
inline std::filesystem::path shared_data(const std::string& rel) {
  std::filesystem::path p = std::filesystem::path(PENUMBRA_SOURCE_DIR) / ".." / "shared" / "data" / rel;
  return std::filesystem::exists(p) ? p : std::filesystem::path();
}

// A fresh, empty scratch folder for one test.
inline std::filesystem::path scratch_dir(const std::string& name) {
  auto p = std::filesystem::path(PENUMBRA_BINARY_DIR) / "test-scratch" / name;
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p;
}

inline std::string penumbra_bin() { return std::string(PENUMBRA_BINARY_DIR) + "/penumbra"; }

// Runs a shell command, returns its exit status (0..255), output in `out` if given.
// Each call captures into its own file: ctest runs test processes in parallel.
inline int run_command(const std::string& cmd, std::string* out = nullptr) {
  static int counter = 0;
  auto dir = std::filesystem::path(PENUMBRA_BINARY_DIR) / "test-scratch" / "cmd-output";
  std::filesystem::create_directories(dir);
  auto capture = dir / (std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".out");
  std::string full = cmd + " > " + capture.string() + " 2>&1";
  int rc = std::system(full.c_str());
  if (out) {
    out->clear();
    if (FILE* f = std::fopen(capture.c_str(), "r")) {
      char buf[4096];
      std::size_t n;
      while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out->append(buf, n);
      std::fclose(f);
    }
  }
  std::filesystem::remove(capture);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : 255;
}

}  // namespace penumbra::test

#define PENUMBRA_REQUIRE_SHARED(var, rel)                                       \
  auto var = ::penumbra::test::shared_data(rel);                                \
  if (var.empty()) GTEST_SKIP() << "../shared/data/" << rel << " not present"
