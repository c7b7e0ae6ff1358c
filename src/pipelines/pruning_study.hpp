#pragma once
// Pruning the dense layers of a Bayesian classifier (REFERENCE.md §3):
//   SNR ranking     10·log10(|μ|/σ), lowest removed first (Graves 2011; Mohan et al. 2022);
//   Fisher ranking  the diagonal empirical Fisher information of μ, the mean over the
//                   data of (∂ log p(y|x, μ)/∂μ)², lowest removed first.
// Rankings are global over all dense weights (not per layer); pruned weights are
// masked to exactly 0 (μ and σ).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace penumbra {

class Classifier;
struct LabelledImages;

enum class PruneRanking { kSnr, kFisher };
PruneRanking parse_prune_ranking(const std::string& name);  // "snr" | "fisher"
std::string prune_ranking_name(PruneRanking r);

// Scores of all dense weights, concatenated in variational_tensors() order.
std::vector<double> snr_scores(Classifier& model);
std::vector<double> fisher_scores(Classifier& model, const LabelledImages& data, int batch = 32);
// Masks the `fraction` of dense weights with the lowest scores (resets masks first).
void prune_dense(Classifier& model, const std::vector<double>& scores, double fraction);
void reset_masks(Classifier& model);

struct PruningRow {
  std::string ranking;
  double fraction = 0;
  double accuracy = 0, ece = 0, uce = 0, nll = 0;
};
// Evaluates the model on `data` after pruning each fraction by each ranking (K
// posterior samples); leaves the model unpruned.
std::vector<PruningRow> pruning_study(Classifier& model, const LabelledImages& data, const std::vector<double>& fractions,
                                      const std::vector<PruneRanking>& rankings, int K, int bins = 15);
void write_pruning_csv(const std::filesystem::path& path, const std::vector<PruningRow>& rows);
void write_pruning_png(const std::filesystem::path& path, const std::vector<PruningRow>& rows);

}  // namespace penumbra
