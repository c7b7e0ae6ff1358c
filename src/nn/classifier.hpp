#pragma once
// A radio-galaxy classifier: one of the backbones (lenet, attention,
// equivariant), deterministic or Bayesian (mean-field Gaussian weights), with
// its input normalisation. Torch-light facade: other layers and the CLI use
// this header; the modules live in src/nn/backbones.hpp.
//
// Model folder layout: config.json (ClassifierConfig as JSON) + weights.pt
// (a LibTorch archive of every parameter and buffer, tagged with the backbone
// name so a folder from another backbone is refused with one clear line).
#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace penumbra {

struct ClassifierConfig {
  std::string backbone = "lenet";  // lenet | attention | equivariant
  bool bayesian = true;
  int image_size = 150;            // input side, pixels (images are square)
  int n_classes = 2;
  std::vector<std::string> class_names = {"FRI", "FRII"};
  std::string group = "D4";        // equivariant only: C<N> or D<N>
  int channels = 1;                // input channels (resnet: 1 or 3)
  // resnet only: first-stage width, blocks per stage, stages (src/nn/resnet.hpp);
  // config.json records them (and channels) only when not the default.
  int width = 16, depth = 1, stages = 4;
  // attention only: gate normalisation (sigmoid | softmax) and aggregation
  // (concat | mean); "" is sigmoid, concat (src/nn/attention_options.hpp).
  std::string attention_gate, attention_aggregation;
  double rho_init = -5.0;          // σ = softplus(ρ) at initialisation
  double input_mean = 0.0, input_std = 1.0;  // x ↦ (x − mean)/std before the network
  nlohmann::json extra;            // training settings recorded with the model (prior, T, ...)

  nlohmann::json to_json() const;
  static ClassifierConfig from_json(const nlohmann::json& j, const std::string& where);
};

// One variational weight tensor: μ (the parameter), σ = softplus(ρ) (a fresh,
// differentiable tensor at each call), and its 0/1 pruning mask (shared buffer:
// writing into it prunes the model).
struct VariationalTensor {
  std::string name;
  at::Tensor mu, sigma, mask;
  bool dense = false;  // weight of a fully-connected layer (not a bias)
};

class Classifier {
 public:
  Classifier(const ClassifierConfig& config, std::uint64_t seed);
  ~Classifier();
  Classifier(const Classifier&) = delete;
  Classifier& operator=(const Classifier&) = delete;

  const ClassifierConfig& config() const { return config_; }
  // x [B, S, S] or [B, channels, S, S] raw pixels (normalised here) → logits [B, C].
  // Throws DataError if S differs from config().image_size.
  at::Tensor forward(const at::Tensor& x);
  // Bayesian models: true draws weights from q at every forward, false uses μ.
  void set_sampling(bool sampling);
  void set_train(bool train);
  // Data-parallel training: the next forwards see rows [offset, offset + B) of
  // a global batch of `global_batch` (0: whole batches, the default); see
  // BayesLinearImpl in src/nn/bayesian_layers.hpp.
  void set_batch_shard(std::int64_t offset, std::int64_t global_batch);
  std::vector<at::Tensor> parameters();
  std::vector<VariationalTensor> variational_tensors();
  // Attention maps of the last forward (attention backbone), [B, 1, h, w] each.
  std::vector<at::Tensor> attention_maps() const;
  // Features of the last forward (the input of the final dense layer), [B, F].
  at::Tensor features() const;
  std::int64_t weight_count() const;  // number of μ entries (the network's weights)

  void save(const std::filesystem::path& dir) const;
  // Loads a model folder. `expected_backbone` (if not empty) must match.
  // MissingInputError when the folder or a file is missing; DataError when the
  // weights do not match the config (another backbone, or tensors of another
  // shape: a resnet of another width or depth).
  static std::unique_ptr<Classifier> load(const std::filesystem::path& dir, const std::string& expected_backbone = "");

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  ClassifierConfig config_;
};

// Names of the backbones with one-line help, for --help.
std::string backbone_help();
// Throws UsageError if `backbone` is unknown or (equivariant) `group` is not
// C<N>/D<N>: lets the CLI refuse bad options before it creates a run folder.
void check_backbone_options(const std::string& backbone, const std::string& group);

}  // namespace penumbra
