#include "src/nn/classifier.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include <fstream>

#include "src/core/errors.hpp"
#include "src/core/rng.hpp"
#include "src/core/run_folder.hpp"
#include "src/nn/attention_options.hpp"
#include "src/nn/backbone_registry.hpp"
#include "src/nn/backbones.hpp"
#include "src/nn/module_weights.hpp"

namespace penumbra {

nlohmann::json ClassifierConfig::to_json() const {
  nlohmann::json j = {{"backbone", backbone},   {"bayesian", bayesian},       {"image_size", image_size},
                      {"n_classes", n_classes}, {"class_names", class_names}, {"group", group},
                      {"rho_init", rho_init},   {"input_mean", input_mean},   {"input_std", input_std},
                      {"extra", extra}};
  // Written only when not the default, so that folders saved before the knobs existed
  // and the other backbones' config.json stay as they were.
  const ClassifierConfig d;
  if (channels != d.channels) j["channels"] = channels;
  if (width != d.width) j["width"] = width;
  if (depth != d.depth) j["depth"] = depth;
  if (stages != d.stages) j["stages"] = stages;
  if (backbone == "attention") {
    j["attention_gate"] = nn::gate_normalisation_name(nn::parse_gate_normalisation(attention_gate));
    j["attention_aggregation"] = nn::gate_aggregation_name(nn::parse_gate_aggregation(attention_aggregation));
  }
  return j;
}

ClassifierConfig ClassifierConfig::from_json(const nlohmann::json& j, const std::string& where) {
  ClassifierConfig c;
  try {
    c.backbone = j.at("backbone").get<std::string>();
    c.bayesian = j.at("bayesian").get<bool>();
    c.image_size = j.at("image_size").get<int>();
    c.n_classes = j.at("n_classes").get<int>();
    c.class_names = j.value("class_names", c.class_names);
    c.group = j.value("group", c.group);
    c.rho_init = j.value("rho_init", c.rho_init);
    c.input_mean = j.value("input_mean", 0.0);
    c.input_std = j.value("input_std", 1.0);
    c.extra = j.value("extra", nlohmann::json::object());
    c.channels = j.value("channels", 1);
    c.width = j.value("width", c.width);
    c.depth = j.value("depth", c.depth);
    c.stages = j.value("stages", c.stages);
    if (c.backbone == "attention") {  // folders saved before the choices existed: sigmoid, concat
      c.attention_gate = j.value("attention_gate", c.attention_gate);
      c.attention_aggregation = j.value("attention_aggregation", c.attention_aggregation);
    }
  } catch (const nlohmann::json::exception& e) {
    throw DataError(fmt::format("{}: not a classifier config ({})", where, e.what()));
  }
  return c;
}

void check_backbone_options(const std::string& backbone, const std::string& group) {
  const BackboneEntry& e = backbone_registry().get(backbone);  // UsageError listing the known ones
  if (e.check) e.check(BackboneShape{0, 2, group});
}

struct Classifier::Impl {
  std::shared_ptr<nn::BackboneImpl> net;
};

namespace {
std::shared_ptr<nn::BackboneImpl> make_backbone(const ClassifierConfig& c) {
  if (c.n_classes < 2) throw UsageError(fmt::format("classifier needs at least 2 classes, got {}", c.n_classes));
  check_backbone_options(c.backbone, c.group);
  nn::check_attention_options(c.backbone, c.attention_gate, c.attention_aggregation);
  if (c.channels != 1 && c.backbone != "resnet")
    throw UsageError(fmt::format("the {} backbone takes 1 channel, got {} (resnet takes 3)", c.backbone, c.channels));
  BackboneShape shape{c.image_size, c.n_classes, c.group, c.channels, c.width, c.depth, c.stages};
  shape.attention_gate = c.attention_gate;
  shape.attention_aggregation = c.attention_aggregation;
  return backbone_registry().get(c.backbone).make(shape, nn::LayerOptions{c.bayesian, c.rho_init});
}
}  // namespace

std::string backbone_help() { return backbone_registry().help(); }

Classifier::Classifier(const ClassifierConfig& config, std::uint64_t seed) : impl_(std::make_unique<Impl>()), config_(config) {
  torch::manual_seed(derive_seed(seed, 0xC1A55));
  impl_->net = make_backbone(config_);
}

Classifier::~Classifier() = default;

at::Tensor Classifier::forward(const at::Tensor& x) {
  auto in = x.dim() == 3 ? x.unsqueeze(1) : x;
  if (in.dim() != 4 || in.size(1) != config_.channels || in.size(2) != config_.image_size ||
      in.size(3) != config_.image_size)
    throw DataError(fmt::format("images of shape {} do not fit the {} model: expected [B, {}, {}, {}]",
                                fmt::join(in.sizes(), "×"), config_.backbone, config_.channels, config_.image_size,
                                config_.image_size));
  in = (in.to(torch::kFloat32) - config_.input_mean) / config_.input_std;
  return impl_->net->forward(in);
}

void Classifier::set_sampling(bool sampling) {
  for (auto& m : impl_->net->modules())
    if (auto* p = m->as<nn::BayesParamImpl>()) p->sampling = sampling;
}

void Classifier::set_train(bool train) { impl_->net->train(train); }

void Classifier::set_batch_shard(std::int64_t offset, std::int64_t global_batch) {
  for (auto& m : impl_->net->modules())
    if (auto* l = m->as<nn::BayesLinearImpl>()) l->batch_offset = offset, l->global_batch = global_batch;
}

std::vector<at::Tensor> Classifier::parameters() { return impl_->net->parameters(); }

std::vector<VariationalTensor> Classifier::variational_tensors() {
  std::vector<VariationalTensor> out;
  for (auto& item : impl_->net->named_modules()) {
    auto* p = item.value()->as<nn::BayesParamImpl>();
    if (!p) continue;
    bool is_weight = item.key().size() >= 6 && item.key().substr(item.key().size() - 6) == "weight";
    out.push_back({item.key(), p->mu, p->sigma(), p->mask, p->dense && is_weight});
  }
  return out;
}

std::vector<at::Tensor> Classifier::attention_maps() const { return impl_->net->attention_maps(); }
at::Tensor Classifier::features() const { return impl_->net->features; }

std::int64_t Classifier::weight_count() const {
  std::int64_t n = 0;
  for (auto& m : impl_->net->modules())
    if (auto* p = m->as<nn::BayesParamImpl>()) n += p->mu.numel();
  return n;
}

void Classifier::save(const std::filesystem::path& dir) const {
  std::filesystem::create_directories(dir);
  torch::serialize::OutputArchive ar;
  impl_->net->save(ar);
  ar.write("penumbra_backbone", c10::IValue(config_.backbone));
  ar.write("penumbra_group", c10::IValue(config_.group));
  write_atomic(dir / "weights.pt", [&](const std::filesystem::path& tmp) { ar.save_to(tmp.string()); });
  write_text_atomic(dir / "config.json", config_.to_json().dump(2) + "\n");
}

std::unique_ptr<Classifier> Classifier::load(const std::filesystem::path& dir, const std::string& expected_backbone) {
  if (!std::filesystem::is_directory(dir))
    throw MissingInputError(fmt::format("{}: model folder not found", dir.string()));
  for (const char* f : {"config.json", "weights.pt"})
    if (!std::filesystem::exists(dir / f))
      throw MissingInputError(fmt::format("{}: model folder has no {}", dir.string(), f));
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_text(dir / "config.json"));
  } catch (const nlohmann::json::exception& e) {
    throw DataError(fmt::format("{}: not valid JSON ({})", (dir / "config.json").string(), e.what()));
  }
  auto config = ClassifierConfig::from_json(j, (dir / "config.json").string());
  if (!expected_backbone.empty() && expected_backbone != config.backbone)
    throw DataError(fmt::format("{}: model folder holds a '{}' backbone, expected '{}'", dir.string(), config.backbone,
                                expected_backbone));
  auto model = std::make_unique<Classifier>(config, 0);
  torch::serialize::InputArchive ar;
  try {
    ar.load_from((dir / "weights.pt").string());
  } catch (const c10::Error& e) {
    throw DataError(fmt::format("{}: not a LibTorch weights archive", (dir / "weights.pt").string()));
  }
  c10::IValue tag;
  if (!ar.try_read("penumbra_backbone", tag) || !tag.isString())
    throw DataError(fmt::format("{}: weights carry no backbone tag; not a Penumbra classifier",
                                (dir / "weights.pt").string()));
  if (tag.toStringRef() != config.backbone)
    throw DataError(fmt::format("{}: weights are of a '{}' backbone but config.json says '{}'",
                                (dir / "weights.pt").string(), tag.toStringRef(), config.backbone));
  const std::string problem = nn::load_with_shapes_checked(*model->impl_->net, ar);
  if (!problem.empty())
    throw DataError(fmt::format("{}: weights do not fit the '{}' model of config.json ({})",
                                (dir / "weights.pt").string(), config.backbone, problem));
  return model;
}

}  // namespace penumbra
