#pragma once
// The label-volume study of semi-supervised learning (issue 24): how accuracy,
// NLL and ECE grow with the number of labelled images for supervised training
// and for FixMatch, and how FixMatch's gain depends on the unlabelled pool.
//
// The labelled subset (MiraBest Confident, or the synthetic set) is split into
// K stratified folds; for fold f the other folds are the training images, N of
// them labelled (take_labelled: N/C per class), and fold f validates. Cells:
// labels N × method × pool × fold, supervised cells having no pool. Pools:
//   rest            MiraBest Uncertain + Hybrid + the fold's unused Confident images
//   imbalanced:A:B  drawn from the FR-labelled part of `rest` (Uncertain + unused
//                   Confident) at exactly A FRI per B FRII images
//   degraded        `rest` blurred and noisier (src/datasets/image_degradation.hpp)
//   synthetic       the synthetic FR generator (a shifted pool for MiraBest)
//   <subset>        one MiraBest subset (uncertain, hybrid)
// every pool at most `pool_size` images (a seeded draw). No pool may hold a
// validation image (UsageError for a subset that overlaps it, DataError when a
// built pool shares an image id or pixels with the fold).
//
// Each fixmatch cell also measures the Fréchet distance between its labelled
// images and its pool (src/pipelines/dataset_shift.hpp) in the features of a
// fixed encoder: `encoder` (a model folder) or, by default, the supervised
// model of the same fold and label count (what a user holding N labels has
// when deciding whether a pool is worth using; Fréchet distances are then
// compared across pools at one label count, not across counts). The SSL gain of a
// pool at N labels is fixmatch − supervised per fold (paired: the same labelled
// images and initial weights), its mean and standard error over the folds; its
// Pearson correlation with the Fréchet distance is taken across the pools (the
// fold means) and across the pool × fold cells.
//
// Run folder: cells/<cell>/ (a model folder; cell.json written last, with the
// fingerprint a resumed run compares), label_volume.csv (one row per cell),
// label_volume_summary.csv, ssl_gain.csv, label_volume.json,
// label_volume_accuracy.png and label_volume_ece.png (± 1 s.e. over folds).
// Under mpirun the cells are shared over the ranks (supervised cells first,
// so that each fold's encoder exists before the fixmatch cells need it).
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "src/datasets/image_degradation.hpp"
#include "src/nn/fixmatch.hpp"
#include "src/pipelines/classifier_data.hpp"
#include "src/pipelines/classifier_study.hpp"
#include "src/pipelines/dataset_shift.hpp"

namespace penumbra {

struct UnlabelledPoolSpec {
  enum class Kind { kRest, kImbalanced, kDegraded, kSynthetic, kSubset };
  Kind kind = Kind::kRest;
  int fri = 1, frii = 1;  // kImbalanced: FRI:FRII
  std::string name;       // as given
};
// "rest", "imbalanced:1:4", "degraded", "synthetic", "uncertain", ...; UsageError otherwise.
UnlabelledPoolSpec parse_unlabelled_pool(const std::string& spec);

// "all" → 0 (every training image of the fold), "50" → 50; UsageError otherwise.
int parse_label_count(const std::string& text);

struct LabelVolumeOptions {
  std::vector<int> labels = {50, 100, 200};  // 0: all the fold's training images
  std::vector<std::string> methods = {"supervised", "fixmatch"};
  std::vector<std::string> pools = {"rest"};
  int folds = 3;
  bool resume = false;
  int pool_size = 0;      // at most this many unlabelled images per pool (0: all)
  int n_synthetic = 800;  // images generated for a synthetic pool (before the cap)
  std::string encoder;    // model folder for the Fréchet features ("": the cell's supervised twin)
  FixMatchSettings fixmatch;
  DegradationOptions degrade;
  DatasetShiftOptions shift;
};
// UsageError naming the quantity for what can be checked without data.
void validate(const LabelVolumeOptions& o, const ClassifierDataOptions& d);

struct LabelVolumeCell {
  int labels = 0;
  std::string method;  // supervised | fixmatch
  std::string pool;    // "" for supervised
  int fold = 0;
  std::string name() const;  // folder name, e.g. n0050-fixmatch-imbalanced_1_4-fold2
};
// Every cell of the study: the supervised cells first (labels, fold), then the
// fixmatch ones (labels, pool, fold).
std::vector<LabelVolumeCell> label_volume_cells(const LabelVolumeOptions& o);

// The images a fold's pools draw on: its unused labelled-subset images and,
// for MiraBest, Uncertain (FR labels) and Hybrid (no FR label).
struct PoolSources {
  LabelledImages unused, uncertain, hybrid;
};
// The pool `spec` for one fold (labels of images without an FR class set to 0;
// FixMatch ignores them). `read_subset` reads a MiraBest subset for kSubset and
// the synthetic pool for kSynthetic.
LabelledImages build_unlabelled_pool(const UnlabelledPoolSpec& spec, const PoolSources& sources,
                                     const LabelVolumeOptions& o,
                                     const std::function<LabelledImages(const std::string&)>& read_subset,
                                     std::uint64_t seed);
// DataError when `pool` holds an image of `val` (same id where both carry ids, else same pixels).
void require_disjoint(const LabelledImages& pool, const LabelledImages& val, const std::string& pool_name);

// One finished cell (cell.json).
struct LabelVolumeCellResult {
  LabelVolumeCell cell;
  std::size_t labelled = 0, unlabelled = 0, validated = 0;
  double accuracy = 0, nll = 0, ece = 0, mask_rate = 0, seconds_per_epoch = 0;
  std::optional<FrechetEstimate> frechet;  // fixmatch cells
  bool reused = false;                     // read back by a resumed run
  nlohmann::json to_json() const;
  static LabelVolumeCellResult from_json(const nlohmann::json& j);
};

struct LabelVolumeResult {
  std::vector<LabelVolumeCellResult> cells;
  nlohmann::json summary;  // label_volume.json
};

// Runs (or, resuming, reuses) every cell in `root`/cells and writes the
// tables, JSON and plots in `root` (rank 0). UsageError when a resumed cell
// was made with other options.
LabelVolumeResult label_volume_study(const ClassifierTrainOptions& t, const ClassifierDataOptions& d,
                                     const LabelVolumeOptions& o, std::uint64_t seed,
                                     const std::filesystem::path& root,
                                     const std::function<void(const LabelVolumeCellResult&)>& on_cell = {});

// The per-(labels, method, pool) means and s.e. over folds, the gains and their
// correlation with the Fréchet distance: label_volume.json's content.
nlohmann::json summarise_label_volume(const std::vector<LabelVolumeCellResult>& cells);

}  // namespace penumbra
