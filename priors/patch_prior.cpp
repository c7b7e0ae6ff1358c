#include "priors/patch_prior.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <fmt/format.h>

#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/rng.hpp"

namespace penumbra {

namespace {

// One axis of a tiling: tile origins in canvas coordinates, the part [lo, hi) of
// each tile whose score is kept, and the canvas padding.
struct AxisTiling {
  int pad_lo = 0, pad_hi = 0;
  std::vector<int> origins, lo, hi;
};

// Tiles of side p on a stride q = p − 2m: each keeps its core [m, p − m), so
// every pixel's score comes from a tile where it lies ≥ m from the tile's edge;
// the cores tile the axis from −shift. "clamp" moves the partial end tiles
// inside, where they keep the margin on the image's own edge; "reflect" pads.
AxisTiling axis_tiling(int n, int p, int m, int shift, PatchTilingOptions::Boundary boundary) {
  AxisTiling a;
  const int q = p - 2 * m;
  if (boundary == PatchTilingOptions::Boundary::kReflect) {
    a.pad_lo = shift + m;
    for (int o = 0; a.origins.empty() || a.origins.back() + p - m < a.pad_lo + n; o += q) {
      a.origins.push_back(o);
      a.lo.push_back(m);
      a.hi.push_back(p - m);
    }
    a.pad_hi = a.origins.back() + p - a.pad_lo - n;
    return a;
  }
  for (int k = 0; a.origins.empty() || a.origins.back() + a.hi.back() < n; ++k) {
    const int o = std::clamp(k * q - shift - m, 0, n - p);
    if (!a.origins.empty() && a.origins.back() == o) continue;
    a.origins.push_back(o);
    a.lo.push_back(o == 0 ? 0 : m);
    a.hi.push_back(o == n - p ? p : p - m);
  }
  return a;
}

// The shifts of one axis that a call draws from (PatchTilingOptions::ShiftSet).
std::vector<int> axis_shifts(int n, int p, int m, PatchTilingOptions::Boundary boundary,
                             PatchTilingOptions::ShiftSet set) {
  const int q = p - 2 * m;
  std::vector<int> all(q);
  std::iota(all.begin(), all.end(), 0);
  if (set == PatchTilingOptions::ShiftSet::kAll) return all;
  std::vector<std::size_t> count(q);
  for (int s = 0; s < q; ++s) count[s] = axis_tiling(n, p, m, s, boundary).origins.size();
  const auto fewest = *std::min_element(count.begin(), count.end());
  std::vector<int> chosen;
  for (int s = 0; s < q; ++s)
    if (count[s] == fewest) chosen.push_back(s);
  // Fewer than half: the seams would sit in narrow bands (at 512² from 64² tiles one
  // shift of 56 gives the fewest), so the saving is not worth fixing them there.
  return 2 * chosen.size() >= all.size() ? chosen : all;
}

// 64-bit mix of a tensor's bytes (word-wise SplitMix; the tail byte-wise).
std::uint64_t hash_bytes(const at::Tensor& t, std::uint64_t h) {
  auto c = t.contiguous();
  const auto* bytes = static_cast<const unsigned char*>(c.data_ptr());
  const std::size_t n = c.numel() * c.element_size();
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, bytes + i, 8);
    h = splitmix64(h ^ w);
  }
  for (; i < n; ++i) h = splitmix64(h ^ bytes[i]);
  return h;
}

}  // namespace

at::Tensor patch_position_maps(const std::vector<int>& origin_y, const std::vector<int>& origin_x, int patch,
                               int image_h, int image_w, int reference_h, int reference_w) {
  const auto n = static_cast<std::int64_t>(origin_y.size());
  auto opts = torch::TensorOptions().dtype(torch::kFloat32);
  auto oy = torch::tensor(std::vector<float>(origin_y.begin(), origin_y.end()), opts).reshape({n, 1, 1});
  auto ox = torch::tensor(std::vector<float>(origin_x.begin(), origin_x.end()), opts).reshape({n, 1, 1});
  auto j = torch::arange(patch, opts) + 0.5;
  auto ys = ((oy + j.reshape({1, -1, 1}) - 0.5 * image_h) / (0.5 * reference_h)).clamp(-1, 1);
  auto xs = ((ox + j.reshape({1, 1, -1}) - 0.5 * image_w) / (0.5 * reference_w)).clamp(-1, 1);
  return torch::stack({xs.expand({n, patch, patch}), ys.expand({n, patch, patch})}, 1).contiguous();
}

