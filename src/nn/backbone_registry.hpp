#pragma once
// The classifier backbones, one table (backbone_registry.cpp). Adding a
// backbone: write it in src/nn/ (a BackboneImpl) and add one entry there;
// `classify --backbone` lists it in its help and accepts it.
#include <functional>
#include <memory>
#include <string>

#include "src/core/registry.hpp"
#include "src/nn/backbones.hpp"

namespace penumbra {

struct BackboneShape {
  int image_size = 0;  // input side, pixels
  int classes = 2;
  std::string group;   // symmetry group of equivariant backbones ("C4", "D8", ...)
  int channels = 1;    // input channels (resnet: 1 or 3; the others take 1)
  int width = 16, depth = 1, stages = 4;  // resnet: first-stage width, blocks per stage, stages (src/nn/resnet.hpp)
  // attention: gate normalisation and aggregation ("" = sigmoid, concat; src/nn/attention_options.hpp)
  std::string attention_gate, attention_aggregation;
};

struct BackboneEntry {
  std::string name;  // --backbone NAME
  std::string help;  // one line
  std::function<std::shared_ptr<nn::BackboneImpl>(const BackboneShape&, const nn::LayerOptions&)> make;
  // Checks the options only this backbone reads (its group); null when there are none.
  std::function<void(const BackboneShape&)> check = nullptr;
};

Registry<BackboneEntry>& backbone_registry();

}  // namespace penumbra
