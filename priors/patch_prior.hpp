#pragma once
// A prior on images of any size (a multiple of the patch side P) assembled from
// a score on P×P patches: the patch idea of Wang et al. 2023 ("Patch Diffusion:
// faster and more data-efficient training of diffusion models") and of the
// DSHARP posteriors, whose 256² priors are far beyond what a CPU trains whole.
//
// At every score call the image is cut into P×P tiles whose grid is shifted by
// a pseudo-random (dy, dx) ∈ [0, P)², all tiles are scored in one batch, and
// the tile scores are stitched back. The shift moves the tile edges at every
// step, so no seam stays at one place long enough to imprint on a sample.
//
// Boundaries. A shifted grid leaves partial tiles at the image edge. "clamp"
// (the default) moves those tiles inwards so every tile is a whole P×P patch of
// the image, the kind of patch the network was trained on (training crops never
// leave the image), and averages the scores where two tiles overlap. "reflect"
// pads the image by reflection and tiles the padded canvas without overlaps;
// it keeps the local noise level right but shows the network mirrored
// structure at the edges. Zero padding is not offered: at high σ a noise-free
// band is far from anything the network saw, and the pixels next to it get a
// biased score.
//
// The shift is a hash of the input bytes, σ and the seed, so score(x, σ) is a
// pure function: a run is reproducible, resumed batches see the same tilings,
// and concurrent calls need no lock.
//
// Cost: one tiling scores about (H/q + 1)·(W/q + 1) tiles per image, q = P − 2·margin
// the stride (H/P·W/P when margin and shift are 0); the count depends on the shift
// (25 to 36 for 256² from 64² tiles with margin 4). The network is nearly all of a
// sampling step, so by default a call draws its shift only from the shifts that need
// the fewest tiles per axis (ShiftSet::kFewestTiles: 25 tiles at 256², 15 % less
// than the 29.3 of all shifts), as long as those are at least half of the stride's
// shifts: the seams then still move at every call, over at least half of every
// period. The cost of a call is the mean over the shifts it may draw
// (mean_tiles_per_image()) and max_tiles_per_image() bounds its memory. `shifts` tilings per call cost that
// many times more; splitting the tiles into max_batch chunks costs nothing extra.
// flops_per_score_call() is the patch score's FLOPs times the mean tile count.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "src/model/model.hpp"

namespace penumbra {

// Position maps of P×P patches whose top-left pixels are (origin_y[i], origin_x[i])
// in an image of image_h×image_w pixels: [N, 2, P, P] float32, channel 0 the
// column (x), channel 1 the row (y) of each pixel centre, measured from the image
// centre in units of half the reference image's side (the training images'), and
// clamped to [−1, 1] — beyond the field the network was trained on, a pixel
// reads as the training field's border (empty sky for centred disks).
at::Tensor patch_position_maps(const std::vector<int>& origin_y, const std::vector<int>& origin_x, int patch,
                               int image_h, int image_w, int reference_h, int reference_w);

// The score of a P×P patch, ∇ log p_σ(patch | its position), for a batch of patches.
class PatchScore {
 public:
  virtual ~PatchScore() = default;
  virtual int patch_size() const = 0;
  // Whether score() reads the position maps (false: it is given an undefined tensor).
  virtual bool uses_positions() const = 0;
  // The image the positions are normalised to (the training images' size).
  virtual int reference_height() const = 0;
  virtual int reference_width() const = 0;
  // patches [N, P, P], sigma [N] (σ ≥ 0), positions [N, 2, P, P] or undefined → [N, P, P].
  virtual at::Tensor score(const at::Tensor& patches, const at::Tensor& sigma, const at::Tensor& positions) const = 0;
  virtual double flops_per_patch() const = 0;
  virtual double sigma_max() const = 0;
  virtual double sigma_min() const = 0;
  virtual std::string name() const = 0;
};

struct PatchTilingOptions {
  enum class Boundary { kClamp, kReflect };
  // The shifts a call draws from, per axis: all of [0, stride), or those whose tiling
  // needs the fewest tiles (all of them where those are fewer than half).
  enum class ShiftSet { kAll, kFewestTiles };
  Boundary boundary = Boundary::kClamp;
  ShiftSet shift_set = ShiftSet::kFewestTiles;
  int shifts = 1;                  // tilings averaged per score call (K); each costs one pass over the tiles
  // Pixels of each tile's edge whose score is discarded (tiles then overlap on a
  // stride P − 2·margin): a tile's score is the patch marginal's, which near the
  // tile edge lacks the pull of the unseen neighbours; with margin ≥ ~2
  // correlation lengths every kept score is nearly the whole image's.
  // −1: P/16 (2 px of 32² tiles, 4 of 64²).
  int margin = -1;
  std::uint64_t seed = 0;          // enters the shift hash
  std::int64_t max_batch = 512;    // tiles per patch-score call (bounds the network's memory)
  void validate() const;           // UsageError naming the quantity
  static Boundary parse_boundary(const std::string& s);  // "clamp" | "reflect"
  static ShiftSet parse_shift_set(const std::string& s);  // "fewest-tiles" | "all"
  static std::string shift_set_name(ShiftSet s);
};

class PatchPrior final : public Prior {
 public:
  // UsageError (one line naming both) unless P divides height and width.
  PatchPrior(std::shared_ptr<const PatchScore> patch_score, int height, int width, PatchTilingOptions options = {});