void PatchTilingOptions::validate() const {
  require_at_least("patch shifts", shifts, 1);
  if (margin < -1) fail_check("patch margin", ">= 0 (or -1: P/16)", margin);
  require_at_least<std::int64_t>("tiles per patch batch", max_batch, 1);
}

PatchTilingOptions::Boundary PatchTilingOptions::parse_boundary(const std::string& s) {
  require_in("patch boundary", s, {"clamp", "reflect"});
  return s == "clamp" ? Boundary::kClamp : Boundary::kReflect;
}

PatchTilingOptions::ShiftSet PatchTilingOptions::parse_shift_set(const std::string& s) {
  require_in("patch shift set", s, {"fewest-tiles", "all"});
  return s == "all" ? ShiftSet::kAll : ShiftSet::kFewestTiles;
}

std::string PatchTilingOptions::shift_set_name(ShiftSet s) { return s == ShiftSet::kAll ? "all" : "fewest-tiles"; }

PatchPrior::PatchPrior(std::shared_ptr<const PatchScore> patch_score, int height, int width,
                       PatchTilingOptions options)
    : patch_(std::move(patch_score)), height_(height), width_(width), options_(options) {
  if (!patch_) throw UsageError("patch prior: no patch score");
  options_.validate();
  const int p = patch_->patch_size();
  require_positive("image height", height);
  require_positive("image width", width);
  if (options_.margin < 0) options_.margin = p / 16;
  if (2 * options_.margin >= p)
    throw UsageError(fmt::format("patch margin {} leaves no core of the {}² tiles (at most {})", options_.margin, p,
                                 (p - 1) / 2));
  if (height % p != 0 || width % p != 0)
    throw UsageError(fmt::format("image size {}x{} is not a multiple of the prior's patch size {} (choose a size "
                                 "divisible by {})",
                                 width, height, p, p));
  row_shifts_ = axis_shifts(height, p, options_.margin, options_.boundary, options_.shift_set);
  column_shifts_ = axis_shifts(width, p, options_.margin, options_.boundary, options_.shift_set);
}

std::string PatchPrior::name() const {
  return fmt::format("patch({}, {}x{} from {}² tiles, {} shifted tiling{} per call, {} shifts)", patch_->name(),
                     width_, height_, patch_->patch_size(), options_.shifts, options_.shifts == 1 ? "" : "s",
                     PatchTilingOptions::shift_set_name(options_.shift_set));
}

std::uint64_t PatchPrior::call_hash(const at::Tensor& x, const at::Tensor& sigma) const {
  return hash_bytes(sigma.to(torch::kFloat64), hash_bytes(x, options_.seed));
}

std::pair<int, int> PatchPrior::shift_for(std::uint64_t call_hash, int k) const {
  const std::uint64_t h = derive_seed(call_hash, static_cast<std::uint64_t>(k));
  return {row_shifts_[h % row_shifts_.size()], column_shifts_[splitmix64(h) % column_shifts_.size()]};
}

std::pair<int, int> PatchPrior::shift_for(const at::Tensor& x, const at::Tensor& sigma, int k) const {
  return shift_for(call_hash(x, sigma), k);
}

int PatchPrior::stride() const { return patch_->patch_size() - 2 * options_.margin; }

std::int64_t PatchPrior::tiles_per_image(int dy, int dx) const {
  const int p = patch_->patch_size(), m = options_.margin;
  return static_cast<std::int64_t>(axis_tiling(height_, p, m, dy, options_.boundary).origins.size()) *
         static_cast<std::int64_t>(axis_tiling(width_, p, m, dx, options_.boundary).origins.size());
}

