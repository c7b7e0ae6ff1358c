#include "src/nn/encoder.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/rng.hpp"
#include "src/core/run_folder.hpp"
#include "src/nn/module_weights.hpp"
#include "src/nn/resnet.hpp"

namespace penumbra {

nlohmann::json EncoderConfig::to_json() const {
  return {{"backbone", backbone}, {"channels", channels},     {"image_size", image_size},
          {"width", width},       {"depth", depth},           {"stages", stages},
          {"input_mean", input_mean}, {"input_std", input_std}};
}

EncoderConfig EncoderConfig::from_json(const nlohmann::json& j, const std::string& where) {
  EncoderConfig c;
  try {
    c.backbone = j.at("backbone").get<std::string>();
    c.channels = j.at("channels").get<int>();
    c.image_size = j.at("image_size").get<int>();
    c.width = j.at("width").get<int>();
    c.depth = j.at("depth").get<int>();
    c.stages = j.value("stages", c.stages);
    c.input_mean = j.value("input_mean", c.input_mean);
    c.input_std = j.value("input_std", c.input_std);
  } catch (const nlohmann::json::exception& e) {
    throw DataError(fmt::format("{}: not an encoder config ({})", where, e.what()));
  }
  return c;
}

std::int64_t EncoderConfig::feature_dim() const { return static_cast<std::int64_t>(width) << (stages - 1); }

void check_encoder_config(const EncoderConfig& c) {
  require_in("backbone", c.backbone, {"resnet"});
  if (c.channels != 1 && c.channels != 3)
    throw UsageError(fmt::format("channels must be 1 or 3, got {}", c.channels));
  require_in_range("width", c.width, 4, 64);
  require_in_range("depth", c.depth, 1, 4);
  require_in_range("stages", c.stages, 3, 4);
  require_at_least("image size", c.image_size, 1 << c.stages);
  for (const auto* v : {&c.input_mean, &c.input_std})
    if (v->size() != 1 && v->size() != static_cast<std::size_t>(c.channels))
      throw UsageError(fmt::format("input normalisation has {} values for {} channels", v->size(), c.channels));
  for (double s : c.input_std) require_positive("input std", s);
}

namespace {
torch::Tensor per_channel(const std::vector<double>& v) {
  std::vector<float> f(v.begin(), v.end());
  return torch::tensor(f).reshape({1, -1, 1, 1});
}

void copy_state(torch::nn::Module& from, torch::nn::Module& to) {
  torch::NoGradGuard no_grad;
  auto a = from.named_parameters(), b = to.named_parameters();
  for (auto& p : a) b[p.key()].copy_(p.value());
  auto ab = from.named_buffers(), bb = to.named_buffers();
  for (auto& p : ab) bb[p.key()].copy_(p.value());
}

void set_grad(const std::vector<torch::Tensor>& params, bool requires_grad) {
  for (auto p : params) p.set_requires_grad(requires_grad);
}

void read_archive(torch::serialize::InputArchive& ar, const std::filesystem::path& file) {
  if (!std::filesystem::exists(file)) throw MissingInputError(fmt::format("{}: file not found", file.string()));
  try {
    ar.load_from(file.string());
  } catch (const c10::Error&) {
    throw DataError(fmt::format("{}: not a LibTorch weights archive", file.string()));
  }
}

void load_module(torch::nn::Module& m, torch::serialize::InputArchive& ar, const std::filesystem::path& file,
                 const std::string& what) {
  const std::string problem = nn::load_with_shapes_checked(m, ar);
  if (!problem.empty()) throw DataError(fmt::format("{}: weights do not fit {} ({})", file.string(), what, problem));
}
}  // namespace

std::pair<std::vector<double>, std::vector<double>> channel_statistics(const at::Tensor& images,
                                                                       std::int64_t max_images) {
  auto sample = images.slice(0, 0, std::min<std::int64_t>(images.size(0), max_images));
  auto m = sample.mean({0, 2, 3}), s = sample.std({0, 2, 3}).clamp_min(1e-6);
  std::vector<double> mean, sd;
  for (std::int64_t c = 0; c < m.size(0); ++c) mean.push_back(m[c].item<double>()), sd.push_back(s[c].item<double>());
  return {mean, sd};
}

struct Encoder::Impl {
  nn::ResNetEncoder net{nullptr};
  torch::Tensor mean, std;
};

Encoder::Encoder(const EncoderConfig& config, std::uint64_t seed) : impl_(std::make_unique<Impl>()), config_(config) {
  check_encoder_config(config_);
  torch::manual_seed(derive_seed(seed, 0xE5C0DE));
  impl_->net = nn::ResNetEncoder(config_, nn::LayerOptions{false, -5.0});
  impl_->mean = per_channel(config_.input_mean);
  impl_->std = per_channel(config_.input_std);
}

Encoder::~Encoder() = default;

at::Tensor Encoder::forward(const at::Tensor& x) {
  const int c = config_.channels, s = config_.image_size;
  if (x.dim() != 4 || x.size(1) != c || x.size(2) != s || x.size(3) != s)
    throw DataError(fmt::format("images of shape {} do not fit the {} encoder: expected [B, {}, {}, {}]",
                                fmt::join(x.sizes(), "×"), config_.backbone, c, s, s));
  return impl_->net->forward((x.to(torch::kFloat32) - impl_->mean) / impl_->std);
}

std::vector<at::Tensor> Encoder::parameters() { return impl_->net->parameters(); }

std::int64_t Encoder::parameter_count() const {
  std::int64_t n = 0;
  for (const auto& p : impl_->net->parameters()) n += p.numel();
  return n;
}

void Encoder::set_train(bool train) { impl_->net->train(train); }
void Encoder::set_requires_grad(bool requires_grad) { set_grad(impl_->net->parameters(), requires_grad); }

void Encoder::set_input_normalisation(const std::vector<double>& mean, const std::vector<double>& std) {
  EncoderConfig c = config_;
  c.input_mean = mean, c.input_std = std;
  check_encoder_config(c);
  config_ = c;
  impl_->mean = per_channel(mean);
  impl_->std = per_channel(std);
}

void Encoder::set_image_size(int size) {
  EncoderConfig c = config_;
  c.image_size = size;
  check_encoder_config(c);
  config_ = c;
}

std::unique_ptr<Encoder> Encoder::clone() const {
  auto copy = std::make_unique<Encoder>(config_, 0);
  copy_state(*impl_->net, *copy->impl_->net);
  copy->impl_->net->train(impl_->net->is_training());
  copy->trained_by_ = trained_by_;
  return copy;
}

void Encoder::save_weights(const std::filesystem::path& file) const {
  torch::serialize::OutputArchive ar;
  impl_->net->save(ar);
  ar.write("penumbra_backbone", c10::IValue(config_.backbone));
  write_atomic(file, [&](const std::filesystem::path& tmp) { ar.save_to(tmp.string()); });
}

void Encoder::load_weights(const std::filesystem::path& file) {
  torch::serialize::InputArchive ar;
  read_archive(ar, file);
  c10::IValue tag;
  if (!ar.try_read("penumbra_backbone", tag) || !tag.isString())
    throw DataError(fmt::format("{}: weights carry no backbone tag; not a Penumbra encoder", file.string()));
  if (tag.toStringRef() != config_.backbone)
    throw DataError(fmt::format("{}: weights are of a '{}' backbone, expected '{}'", file.string(),
                                tag.toStringRef(), config_.backbone));
  load_module(*impl_->net, ar, file, fmt::format("the {} encoder of its config", config_.backbone));
}

void Encoder::save(const std::filesystem::path& dir, const nlohmann::json& extra) const {
  std::filesystem::create_directories(dir);
  save_weights(dir / "encoder.pt");
  nlohmann::json j = {{"encoder", config_.to_json()}, {"trained_by", extra}};
  write_text_atomic(dir / "encoder.json", j.dump(2) + "\n");
}

std::unique_ptr<Encoder> Encoder::load(const std::filesystem::path& dir, const std::string& expected_backbone) {
  if (!std::filesystem::is_directory(dir))
    throw MissingInputError(fmt::format("{}: encoder checkpoint folder not found", dir.string()));
  if (!std::filesystem::exists(dir / "encoder.json")) {
    if (std::filesystem::exists(dir / "config.json"))
      throw DataError(fmt::format("{}: a classifier model folder, not an encoder checkpoint (write one with "
                                  "`penumbra pretrain`)", dir.string()));
    throw MissingInputError(fmt::format("{}: encoder checkpoint has no encoder.json", dir.string()));
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_text(dir / "encoder.json"));
  } catch (const nlohmann::json::exception& e) {
    throw DataError(fmt::format("{}: not valid JSON ({})", (dir / "encoder.json").string(), e.what()));
  }
  const std::string where = (dir / "encoder.json").string();
  if (!j.contains("encoder")) throw DataError(fmt::format("{}: no \"encoder\" section", where));
  std::string backbone = j["encoder"].value("backbone", std::string("?"));
  if (!expected_backbone.empty() && backbone != expected_backbone)
    throw DataError(fmt::format("{}: checkpoint holds a '{}' encoder, expected '{}'", dir.string(), backbone,
                                expected_backbone));
  auto config = EncoderConfig::from_json(j["encoder"], where);
  try {
    check_encoder_config(config);
  } catch (const UsageError& e) {
    throw DataError(fmt::format("{}: {}", where, e.what()));
  }
  auto encoder = std::make_unique<Encoder>(config, 0);
  encoder->load_weights(dir / "encoder.pt");
  encoder->trained_by_ = j.value("trained_by", nlohmann::json::object());
  return encoder;
}

