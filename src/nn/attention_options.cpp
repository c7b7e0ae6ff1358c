#include "src/nn/attention_options.hpp"

#include <fmt/format.h>

#include "src/core/checks.hpp"
#include "src/core/errors.hpp"

namespace penumbra::nn {

GateNormalisation parse_gate_normalisation(const std::string& name) {
  if (name.empty() || name == "sigmoid") return GateNormalisation::kSigmoid;
  require_in("attention gate", name, {"sigmoid", "softmax"});
  return GateNormalisation::kSoftmax;
}

GateAggregation parse_gate_aggregation(const std::string& name) {
  if (name.empty() || name == "concat") return GateAggregation::kConcat;
  require_in("attention aggregation", name, {"concat", "mean"});
  return GateAggregation::kMean;
}

std::string gate_normalisation_name(GateNormalisation g) {
  return g == GateNormalisation::kSigmoid ? "sigmoid" : "softmax";
}

std::string gate_aggregation_name(GateAggregation a) {
  return a == GateAggregation::kConcat ? "concat" : "mean";
}

void check_attention_options(const std::string& backbone, const std::string& gate,
                             const std::string& aggregation) {
  parse_gate_normalisation(gate);
  parse_gate_aggregation(aggregation);
  if (backbone == "attention") return;
  if (!gate.empty())
    throw UsageError(
        fmt::format("attention gate {} applies to the attention backbone only, not {}", gate, backbone));
  if (!aggregation.empty())
    throw UsageError(fmt::format("attention aggregation {} applies to the attention backbone only, not {}",
                                 aggregation, backbone));
}

}  // namespace penumbra::nn
