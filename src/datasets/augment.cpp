#include "src/datasets/augment.hpp"

#include <fmt/format.h>

#include <cmath>
#include <numbers>
#include <random>

#include "src/core/errors.hpp"
#include "src/core/rng.hpp"

namespace penumbra {

void rotate90(const float* in, float* out, int n, int quarter_turns) {
  int q = ((quarter_turns % 4) + 4) % 4;
  // Matches rotate_bilinear's sense: out(x, y) = in(R⁻¹(x, y)) about the centre,
  // with R a rotation by +90° in (x, y) coordinates: (x, y) → (−y, x) about the centre.
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      int sx = x, sy = y;
      for (int k = 0; k < q; ++k) {  // apply R⁻¹: (x, y) → (y, −x) about the centre
        int tx = sy, ty = n - 1 - sx;
        sx = tx;
        sy = ty;
      }
      out[y * n + x] = in[sy * n + sx];
    }
}

void rotate_bilinear(const float* in, float* out, int height, int width, double angle) {
  double cx = (width - 1) / 2.0, cy = (height - 1) / 2.0;
  double c = std::cos(angle), s = std::sin(angle);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      double dx = x - cx, dy = y - cy;
      // Source of output pixel: R⁻¹ (dx, dy), R(θ) = [[c, −s], [s, c]].
      double sx = c * dx + s * dy + cx, sy = -s * dx + c * dy + cy;
      int x0 = static_cast<int>(std::floor(sx)), y0 = static_cast<int>(std::floor(sy));
      double fx = sx - x0, fy = sy - y0;
      double v = 0;
      for (int j = 0; j < 2; ++j)
        for (int i = 0; i < 2; ++i) {
          int xx = x0 + i, yy = y0 + j;
          if (xx < 0 || yy < 0 || xx >= width || yy >= height) continue;
          double w = (i ? fx : 1 - fx) * (j ? fy : 1 - fy);
          v += w * in[yy * width + xx];
        }
      out[y * width + x] = static_cast<float>(v);
    }
}

void flip_horizontal(const float* in, float* out, int height, int width) {
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) out[y * width + x] = in[y * width + (width - 1 - x)];
}

LabelledImages center_crop(const LabelledImages& in, int size) {
  if (size <= 0 || size > in.height || size > in.width)
    throw UsageError(fmt::format("crop size {} does not fit images of {}×{}", size, in.height, in.width));
  if (size == in.height && size == in.width) return in;
  LabelledImages out = in;
  out.height = out.width = size;
  out.pixels.assign(in.size() * out.image_size(), 0.0f);
  int oy = (in.height - size) / 2, ox = (in.width - size) / 2;
  for (std::size_t i = 0; i < in.size(); ++i)
    for (int y = 0; y < size; ++y)
      for (int x = 0; x < size; ++x) out.image(i)[y * size + x] = in.image(i)[(y + oy) * in.width + (x + ox)];
  return out;
}

LabelledImages bin_pixels(const LabelledImages& in, int factor) {
  if (factor < 1 || in.height % factor || in.width % factor)
    throw UsageError(fmt::format("binning by {} does not divide images of {}×{}", factor, in.height, in.width));
  if (factor == 1) return in;
  LabelledImages out = in;
  out.height = in.height / factor;
  out.width = in.width / factor;
  out.pixels.assign(in.size() * out.image_size(), 0.0f);
  const float norm = 1.0f / static_cast<float>(factor * factor);
  for (std::size_t i = 0; i < in.size(); ++i)
    for (int y = 0; y < in.height; ++y)
      for (int x = 0; x < in.width; ++x)
        out.image(i)[(y / factor) * out.width + x / factor] += in.image(i)[y * in.width + x] * norm;
  return out;
}

void augment_image(float* img, int height, int width, const AugmentOptions& opt, std::uint64_t seed,
                   std::uint64_t stream) {
  auto rng = make_rng(seed, stream);
  std::uniform_real_distribution<double> U(0.0, 1.0);
  std::vector<float> tmp(img, img + static_cast<std::size_t>(height) * width);
  if (opt.flip && U(rng) < 0.5) flip_horizontal(tmp.data(), img, height, width), tmp.assign(img, img + tmp.size());
  if (opt.rotate) {
    if (opt.right_angles || height != width) {
      int q = static_cast<int>(U(rng) * 4) % 4;
      if (height == width) rotate90(tmp.data(), img, height, q);
      else if (q == 2) rotate_bilinear(tmp.data(), img, height, width, std::numbers::pi);
    } else {
      rotate_bilinear(tmp.data(), img, height, width, U(rng) * 2 * std::numbers::pi);
    }
  }
}

}  // namespace penumbra
