#pragma once
// How tests start WSClean, the independent imager they cross-check against.
// Debian 12's wsclean 3.1 refuses to start when the default OpenBLAS is the
// OpenMP build (which our LibTorch/Eigen stack installs), even with
// OPENBLAS_NUM_THREADS=1; it runs against the pthread build of
// libopenblas0-pthread, found in $PENUMBRA_OPENBLAS_PTHREAD_DIR or
// /usr/lib/x86_64-linux-gnu/openblas-pthread, put first on LD_LIBRARY_PATH.
// BLAS and OpenMP stay single-threaded either way (tests run in parallel).
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/paths.hpp"

namespace penumbra::test {

// The environment prefix ("env ... ") under which `wsclean` starts, or nullopt
// when it is not installed or cannot start. Probed once per test process.
inline std::optional<std::string> wsclean_launcher() {
  static const std::optional<std::string> launcher = []() -> std::optional<std::string> {
    if (run_command("command -v wsclean") != 0) return std::nullopt;
    const std::string base = "env OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 ";
    std::vector<std::string> candidates = {base};
    std::vector<std::string> dirs;
    if (const char* d = std::getenv("PENUMBRA_OPENBLAS_PTHREAD_DIR")) dirs.push_back(d);
    dirs.push_back("/usr/lib/x86_64-linux-gnu/openblas-pthread");
    for (const auto& d : dirs)
      if (std::filesystem::exists(std::filesystem::path(d) / "libopenblas.so.0"))
        candidates.push_back(base + "LD_LIBRARY_PATH=" + d + " ");
    for (const auto& c : candidates) {
      std::string out;
      if (run_command(c + "wsclean --version", &out) == 0 && out.find("WSClean version") != std::string::npos) return c;
    }
    return std::nullopt;
  }();
  return launcher;
}

}  // namespace penumbra::test
