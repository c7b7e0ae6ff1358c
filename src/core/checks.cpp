#include "src/core/checks.hpp"

namespace penumbra {

void require_in(std::string_view what, const std::string& value, std::initializer_list<std::string_view> allowed) {
  if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return;
  std::string list;
  std::size_t i = 0;
  for (auto a : allowed) {
    list += (i == 0 ? "" : (i + 1 == allowed.size() ? " or " : ", ")) + std::string(a);
    ++i;
  }
  fail_check(what, list, "'" + value + "'");
}

}  // namespace penumbra
