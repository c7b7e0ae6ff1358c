#pragma once
// Image encoders for representation learning (Torch-light facade; the modules
// live in src/nn/resnet.hpp): an encoder maps raw images [B, C, S, S] to a
// feature vector [B, F], and a head (linear or a small MLP) maps features to
// outputs. Pretraining (`penumbra pretrain`) trains an encoder; fine-tuning
// (`penumbra finetune`) loads it and puts a new head on it.
//
// Encoder checkpoint folder: encoder.json (EncoderConfig + what trained it)
// and encoder.pt (a LibTorch archive tagged with the backbone name, so a
// folder of another backbone, or a classifier model folder, is refused with
// one line).
#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace penumbra {

struct EncoderConfig {
  std::string backbone = "resnet";
  int channels = 1;     // 1 (grey) or 3 (RGB)
  int image_size = 64;  // input side, pixels
  int width = 16;       // channels of the first stage; stage s has width·2^s
  int depth = 1;        // residual blocks per stage
  int stages = 4;       // 3 or 4; each after the first halves the side
  std::vector<double> input_mean = {0.0}, input_std = {1.0};  // per channel (or one for all)

  nlohmann::json to_json() const;
  static EncoderConfig from_json(const nlohmann::json& j, const std::string& where);
  // Width of the feature vector: width·2^(stages−1).
  std::int64_t feature_dim() const;
};
// UsageError naming the quantity: channels 1|3, width 4..64, depth 1..4,
// stages 3..4, image size ≥ 2^stages.
void check_encoder_config(const EncoderConfig& c);

// Per-channel mean and std of images [N, C, S, S] (the first `max_images`):
// the input normalisation an encoder is given for a data set.
std::pair<std::vector<double>, std::vector<double>> channel_statistics(const at::Tensor& images,
                                                                       std::int64_t max_images = 2000);

class Encoder {
 public:
  Encoder(const EncoderConfig& config, std::uint64_t seed);
  ~Encoder();
  Encoder(const Encoder&) = delete;
  Encoder& operator=(const Encoder&) = delete;

  const EncoderConfig& config() const { return config_; }
  // x [B, C, S, S] raw pixels (normalised here) → features [B, F]. DataError
  // when the shape does not fit the config.
  at::Tensor forward(const at::Tensor& x);
  std::vector<at::Tensor> parameters();
  std::int64_t parameter_count() const;
  void set_train(bool train);
  void set_requires_grad(bool requires_grad);
  // Per-channel (or one) mean and std subtracted and divided before the network.
  void set_input_normalisation(const std::vector<double>& mean, const std::vector<double>& std);
  // Runs the network on inputs of side `size` from now on (the weights do not
  // depend on it: convolutions and a mean over positions). UsageError when
  // `size` < 2^stages.
  void set_image_size(int size);
  // An independent copy with the same weights (BYOL's target network).
  std::unique_ptr<Encoder> clone() const;

  void save_weights(const std::filesystem::path& file) const;
  void load_weights(const std::filesystem::path& file);
  // encoder.json ({config, "trained_by": extra}) + encoder.pt into `dir`.
  void save(const std::filesystem::path& dir, const nlohmann::json& extra = nlohmann::json::object()) const;
  // MissingInputError when the folder or a file is missing; DataError (one line
  // naming the folder) when it holds another backbone, a classifier model, or
  // weights that do not fit its config.
  static std::unique_ptr<Encoder> load(const std::filesystem::path& dir, const std::string& expected_backbone = "resnet");
  // What encoder.json says trained it ({} for a fresh encoder).
  const nlohmann::json& trained_by() const { return trained_by_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  EncoderConfig config_;
  nlohmann::json trained_by_ = nlohmann::json::object();
};

// Linear (hidden = 0) or Linear–[BatchNorm]–ReLU–Linear head.
class MlpHead {
 public:
  MlpHead(std::int64_t in, std::int64_t hidden, std::int64_t out, bool batch_norm, std::uint64_t seed);
  ~MlpHead();
  MlpHead(const MlpHead&) = delete;
  MlpHead& operator=(const MlpHead&) = delete;
  at::Tensor forward(const at::Tensor& x);
  std::vector<at::Tensor> parameters();
  void set_train(bool train);
  void set_requires_grad(bool requires_grad);
  std::unique_ptr<MlpHead> clone() const;
  void save_weights(const std::filesystem::path& file) const;
  void load_weights(const std::filesystem::path& file);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::int64_t in_, hidden_, out_;
  bool batch_norm_;
};

}  // namespace penumbra
