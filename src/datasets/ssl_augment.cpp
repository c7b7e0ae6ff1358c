#include "src/datasets/ssl_augment.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include "src/core/rng.hpp"
#include "src/datasets/augment.hpp"

namespace penumbra {

void shift_image(float* img, int n, int dx, int dy) {
  std::vector<float> src(img, img + static_cast<std::size_t>(n) * n);
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      const int sx = x - dx, sy = y - dy;
      img[y * n + x] = sx >= 0 && sx < n && sy >= 0 && sy < n ? src[sy * n + sx] : 0.0f;
    }
}

namespace {

// 3×3 binomial kernel [1 2 1]ᵀ[1 2 1]/16, edges clamped.
void blur(float* img, int n) {
  std::vector<float> src(img, img + static_cast<std::size_t>(n) * n);
  const float w[3] = {0.25f, 0.5f, 0.25f};
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      float s = 0;
      for (int a = -1; a <= 1; ++a)
        for (int b = -1; b <= 1; ++b)
          s += w[a + 1] * w[b + 1] * src[std::clamp(y + a, 0, n - 1) * n + std::clamp(x + b, 0, n - 1)];
      img[y * n + x] = s;
    }
}

int uniform_int(Rng& rng, int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }

}  // namespace

void weak_view(float* img, int n, const SslAugmentOptions& opt, std::uint64_t seed, std::uint64_t stream) {
  augment_image(img, n, n, AugmentOptions{.rotate = true, .flip = true, .right_angles = true}, seed, stream);
  auto rng = make_rng(seed, stream ^ 0x5B1F7ull);
  shift_image(img, n, uniform_int(rng, -opt.weak_shift, opt.weak_shift),
              uniform_int(rng, -opt.weak_shift, opt.weak_shift));
}

void strong_view(float* img, int n, const SslAugmentOptions& opt, std::uint64_t seed, std::uint64_t stream) {
  augment_image(img, n, n, AugmentOptions{}, seed, stream);  // any angle, flip
  auto rng = make_rng(seed, stream ^ 0x57A0Eull);
  std::uniform_real_distribution<double> U(0.0, 1.0);
  const int s = static_cast<int>(std::lround(opt.strong_shift * n));
  shift_image(img, n, uniform_int(rng, -s, s), uniform_int(rng, -s, s));
  if (U(rng) < 0.5) blur(img, n);
  const std::size_t np = static_cast<std::size_t>(n) * n;
  const double gamma = 0.5 + U(rng);
  float peak = 0;
  for (std::size_t i = 0; i < np; ++i) {
    img[i] = std::copysign(static_cast<float>(std::pow(std::abs(img[i]), gamma)), img[i]);
    peak = std::max(peak, std::abs(img[i]));
  }
  std::normal_distribution<double> N01(0.0, 1.0);
  const double rms = opt.noise * U(rng) * peak;
  for (std::size_t i = 0; i < np; ++i) img[i] += static_cast<float>(rms * N01(rng));
  const int side = static_cast<int>(std::lround(opt.cutout * n));
  const int x0 = uniform_int(rng, 0, n - side), y0 = uniform_int(rng, 0, n - side);
  for (int y = y0; y < y0 + side; ++y) std::fill(img + y * n + x0, img + y * n + x0 + side, 0.0f);
}

}  // namespace penumbra
