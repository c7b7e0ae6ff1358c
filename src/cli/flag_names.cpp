#include "src/cli/flag_names.hpp"

#include <algorithm>
#include <utility>
#include <vector>

namespace penumbra::cli {

namespace {

// Quantities whose flag is not their name with dashes.
const std::vector<std::pair<std::string, std::vector<std::string>>> kRenamed = {
    {"regulariser", {"--prior", "--map-prior"}},
    {"channel multipliers", {"--mult"}},
    {"checkpoint interval", {"--checkpoint-every"}},
    {"log interval", {"--log-every"}},
    {"learning rate", {"--lr"}},
    {"EMA decay", {"--ema"}},
    {"warm-up steps", {"--warmup"}},
    {"number of samples", {"--n", "--nsamples"}},
};

bool starts_with_quantity(const std::string& message, const std::string& quantity) {
  if (message.size() <= quantity.size() || message.compare(0, quantity.size(), quantity) != 0) return false;
  const char next = message[quantity.size()];
  return next == ' ' || next == ':';
}

// The flags of `command` and of its chosen subcommands (classify train, ...).
void collect_flags(const CLI::App& command, std::vector<std::pair<std::string, std::string>>& candidates) {
  for (const CLI::Option* opt : command.get_options()) {
    for (const std::string& name : opt->get_lnames()) {
      std::string quantity = name;
      std::replace(quantity.begin(), quantity.end(), '-', ' ');
      candidates.emplace_back(quantity, "--" + name);
    }
  }
  for (const auto& [quantity, flags] : kRenamed)
    for (const std::string& flag : flags)
      if (command.get_option_no_throw(flag)) candidates.emplace_back(quantity, flag);
  for (const CLI::App* sub : command.get_subcommands()) collect_flags(*sub, candidates);
}

}  // namespace

std::string name_flags(const std::string& message, const CLI::App& command) {
  std::vector<std::pair<std::string, std::string>> candidates;  // quantity, flag
  collect_flags(command, candidates);
  // The longest quantity first: "prior steps" before "steps".
  std::sort(candidates.begin(), candidates.end(),
            [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  for (const auto& [quantity, flag] : candidates)
    if (starts_with_quantity(message, quantity)) return flag + message.substr(quantity.size());
  return message;
}

}  // namespace penumbra::cli
