#pragma once
// A deep ensemble of classifiers: M members of one backbone, each trained from
// its own seed (initialisation, minibatch order, augmentation). Its posterior is
// the equal-weight mixture of the members' — point masses for deterministic
// members, mean-field Gaussians for Bayesian ones — so a prediction takes K
// samples from every member, and the mutual information includes the members'
// disagreement. One mean-field Gaussian covers one mode of the weight posterior;
// a mixture over independently trained members covers several, which is where
// most of an ensemble's gain in accuracy and calibration comes from on small
// data sets (Lakshminarayanan et al. 2017; Wilson & Izmailov 2020).
//
// Folder layout: ensemble.json ({"members": M}) and member-<m>/ model folders
// (src/nn/classifier.hpp) for m = 0..M−1. A plain model folder loads as an
// ensemble of one, so every command that reads a model reads both.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "src/nn/classifier.hpp"

namespace penumbra {

struct ClassifierEnsemble {
  std::vector<std::unique_ptr<Classifier>> members;

  std::size_t size() const { return members.size(); }
  const ClassifierConfig& config() const { return members.front()->config(); }
  std::int64_t weight_count() const;  // summed over the members

  static std::filesystem::path member_dir(const std::filesystem::path& dir, std::size_t m);
  // Writes ensemble.json for `members` member folders already saved under `dir`.
  static void write_manifest(const std::filesystem::path& dir, std::size_t members);
  // An ensemble folder, or a single model folder as an ensemble of one. Members
  // must share backbone, image size and classes (DataError naming the member).
  static ClassifierEnsemble load(const std::filesystem::path& dir, const std::string& expected_backbone = "");
};

}  // namespace penumbra
