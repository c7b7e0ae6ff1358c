#pragma once
// Running a classifier over a labelled set: its posterior predictive samples of
// class probabilities (the input of diagnostics/calibration), with optional
// test-time symmetrisation, and the reliability diagram of the result.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "src/diagnostics/calibration.hpp"

namespace penumbra {

class Classifier;
struct ClassifierEnsemble;
struct LabelledImages;

// Test-time symmetrisation. Radio galaxies have no preferred orientation, so a
// classifier's probabilities should not change when the image is rotated or
// flipped; kDihedral averages them over the eight exact transforms of the
// square (rotations by 0°, 90°, 180°, 270°, each with and without a left–right
// flip), which makes any backbone exactly D4-invariant at 8× the inference cost.
// Within one posterior sample k all eight views go through one forward pass, so
// p_k stays a function of one weight draw and the mutual information stays the
// epistemic part.
enum class TestTimeAugmentation { kNone, kDihedral };
// "none" | "d4"; UsageError naming `option` otherwise.
TestTimeAugmentation parse_test_time_augmentation(const std::string& name, const std::string& option);

// Posterior predictive samples of a classifier on a set: [K][N][C] (softmax of
// the logits, averaged over the views of `tta`). K draws of the weights when
// `sample` (Bayesian models), else one pass with the means (K forced to 1).
// Batches of `batch` images, no gradients.
std::vector<double> predict_probabilities(Classifier& model, const LabelledImages& data, int K, bool sample,
                                          TestTimeAugmentation tta = TestTimeAugmentation::kNone, int batch = 32);

// The same for an ensemble: K samples from each of its M members, [M·K][N][C]
// (member-major), i.e. draws from the members' equal-weight mixture.
std::vector<double> predict_probabilities(ClassifierEnsemble& ensemble, const LabelledImages& data, int K,
                                          bool sample, TestTimeAugmentation tta = TestTimeAugmentation::kNone,
                                          int batch = 32);

// Reliability diagram: accuracy vs confidence per bin, with the diagonal.
void write_reliability_diagram(const std::filesystem::path& path, const CalibrationReport& r,
                               const std::string& title);

}  // namespace penumbra
