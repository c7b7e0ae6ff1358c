#pragma once
// Galaxy images with simulated volunteer votes (`penumbra dataset gz-votes`),
// written as HDF5 and read back for vote-supervised training:
//   /images  float32 [N, 3, H, W] (bands g, r, z; attribute "bands") or [N, 1, H, W]
//            (grey), peak-normalised like the galaxy generator; chunked, written as made
//   /votes   int64 [N, A] vote counts, A = the tree's flat answers (attribute
//            "columns": "question_answer" names); 0 for questions nobody reached
//   /params  float64 [N, P] the latent morphology (attribute "columns"), the kind
//            drawn (0 elliptical, 1 lenticular, 2 spiral), the peak and the number of volunteers
//   attributes of "/": "tree" (the decision tree as JSON), "kind" = "gz-votes", "source"
// Item i depends only on the seed and i (images from make_rng(seed, i), votes from
// their own stream), so any thread count gives the same file.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "src/datasets/galaxy_generator.hpp"
#include "src/datasets/volunteers.hpp"
#include "src/datasets/vote_tree.hpp"

namespace penumbra {

struct GzVoteOptions {
  std::int64_t count = 1000;
  GalaxyOptions galaxy;
  bool grey = false;  // one channel (the grey generator's mix) instead of g, r, z
  VolunteerOptions volunteers;
  void validate() const;  // UsageError naming the quantity
};

struct GzVoteItem {
  std::vector<float> image;           // [channels][size][size]
  std::vector<std::int32_t> votes;    // [answers]
  std::vector<double> params;         // gz_vote_param_names() order
};
GzVoteItem make_gz_vote_item(const GzVoteOptions& opt, const VoteTree& tree, std::uint64_t seed, std::int64_t i);
std::vector<std::string> gz_vote_param_names();

// What the crowd said, per question: the fraction of galaxies whose question got
// any votes, the mean number of votes there, and the mean vote fraction of each
// answer over those galaxies.
struct QuestionSummary {
  std::string name;
  double reached = 0, mean_votes = 0;
  std::vector<double> mean_fractions;
};
std::vector<QuestionSummary> summarise_votes(const std::vector<std::int32_t>& votes, std::int64_t count,
                                             const VoteTree& tree);

// Writes the whole set to `path` (truncating it) on `threads` threads (≤ 0:
// penumbra::thread_count()), with a progress bar; `source` is stored as provenance.
// Returns the summary of the votes written.
std::vector<QuestionSummary> write_vote_dataset(const std::filesystem::path& path, const GzVoteOptions& opt,
                                                const VoteTree& tree, std::uint64_t seed, const std::string& source,
                                                int threads = 0);

struct VoteDataset {
  std::vector<float> images;          // [count][channels][size][size]
  std::vector<std::int32_t> votes;    // [count][tree.answer_count()]
  std::int64_t count = 0;
  int channels = 0, size = 0;
  VoteTree tree;
  std::vector<double> params;         // [count][param_names.size()] when the file has /params
  std::vector<std::string> param_names;
};
// Items [first, first+count) (count −1: to the end). Bad input is one DataError
// line naming the file: a missing dataset or tree, votes whose width does not
// match the tree, negative or non-integer counts (naming the row and answer),
// images and votes of different lengths.
VoteDataset read_vote_dataset(const std::filesystem::path& path, std::int64_t first = 0, std::int64_t count = -1);

}  // namespace penumbra
