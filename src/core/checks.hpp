#pragma once
// Argument checks named once. Each throws UsageError with a message that names
// the quantity ("steps", "likelihood weight") and the value, never a CLI flag:
// the library does not know how it was called. The CLI maps quantities to its
// flags (src/cli/flag_names.hpp) when it prints the error.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <string>
#include <string_view>

#include "src/core/errors.hpp"

namespace penumbra {

// The message format every check uses: "<what> must be <expected>, got <value>".
template <class V>
[[noreturn]] void fail_check(std::string_view what, std::string_view expected, const V& value) {
  throw UsageError(fmt::format("{} must be {}, got {}", what, expected, value));
}

template <class V>
void require_finite(std::string_view what, V value) {
  if (!std::isfinite(static_cast<double>(value))) fail_check(what, "a finite number", value);
}
template <class V>
void require_positive(std::string_view what, V value) {
  if (!(value > 0) || !std::isfinite(static_cast<double>(value))) fail_check(what, "> 0", value);
}
template <class V>
void require_non_negative(std::string_view what, V value) {
  if (!(value >= 0) || !std::isfinite(static_cast<double>(value))) fail_check(what, ">= 0", value);
}
template <class V>
void require_at_least(std::string_view what, V value, V least) {
  if (!(value >= least)) fail_check(what, fmt::format(">= {}", least), value);
}
// lo <= value <= hi
template <class V>
void require_in_range(std::string_view what, V value, V lo, V hi) {
  if (!(value >= lo && value <= hi)) fail_check(what, fmt::format("in [{}, {}]", lo, hi), value);
}
// One of a fixed set of names ("pc, ald or em").
void require_in(std::string_view what, const std::string& value, std::initializer_list<std::string_view> allowed);

}  // namespace penumbra
