#pragma once
// Runs on a saved classifier folder (a model or an ensemble): evaluation on a
// split of its data, pruning of its dense weights, and class probabilities with
// uncertainties for FITS/PNG image files (predictions.json, plus the attention
// maps of an attention backbone).
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "src/diagnostics/calibration.hpp"
#include "src/nn/classifier.hpp"
#include "src/pipelines/classifier_data.hpp"
#include "src/pipelines/pruning_study.hpp"

namespace penumbra {

struct ClassifierEnsemble;

// The images a saved model is evaluated on: `d.split` of the split it was
// trained with (its recorded split seed, else `seed`). DataError when their
// side is not the model's input size.
LabelledImages evaluation_images(const ClassifierConfig& cfg, const ClassifierDataOptions& d, std::uint64_t seed,
                                 const std::string& model_dir);

struct ClassifierEvaluation {
  CalibrationReport report;
  int samples = 0;  // K over all members
};
// predictions.csv, metrics.json (the report with `metrics_extra`) and
// reliability.png in `dir`, for `samples` posterior samples per member (one
// per deterministic member) from `seed`.
ClassifierEvaluation evaluate_classifier(ClassifierEnsemble& model, const LabelledImages& data, int samples,
                                         const std::string& tta, std::uint64_t seed, const std::filesystem::path& dir,
                                         const nlohmann::json& metrics_extra, const std::string& title);

// "snr,fisher" → the rankings; UsageError on an unknown one.
std::vector<PruneRanking> parse_prune_rankings(const std::string& list);
// pruning.csv and pruning.png in `dir` for the pruned fractions of the model's
// dense weights by each ranking, `samples` posterior samples each, from `seed`.
std::vector<PruningRow> prune_classifier(Classifier& model, const LabelledImages& data,
                                         const std::vector<double>& fractions, const std::vector<PruneRanking>& ranks,
                                         int samples, std::uint64_t seed, const std::filesystem::path& dir);

// FITS/PNG → [S][S] in the model's pixel scale: PNG grey /255 (MiraBest's
// 8-bit scale); FITS scaled to a peak of 1 (negative values clipped to 0,
// like MiraBest's sigma-clipped images). A larger image is centre-cropped and
// binned as in training only when it has the side the model was trained from.
std::vector<float> load_image_for(const ClassifierConfig& cfg, const std::filesystem::path& path);

// The image files as one set for the model (labels 0).
LabelledImages load_images_for(const ClassifierConfig& cfg, const std::vector<std::string>& files);

struct ImageFilePrediction {
  std::string image;  // the file as given
  ImagePrediction prediction;
};
// Predicts `images` (loaded from `files` by load_images_for) with `samples`
// posterior samples per member from `seed`; writes predictions.json (and
// attention_<i>.png for an attention backbone: member 0's maps) in `dir`.
std::vector<ImageFilePrediction> predict_image_files(ClassifierEnsemble& model, const LabelledImages& images,
                                                     const std::vector<std::string>& files, int samples,
                                                     const std::string& tta, std::uint64_t seed,
                                                     const std::filesystem::path& dir);

}  // namespace penumbra
