#pragma once
// MiraBest (Porter & Scaife 2023): FIRST radio galaxies, 150×150 px uint8 at
// 1.8″/px, stored as CIFAR-style Python pickles (protocol 3). The reader walks
// the pickle opcodes itself (a small stack machine, no Python): the stride
// between images is not constant, so fixed offsets would be wrong.
//
// Label codes (batches.meta): index → code 0:'100' 1:'102' 2:'104' 3:'110'
// 4:'112' 5:'200' 6:'201' 7:'210' 8:'300' 9:'310'. First digit 1 = FRI,
// 2 = FRII, 3 = hybrid; second digit 0 = confident, 1 = uncertain.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "src/datasets/labelled_images.hpp"

namespace penumbra {

// One pickled batch as stored: raw uint8 images and MiraBest label indices 0..9.
struct MiraBestBatch {
  std::string batch_label;
  int height = 0, width = 0;
  std::vector<std::uint8_t> pixels;   // [n][height][width], C order
  std::vector<int> labels;            // [n], MiraBest label index 0..9
  std::vector<std::string> filenames; // [n]
  std::size_t size() const { return labels.size(); }
};

// Parses a batch from bytes; `name` is used in error messages. Throws DataError
// (one line: file, byte offset, what was found and expected) on a corrupt or
// truncated pickle, a label index outside 0..9, or images that are not 2-D uint8.
MiraBestBatch parse_mirabest_batch(const std::string& bytes, const std::string& name);
MiraBestBatch read_mirabest_batch(const std::filesystem::path& path);

enum class MiraBestSubset {
  kConfident,  // FRI {0,1,2} vs FRII {5,6}: the usual benchmark
  kUncertain,  // FRI {3,4} vs FRII {7}
  kAll,        // confident + uncertain FRI vs FRII (hybrids left out)
  kHybrid,     // hybrid {8,9} only, labelled "hybrid-confident"/"hybrid-uncertain"
};
MiraBestSubset parse_mirabest_subset(const std::string& name);  // confident|uncertain|all|hybrid

// Class of a MiraBest label index under `subset`: 0 = FRI, 1 = FRII (for kHybrid
// 0 = confident hybrid, 1 = uncertain hybrid), −1 = not in the subset.
int mirabest_class(int label_index, MiraBestSubset subset);
// "100", "102", ... for index 0..9.
std::string mirabest_code(int label_index);

// Reads data_batch_1..7 found in `dir` (those listed in `batches`, 1-based), keeps
// the images of `subset`, and scales pixels by 1/255. Throws MissingInputError if
// a batch file is missing.
LabelledImages read_mirabest(const std::filesystem::path& dir, MiraBestSubset subset,
                             const std::vector<int>& batches = {1, 2, 3, 4, 5, 6, 7});

}  // namespace penumbra