struct MlpHead::Impl {
  torch::nn::Sequential seq{nullptr};
};

MlpHead::MlpHead(std::int64_t in, std::int64_t hidden, std::int64_t out, bool batch_norm, std::uint64_t seed)
    : impl_(std::make_unique<Impl>()), in_(in), hidden_(hidden), out_(out), batch_norm_(batch_norm) {
  torch::manual_seed(derive_seed(seed, 0x4EAD));
  impl_->seq = torch::nn::Sequential();
  if (hidden <= 0) {
    impl_->seq->push_back(torch::nn::Linear(in, out));
    return;
  }
  impl_->seq->push_back(torch::nn::Linear(in, hidden));
  if (batch_norm) impl_->seq->push_back(torch::nn::BatchNorm1d(hidden));
  impl_->seq->push_back(torch::nn::ReLU());
  impl_->seq->push_back(torch::nn::Linear(hidden, out));
}

MlpHead::~MlpHead() = default;

at::Tensor MlpHead::forward(const at::Tensor& x) { return impl_->seq->forward(x); }
std::vector<at::Tensor> MlpHead::parameters() { return impl_->seq->parameters(); }
void MlpHead::set_train(bool train) { impl_->seq->train(train); }
void MlpHead::set_requires_grad(bool requires_grad) { set_grad(impl_->seq->parameters(), requires_grad); }

std::unique_ptr<MlpHead> MlpHead::clone() const {
  auto copy = std::make_unique<MlpHead>(in_, hidden_, out_, batch_norm_, 0);
  copy_state(*impl_->seq, *copy->impl_->seq);
  return copy;
}

void MlpHead::save_weights(const std::filesystem::path& file) const {
  torch::serialize::OutputArchive ar;
  impl_->seq->save(ar);
  write_atomic(file, [&](const std::filesystem::path& tmp) { ar.save_to(tmp.string()); });
}

void MlpHead::load_weights(const std::filesystem::path& file) {
  torch::serialize::InputArchive ar;
  read_archive(ar, file);
  load_module(*impl_->seq, ar, file, fmt::format("a {}→{}→{} head", in_, hidden_, out_));
}

}  // namespace penumbra
