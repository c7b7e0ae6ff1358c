#pragma once
// Classifier studies: training a model folder (one model or a deep ensemble of
// members, each with its fingerprint so that a later run reuses what is
// finished), its validation metrics and per-image predictions, the
// cold-posterior temperature sweep. Cross-validation is in cross_validation.hpp,
// the runs on a saved model folder in classifier_prediction.hpp.
//
// Run-folder layout of a trained model folder: config.json + weights.pt (one
// model), or ensemble.json + member-<m>/ (each a model folder with
// train_log.csv, metrics.json, reliability.png and member.json, the member's
// fingerprint written last); metrics.json + reliability.png of the whole.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "src/diagnostics/calibration.hpp"
#include "src/model/data_parallel.hpp"
#include "src/nn/classifier.hpp"
#include "src/nn/training.hpp"
#include "src/pipelines/classifier_data.hpp"

namespace penumbra {

struct ClassifierTrainOptions {
  std::string backbone = "lenet", group = "D4", prior = "gaussian", tempering = "partial";
  bool deterministic = false, augment = true;
  double temperature = 1.0, lr = 1e-3, rho_init = -5.0;
  int epochs = 10, batch = 16, mc_kl = 1, eval_samples = 20;
  int ensemble = 1;          // members of a deep ensemble (src/nn/ensemble.hpp)
  std::string tta = "none";  // test-time augmentation of the final validation metrics
  // attention backbone: gate normalisation and aggregation ("" = sigmoid, concat)
  std::string attention_gate, attention_aggregation;
  // resnet backbone: first-stage width (4..64), blocks per stage (1..4), stages (3..4),
  // as `pretrain` and `finetune` take them (src/nn/resnet.hpp)
  int width = 16, depth = 1, stages = 4;
};

// UsageError naming the quantity for every option that can be checked
// without data, so that a bad one stops before anything is written.
void validate(const ClassifierTrainOptions& t);
// The training-loop settings of `t` (src/nn/training.hpp).
ClassifierTraining training_settings(const ClassifierTrainOptions& t);

// The options that change a model's predictions: what a cross-validation fold
// records and --resume compares.
nlohmann::json train_settings(const ClassifierTrainOptions& t, const ClassifierDataOptions& d);
// train_settings without the options that act only when predicting (test-time
// augmentation, evaluation samples): folds that differ in those alone are
// re-evaluated, not retrained.
nlohmann::json model_settings(nlohmann::json settings);
// Whether two fingerprints differ in the ensemble size alone (and both are
// ensembles, whose members are folders that can be reused).
bool other_ensemble_size_only(nlohmann::json a, nlohmann::json b);
// What a member folder must record to be reused: its training options (less
// the ensemble size and what acts only when predicting), seed and images.
nlohmann::json member_fingerprint(const ClassifierTrainOptions& t, const ClassifierDataOptions& d,
                                  const LabelledImages& train, std::uint64_t member_seed);

// A model's configuration with every training setting recorded (so that eval
// can make the split again and predict can crop as in training); `split_seed`
// made the train/val split.
ClassifierConfig member_config(const ClassifierTrainOptions& t, const ClassifierDataOptions& d,
                               const LabelledImages& train, const LabelledImages& val, std::uint64_t seed,
                               std::uint64_t split_seed);

struct TrainedModel {
  ClassifierConfig config;        // member 0's
  CalibrationReport val;          // the ensemble's (all members' samples)
  std::vector<double> val_probs;  // [M·K][N][C]
  int val_samples = 0;            // M·K
  double seconds_per_epoch = 0;   // mean over the members
  std::int64_t weights = 0;       // summed over the members
  bool pooled = true;             // false on the ranks other than 0 of a multi-process run
};

// What rank 0 needs of one trained member to pool a model folder; bytes
// travel between processes losslessly (CBOR).
struct MemberSummary {
  ClassifierConfig config;
  std::vector<double> val_probs;  // [K][N][C]
  int val_samples = 0;            // K
  double seconds_per_epoch = 0;
  std::int64_t weights = 0;
  std::string to_bytes() const;
  static MemberSummary from_bytes(const std::string& bytes);
};

// Member m of the t.ensemble members of the model folder `dir` (the folder
// itself for one member; member m from its own seed, member 0 from `seed`, so
// that an ensemble of one is the plain model), trained, or with
// `reuse_members` reloaded when its folder records its fingerprint, and its
// predictions of `val`. Trained on the processes of `dp` (data-parallel); its
// rank 0 alone writes the member's files, predicts and returns the summary
// (other ranks: an empty one).
MemberSummary train_or_reuse_member(const ClassifierTrainOptions& t, const ClassifierDataOptions& d,
                                    const LabelledImages& train, const LabelledImages& val, std::uint64_t seed,
                                    int m, const std::filesystem::path& dir, bool reuse_members,
                                    const DataParallel& dp);

// The model folder's result from its members in member order (ensemble.json
// written in `dir` when there are several).
TrainedModel pool_members(const std::vector<MemberSummary>& members, const LabelledImages& val,
                          const std::filesystem::path& dir);

// Trains what t.ensemble asks for into `dir`: a model folder, or M member
// folders and ensemble.json, and predicts `val`. With `reuse_members`, a member
// folder finished by an earlier run with the same fingerprint is loaded and
// predicts instead of training again: an interrupted ensemble resumes, and a
// larger ensemble grows a finished one.
//
// Under mpirun every process calls it: one model trains data-parallel over
// them, the members of an ensemble are shared out (src/pipelines/distributed_items);
// rank 0 alone writes the folder's files and returns the result (the other
// ranks an empty one, `pooled` false).
TrainedModel train_model_folder(const ClassifierTrainOptions& t, const ClassifierDataOptions& d,
                                const LabelledImages& train, const LabelledImages& val, std::uint64_t seed,
                                const std::filesystem::path& dir, bool reuse_members = false);

// metrics.json (the report with `extra` merged in) and reliability.png in `dir`.
void write_metrics(const std::filesystem::path& dir, const CalibrationReport& r, const nlohmann::json& extra,
                   const std::string& title);

// predictions.csv: one row per image (fold, id, true and predicted class, the
// predictive probabilities, entropy, mutual information, and the fraction of
// samples/members that share the decision), so that a user can look up which
// sources a model gets wrong and whether every member shares the error.
std::string image_predictions_header(const std::vector<std::string>& class_names);
// Rows for probs [K][N][C] of `images` (their labels and ids); fold −1 for a plain split.
std::string image_predictions_rows(const std::vector<double>& probs, int K, const LabelledImages& images, int fold);

// train_model_folder, then the folder's validation metrics (when there are
// validation images) with the model's configuration, size and training time
// (written by rank 0).
TrainedModel train_classifier_folder(const ClassifierTrainOptions& t, const ClassifierDataOptions& d,
                                     const LabelledImages& train, const LabelledImages& val, std::uint64_t seed,
                                     const std::filesystem::path& dir);

// Cold-posterior sweep: one model folder T=<T>/ per temperature (trained with
// t.temperature = T), temperature_sweep.csv after each and temperature_sweep.png
// at the end, in `dir`. `on_point` sees each temperature's validation report.
void temperature_sweep(const ClassifierTrainOptions& t, const ClassifierDataOptions& d,
                       const std::vector<double>& temperatures, const LabelledImages& train,
                       const LabelledImages& val, std::uint64_t seed, const std::filesystem::path& dir,
                       const std::function<void(double, const CalibrationReport&)>& on_point);

}  // namespace penumbra
