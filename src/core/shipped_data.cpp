#include "src/core/shipped_data.hpp"

#include <vector>

#include "src/core/errors.hpp"

namespace penumbra {

std::filesystem::path find_shipped_data(const std::filesystem::path& relative, const std::string& what,
                                        const std::string& source_dir, const std::string& hint) {
  std::vector<std::filesystem::path> tried;
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    auto dir = exe.parent_path();
    tried.push_back(dir / ".." / "data" / relative);
    tried.push_back(dir / ".." / "share" / "penumbra" / relative);
    tried.push_back(dir / "data" / relative);
  }
  if (!source_dir.empty()) tried.push_back(std::filesystem::path(source_dir) / "data" / relative);
  for (auto& p : tried)
    if (std::filesystem::exists(p)) return std::filesystem::weakly_canonical(p);
  std::string list;
  for (auto& p : tried) list += (list.empty() ? "" : ", ") + p.string();
  throw MissingInputError(what + " data/" + relative.string() + " not found (tried " + list + "); " + hint);
}

}  // namespace penumbra
