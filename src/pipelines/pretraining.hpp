#pragma once
// Encoder pretraining (`penumbra pretrain supervised|byol|hybrid`), after
// Walmsley et al. (Zoobot, GZ-Evo):
//   supervised  a linear head on the encoder predicts Dirichlet concentrations
//               for every answer of the vote tree; the loss is the
//               Dirichlet-multinomial NLL of the volunteers' votes
//               (src/nn/dirichlet_loss.hpp), averaged over the batch's galaxies
//               that have votes, on one random view per image;
//   byol        BYOL on two random views (src/nn/byol.hpp), no labels;
//   hybrid      BYOL + λ · the vote loss on view 1's online features; images
//               without votes (all counts 0, or beyond --vote-fraction) add
//               nothing to the vote term (the loss's masking of unasked questions).
// Data: an HDF5 file from `penumbra dataset gz-votes` (images and votes), or
// catalogue:CSV (images only: byol).
//
// Files in `out`: encoder.json + encoder.pt (the online encoder, what
// `finetune --encoder` takes; written at every checkpoint), state/ (target
// network, projector, predictor, vote head, optimiser, step: what --resume
// continues from exactly), loss.csv, loss.png.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "src/datasets/vote_tree.hpp"
#include "src/nn/byol.hpp"
#include "src/nn/encoder.hpp"

namespace penumbra {

struct PretrainData {
  std::vector<float> images;  // [count][channels][size][size]
  std::int64_t count = 0;
  int channels = 0, size = 0;
  std::vector<std::int32_t> votes;  // [count][tree.answer_count()], empty without votes
  VoteTree tree;
  std::string source;
  bool has_votes() const { return !votes.empty(); }
};
// Volunteer votes of a catalogue:CSV (Zoobot's columns: "question_answer" vote
// counts, or "question_answer_fraction" fractions, which become `assumed_total`
// votes per question: counts_from_fractions).
struct CatalogueVoteOptions {
  std::vector<std::string> columns;  // names or patterns ("*_fraction"); empty: images only
  int assumed_total = 0;             // votes per question given as fractions (required for fractions)
  std::string tree;                  // tree file; empty: the shipped GZ DECaLS-like tree
};
// A gz-votes HDF5 file (items [first, first + count), count −1: to the end), or
// catalogue:CSV at `size` px and `channels`, with `votes`' columns as votes.
// A catalogue question counts as asked in a row when every answer has a value,
// or (fractions) all but one, which is then 1 − the others' sum; otherwise it
// is unknown (no votes, no loss). DataError in one line naming the column for
// a vote column that is no answer of the tree, or mixes counts and fractions
// in one question; UsageError for fractions without an assumed total.
PretrainData read_pretrain_data(const std::string& spec, std::int64_t first, std::int64_t count, int size,
                                int channels, const CatalogueVoteOptions& votes = {});

struct PretrainOptions {
  std::string method = "byol";  // supervised | byol | hybrid
  EncoderConfig encoder;        // width, depth, stages (channels and size come from the data)
  ByolOptions byol;
  ViewOptions views;
  double lambda = 0.05;         // hybrid: weight of the vote loss
  double vote_fraction = 1.0;   // fraction of the images whose votes are used (the rest count as unknown)
  std::int64_t steps = 1000;
  int batch = 64;
  double lr = 1e-3, weight_decay = 1e-6;
  int checkpoint_every = 200;
  bool resume = false;          // continue from out/state
  void validate() const;        // UsageError naming the quantity
};

struct PretrainResult {
  std::int64_t steps = 0, start_step = 0;
  double final_loss = 0, seconds = 0;
  std::int64_t encoder_parameters = 0;
};

// DataError when supervised/hybrid get data without votes (before any file is written).
void check_pretrain_data(const PretrainOptions& o, const PretrainData& data);

// check_pretrain_data's errors; on --resume, DataError when
// out/state is missing or was made with other settings.
PretrainResult run_pretraining(const PretrainOptions& o, const PretrainData& data, std::uint64_t seed,
                               const std::filesystem::path& out);

}  // namespace penumbra