std::int64_t PatchPrior::max_tiles_per_image() const {
  const int p = patch_->patch_size(), m = options_.margin;
  std::size_t rows = 0, cols = 0;
  for (int s : row_shifts_) rows = std::max(rows, axis_tiling(height_, p, m, s, options_.boundary).origins.size());
  for (int s : column_shifts_) cols = std::max(cols, axis_tiling(width_, p, m, s, options_.boundary).origins.size());
  return static_cast<std::int64_t>(rows * cols);
}

double PatchPrior::mean_tiles_per_image() const {
  // Rows depend on dy alone and columns on dx alone, and dy, dx are independent.
  const int p = patch_->patch_size(), m = options_.margin;
  double rows = 0, cols = 0;
  for (int s : row_shifts_) rows += double(axis_tiling(height_, p, m, s, options_.boundary).origins.size());
  for (int s : column_shifts_) cols += double(axis_tiling(width_, p, m, s, options_.boundary).origins.size());
  return rows * cols / (double(row_shifts_.size()) * double(column_shifts_.size()));
}

double PatchPrior::flops_per_score_call(std::int64_t batch) const {
  return double(batch) * mean_tiles_per_image() * double(options_.shifts) * patch_->flops_per_patch();
}

at::Tensor PatchPrior::score_with_shift(const at::Tensor& x, const at::Tensor& sigma, int dy, int dx) const {
  const int p = patch_->patch_size();
  if (x.dim() != 3 || x.size(1) != height_ || x.size(2) != width_)
    throw UsageError(fmt::format("patch prior: x must be [B,{},{}], got {}", height_, width_, c10::str(x.sizes())));
  if (dy < 0 || dy >= stride() || dx < 0 || dx >= stride())
    throw UsageError(fmt::format("patch prior: shift ({}, {}) outside [0, {})", dy, dx, stride()));
  const auto b = x.size(0);
  const auto ay = axis_tiling(height_, p, options_.margin, dy, options_.boundary);
  const auto ax = axis_tiling(width_, p, options_.margin, dx, options_.boundary);
  if (std::max(ay.pad_lo, ay.pad_hi) >= height_ || std::max(ax.pad_lo, ax.pad_hi) >= width_)
    throw UsageError(fmt::format("patch prior: a {}x{} image is too small to reflect-pad for {}² tiles", width_,
                                 height_, p));
  auto canvas = x;
  if (ay.pad_lo + ay.pad_hi + ax.pad_lo + ax.pad_hi > 0)
    canvas = torch::nn::functional::pad(
                 x.unsqueeze(1), torch::nn::functional::PadFuncOptions({ax.pad_lo, ax.pad_hi, ay.pad_lo, ay.pad_hi})
                                     .mode(torch::kReflect))
                 .squeeze(1);
  std::vector<torch::Tensor> tiles;
  std::vector<int> tile_y, tile_x;  // origins in image coordinates, per tile of one image
  for (int oy : ay.origins)
    for (int ox : ax.origins) {
      tiles.push_back(canvas.slice(1, oy, oy + p).slice(2, ox, ox + p));
      tile_y.push_back(oy - ay.pad_lo);
      tile_x.push_back(ox - ax.pad_lo);
    }
  const auto nx = static_cast<std::int64_t>(ax.origins.size());
  const auto t = static_cast<std::int64_t>(tiles.size());
  auto batch = torch::stack(tiles, 1).reshape({b * t, p, p});
  auto sig = sigma.reshape({-1}).expand({b}).repeat_interleave(t);
  torch::Tensor pos;
  if (patch_->uses_positions())
    pos = patch_position_maps(tile_y, tile_x, p, height_, width_, patch_->reference_height(),
                              patch_->reference_width())
              .repeat({b, 1, 1, 1});
  std::vector<torch::Tensor> parts;
  for (std::int64_t i = 0; i < b * t; i += options_.max_batch) {
    const auto e = std::min(b * t, i + options_.max_batch);
    parts.push_back(patch_->score(batch.slice(0, i, e), sig.slice(0, i, e), pos.defined() ? pos.slice(0, i, e) : pos));
  }
  auto scores = torch::cat(parts, 0).to(x.scalar_type()).reshape({b, t, p, p});
  auto sum = torch::zeros_like(canvas);
  auto count = torch::zeros({canvas.size(1), canvas.size(2)}, x.options());
  for (std::int64_t k = 0; k < t; ++k) {
    const auto i = std::size_t(k / nx), j = std::size_t(k % nx);
    const int oy = ay.origins[i], ox = ax.origins[j];
    const int y0 = ay.lo[i], y1 = ay.hi[i], x0 = ax.lo[j], x1 = ax.hi[j];
    sum.slice(1, oy + y0, oy + y1).slice(2, ox + x0, ox + x1).add_(scores.select(1, k).slice(1, y0, y1).slice(2, x0, x1));
    count.slice(0, oy + y0, oy + y1).slice(1, ox + x0, ox + x1).add_(1);
  }
  auto out = sum / count;
  return out.slice(1, ay.pad_lo, ay.pad_lo + height_).slice(2, ax.pad_lo, ax.pad_lo + width_);
}

