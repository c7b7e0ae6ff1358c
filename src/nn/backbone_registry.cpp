#include "src/nn/backbone_registry.hpp"

#include "src/nn/group_attention.hpp"
#include "src/nn/resnet.hpp"

namespace penumbra {

namespace {

std::shared_ptr<nn::BackboneImpl> make_lenet(const BackboneShape& s, const nn::LayerOptions& o) {
  return std::make_shared<nn::LeNetImpl>(s.image_size, s.classes, o);
}
std::shared_ptr<nn::BackboneImpl> make_attention(const BackboneShape& s, const nn::LayerOptions& o) {
  return std::make_shared<nn::AttentionNetImpl>(s.image_size, s.classes, o,
                                                nn::parse_gate_normalisation(s.attention_gate),
                                                nn::parse_gate_aggregation(s.attention_aggregation));
}
std::shared_ptr<nn::BackboneImpl> make_equivariant(const BackboneShape& s, const nn::LayerOptions& o) {
  return std::make_shared<nn::EquivariantNetImpl>(s.image_size, s.classes, nn::Group::parse(s.group), o);
}

std::shared_ptr<nn::BackboneImpl> make_group_attention(const BackboneShape& s, const nn::LayerOptions& o) {
  return std::make_shared<nn::GroupAttentionNetImpl>(s.image_size, s.classes, nn::Group::parse(s.group), o);
}

std::shared_ptr<nn::BackboneImpl> make_resnet(const BackboneShape& s, const nn::LayerOptions& o) {
  EncoderConfig c;
  c.channels = s.channels, c.image_size = s.image_size, c.width = s.width, c.depth = s.depth;
  c.stages = s.stages;
  return std::make_shared<nn::ResNetImpl>(c, s.classes, o);
}

Registry<BackboneEntry> builtin_backbones() {
  Registry<BackboneEntry> r("backbone");
  r.add({"lenet", "4 conv + 3 dense, Mohan et al. 2022", make_lenet});
  r.add({"attention", "attention-gated CNN, Bowles et al. 2021", make_attention});
  r.add({"equivariant", "G-CNN for C_N/D_N, --group", make_equivariant,
         [](const BackboneShape& s) { nn::Group::parse(s.group); }});
  r.add({"ge-attention", "group-equivariant self-attention for C/D 4, 8, 16, --group", make_group_attention,
         [](const BackboneShape& s) { nn::check_attention_group(nn::Group::parse(s.group)); }});
  r.add({"resnet", "ResNet-style encoder (GroupNorm, width/depth knobs) + dense head", make_resnet});
  return r;
}

}  // namespace

Registry<BackboneEntry>& backbone_registry() {
  static Registry<BackboneEntry> registry = builtin_backbones();
  return registry;
}

}  // namespace penumbra
