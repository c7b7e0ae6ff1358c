#pragma once
// The normalisation and aggregation choices of the attention-gated backbone
// (Bowles et al. 2021, after Schlemper et al. 2019). Torch-light: the CLI and
// the pipelines check the names here before any network exists.
//   gate normalisation   sigmoid  each position's coefficient in (0, 1) on its own
//                        softmax  a distribution over the positions of each map
//                                 (sums to 1 per image): the gates compete for mass
//   aggregation          concat   the attention-weighted descriptors of both gates
//                                 and the global mean of the deepest features,
//                                 concatenated into one dense head
//                        mean     one dense head per descriptor, logits averaged
#include <string>

namespace penumbra::nn {

enum class GateNormalisation { kSigmoid, kSoftmax };
enum class GateAggregation { kConcat, kMean };

// UsageError naming the quantity ("attention gate", "attention aggregation")
// for an unknown name; "" is the default (sigmoid, concat).
GateNormalisation parse_gate_normalisation(const std::string& name);
GateAggregation parse_gate_aggregation(const std::string& name);
std::string gate_normalisation_name(GateNormalisation g);
std::string gate_aggregation_name(GateAggregation a);

// UsageError when `gate` or `aggregation` is not a known name, or is set (not
// "") for a backbone other than attention, which has no gates to choose for.
void check_attention_options(const std::string& backbone, const std::string& gate,
                             const std::string& aggregation);

}  // namespace penumbra::nn