  at::Tensor score(const at::Tensor& x, const at::Tensor& sigma) const override;
  int height() const override { return height_; }
  int width() const override { return width_; }
  double sigma_max() const override { return patch_->sigma_max(); }
  double sigma_min() const override { return patch_->sigma_min(); }
  std::string name() const override;

  // One tiling with a given shift (dy, dx) ∈ [0, stride)² (any, not only those score() draws).
  at::Tensor score_with_shift(const at::Tensor& x, const at::Tensor& sigma, int dy, int dx) const;
  // The shift of tiling k of a call on (x, σ): the one score() uses.
  std::pair<int, int> shift_for(const at::Tensor& x, const at::Tensor& sigma, int k) const;
  // The same from the call's hash (call_hash), so K tilings hash x once.
  std::uint64_t call_hash(const at::Tensor& x, const at::Tensor& sigma) const;
  std::pair<int, int> shift_for(std::uint64_t call_hash, int k) const;
  // Tiles per image of one tiling with shift (dy, dx), and the most over the shifts score() draws.
  std::int64_t tiles_per_image(int dy, int dx) const;
  std::int64_t max_tiles_per_image() const;
  // The mean of tiles_per_image over the shifts score() draws (uniformly).
  double mean_tiles_per_image() const;
  int stride() const;  // P − 2·margin: the period of one tiling
  // The row (dy) and column (dx) shifts score() draws from, ascending.
  const std::vector<int>& row_shifts() const { return row_shifts_; }
  const std::vector<int>& column_shifts() const { return column_shifts_; }
  // FLOPs of one score call on `batch` images (the mean tiling, all `shifts`).
  double flops_per_score_call(std::int64_t batch) const;
  const PatchScore& patch_score() const { return *patch_; }
  const PatchTilingOptions& options() const { return options_; }

 private:
  std::shared_ptr<const PatchScore> patch_;
  int height_, width_;
  PatchTilingOptions options_;
  std::vector<int> row_shifts_, column_shifts_;
};

// The analytic patch score of a stationary Gaussian random field of mean 0 and
// covariance C(r) = variance·k(r/ℓ), k = exp(−r²/2) ("squared-exponential") or
// exp(−r) ("exponential"): the exact score of the P×P marginal at noise σ,
// −(C_P + σ²I)⁻¹ x, from one eigendecomposition of the P²×P² covariance C_P.
// It ignores positions. For tests of the stitching and the samplers.
class GaussianFieldPatchScore final : public PatchScore {
 public:
  GaussianFieldPatchScore(int patch, double variance, double length, const std::string& kernel, double sigma_max,
                          double sigma_min);
  int patch_size() const override { return patch_; }
  bool uses_positions() const override { return false; }
  int reference_height() const override { return patch_; }
  int reference_width() const override { return patch_; }
  at::Tensor score(const at::Tensor& patches, const at::Tensor& sigma, const at::Tensor& positions) const override;
  double flops_per_patch() const override;
  double sigma_max() const override { return sigma_max_; }
  double sigma_min() const override { return sigma_min_; }
  std::string name() const override;
  // The field's covariance at a lag of (dy, dx) pixels.
  double covariance(double dy, double dx) const;

 private:
  int patch_;
  double variance_, length_;
  std::string kernel_;
  double sigma_max_, sigma_min_;
  at::Tensor eigenvalues_, eigenvectors_, eigenvectors_f32_;  // of C_P, float64 (and a float32 copy)
};

}  // namespace penumbra
