#include "instruments/fftw_setup.hpp"

#include <fftw3.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <utility>

#include <unistd.h>

#include "src/core/log.hpp"
#include "src/core/threads.hpp"

namespace penumbra {

std::mutex& fftw_planner_lock() {
  static std::mutex m;
  return m;
}

std::string wisdom_path() {
  if (const char* p = std::getenv("PENUMBRA_FFTW_WISDOM")) return p;
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/.cache/penumbra/fftw.wisdom";
}

void fftw_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    std::lock_guard<std::mutex> lock(fftw_planner_lock());
    fftw_init_threads();
    fftwf_init_threads();
    std::string w = wisdom_path();
    if (std::filesystem::exists(w)) {
      fftw_import_wisdom_from_filename(w.c_str());
      fftwf_import_wisdom_from_filename((w + "f").c_str());
    }
  });
  std::lock_guard<std::mutex> lock(fftw_planner_lock());
  fftw_plan_with_nthreads(thread_count());
  fftwf_plan_with_nthreads(thread_count());
}

void fftw_save_wisdom() {
  std::lock_guard<std::mutex> lock(fftw_planner_lock());
  std::string w = wisdom_path();
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(w).parent_path(), ec);
  // Through a per-process temporary name and a rename: several processes (ctest -j,
  // parallel runs) may save at once, and a reader must never see half a file.
  const std::string tag = ".tmp." + std::to_string(static_cast<long>(getpid()));
  bool ok = true;
  for (auto [name, exported] : {std::pair{w, 0}, std::pair{w + "f", 1}}) {
    std::string tmp = name + tag;
    int good = exported == 0 ? fftw_export_wisdom_to_filename(tmp.c_str())
                             : fftwf_export_wisdom_to_filename(tmp.c_str());
    ec.clear();
    if (good) std::filesystem::rename(tmp, name, ec);
    if (!good || ec) {
      ok = false;
      std::filesystem::remove(tmp, ec);
    }
  }
  if (!ok) log().debug("could not save FFTW wisdom to {}", w);
}

}  // namespace penumbra
