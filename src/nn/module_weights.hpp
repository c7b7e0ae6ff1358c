#pragma once
// Loading a module's weights from a LibTorch archive with the shapes checked
// (internal to src/nn; includes <torch/torch.h>). torch::nn::Module::load
// resizes a parameter to the stored tensor's shape without a word, so weights
// of a wider or deeper network would load into a narrower config and fail
// later, far from the cause; these helpers say so at load time instead.
#include <torch/torch.h>

#include <string>

namespace penumbra::nn {

// Loads `m` from `ar` and returns "" or one line saying why the weights do not
// fit (the missing key, or "a tensor of shape A where B was expected").
std::string load_with_shapes_checked(torch::nn::Module& m, torch::serialize::InputArchive& ar);

}  // namespace penumbra::nn