at::Tensor PatchPrior::score(const at::Tensor& x, const at::Tensor& sigma) const {
  torch::Tensor acc;
  const std::uint64_t h = call_hash(x, sigma);
  for (int k = 0; k < options_.shifts; ++k) {
    auto [dy, dx] = shift_for(h, k);
    auto s = score_with_shift(x, sigma, dy, dx);
    acc = acc.defined() ? acc + s : s;
  }
  return options_.shifts == 1 ? acc : acc / double(options_.shifts);
}

GaussianFieldPatchScore::GaussianFieldPatchScore(int patch, double variance, double length, const std::string& kernel,
                                                 double sigma_max, double sigma_min)
    : patch_(patch), variance_(variance), length_(length), kernel_(kernel), sigma_max_(sigma_max),
      sigma_min_(sigma_min) {
  require_at_least("patch size", patch, 1);
  require_positive("field variance", variance);
  require_positive("correlation length", length);
  require_in("covariance kernel", kernel, {"squared-exponential", "exponential"});
  require_positive("sigma max", sigma_max);
  require_positive("sigma min", sigma_min);
  auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  auto idx = torch::arange(patch * patch, opts);
  auto py = torch::floor(idx / patch), px = idx - py * patch;
  auto dy = py.reshape({-1, 1}) - py.reshape({1, -1}), dx = px.reshape({-1, 1}) - px.reshape({1, -1});
  auto r = torch::sqrt(dy.square() + dx.square()) / length;
  auto c = kernel == "exponential" ? variance * torch::exp(-r) : variance * torch::exp(-0.5 * r.square());
  auto eig = torch::linalg::eigh(c, "L");
  eigenvalues_ = std::get<0>(eig).clamp_min(0);
  eigenvectors_ = std::get<1>(eig);
  eigenvectors_f32_ = eigenvectors_.to(torch::kFloat32);
}

double GaussianFieldPatchScore::covariance(double dy, double dx) const {
  const double r = std::sqrt(dy * dy + dx * dx) / length_;
  return kernel_ == "exponential" ? variance_ * std::exp(-r) : variance_ * std::exp(-0.5 * r * r);
}

at::Tensor GaussianFieldPatchScore::score(const at::Tensor& patches, const at::Tensor& sigma,
                                          const at::Tensor&) const {
  const auto n = patches.size(0);
  // float32 patches are scored in float32 (the samplers' type; 2× faster), float64 in float64.
  const bool single = patches.scalar_type() == torch::kFloat32;
  const auto& q = single ? eigenvectors_f32_ : eigenvectors_;
  auto x = patches.reshape({n, -1}).to(q.scalar_type());
  auto s2 = sigma.to(torch::kFloat64).reshape({-1, 1}).square();
  auto coef = torch::matmul(x, q) / (eigenvalues_.reshape({1, -1}) + s2).to(q.scalar_type());
  return (-torch::matmul(coef, q.t())).reshape(patches.sizes()).to(patches.scalar_type());
}

double GaussianFieldPatchScore::flops_per_patch() const {
  const double m = double(patch_) * patch_;
  return 4.0 * m * m;
}

std::string GaussianFieldPatchScore::name() const {
  return fmt::format("gaussian-field({}, variance {}, length {} px, {}²)", kernel_, variance_, length_, patch_);
}

}  // namespace penumbra
