#include "src/nn/module_weights.hpp"

#include <fmt/format.h>

#include <vector>

namespace penumbra::nn {

std::string load_with_shapes_checked(torch::nn::Module& m, torch::serialize::InputArchive& ar) {
  std::vector<std::vector<std::int64_t>> shapes;
  for (const auto& p : m.named_parameters()) shapes.push_back(p.value().sizes().vec());
  try {
    m.load(ar);
  } catch (const c10::Error& e) {
    std::string what = e.what_without_backtrace();
    return what.substr(0, what.find('\n'));
  }
  std::size_t i = 0;
  for (const auto& p : m.named_parameters()) {
    if (p.value().sizes().vec() != shapes[i])
      return fmt::format("{} has shape {} where {} was expected", p.key(), fmt::join(p.value().sizes(), "×"),
                         fmt::join(shapes[i], "×"));
    ++i;
  }
  return "";
}

}  // namespace penumbra::nn
