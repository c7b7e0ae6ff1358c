#pragma once
// A small explicit registry: name → entry (factory, one-line help, options),
// filled by one function that lists the built-ins (no static self-registration),
// from which the CLI builds its choices and help text. Tests and programs that
// link the library may add entries at run time.
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "src/core/errors.hpp"

namespace penumbra {

// Entry: any struct with `std::string name` and `std::string help`.
template <class Entry>
class Registry {
 public:
  explicit Registry(std::string kind) : kind_(std::move(kind)) {}

  // InternalError when the name is taken: two entries of one name would make the CLI ambiguous.
  void add(Entry e) {
    if (find(e.name)) throw InternalError(fmt::format("{} '{}' is registered twice", kind_, e.name));
    entries_.push_back(std::move(e));
  }
  const Entry* find(const std::string& name) const {
    auto it = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.name == name; });
    return it == entries_.end() ? nullptr : &*it;
  }
  // UsageError listing the known names when `name` is not one of them.
  const Entry& get(const std::string& name) const {
    if (const Entry* e = find(name)) return *e;
    throw UsageError(fmt::format("{} must be {}, got '{}'", kind_, names(), name));
  }
  const std::vector<Entry>& entries() const { return entries_; }
  // "a, b or c"
  std::string names() const {
    std::string s;
    for (std::size_t i = 0; i < entries_.size(); ++i)
      s += (i == 0 ? "" : (i + 1 == entries_.size() ? " or " : ", ")) + entries_[i].name;
    return s;
  }
  // "a (help of a); b (help of b)", for option help texts.
  std::string help() const {
    std::string s;
    for (std::size_t i = 0; i < entries_.size(); ++i)
      s += (i == 0 ? "" : "; ") + entries_[i].name + " (" + entries_[i].help + ")";
    return s;
  }

 private:
  std::string kind_;
  std::vector<Entry> entries_;
};

}  // namespace penumbra
