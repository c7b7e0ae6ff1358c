#pragma once
// The Radio Galaxy Zoo EMU annotations in ../shared/data (absent in a fresh
// clone: tests that need them skip).
#include <filesystem>
#include <string>

namespace penumbra::semantics {

inline std::filesystem::path rgz_file(const std::string& name) {
  return std::filesystem::path(PENUMBRA_SOURCE_DIR) / ".." / "shared" / "data" / "rgz_emu_annotations" / name;
}
inline bool rgz_data_present() {
  return std::filesystem::exists(rgz_file("english_annotations.csv")) &&
         std::filesystem::exists(rgz_file("expert_classifications.csv"));
}

}  // namespace penumbra::semantics
