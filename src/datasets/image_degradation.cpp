#include "src/datasets/image_degradation.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "src/core/checks.hpp"
#include "src/core/rng.hpp"

namespace penumbra {

void validate(const DegradationOptions& o) {
  require_non_negative("degradation blur", o.blur);
  require_non_negative("degradation noise", o.noise);
}

namespace {

// Normalised 1-D Gaussian of σ `sigma` px, truncated at 3σ.
std::vector<double> gaussian_kernel(double sigma) {
  const int r = std::max(1, static_cast<int>(std::ceil(3 * sigma)));
  std::vector<double> k(2 * r + 1);
  double s = 0;
  for (int i = -r; i <= r; ++i) s += k[i + r] = std::exp(-0.5 * i * i / (sigma * sigma));
  for (auto& v : k) v /= s;
  return k;
}

// Separable convolution of one H×W image, edges clamped (no flux enters from outside).
void blur_image(float* img, int H, int W, const std::vector<double>& k) {
  const int r = static_cast<int>(k.size() / 2);
  std::vector<double> tmp(static_cast<std::size_t>(H) * W);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      double s = 0;
      for (int i = -r; i <= r; ++i) s += k[i + r] * img[y * W + std::clamp(x + i, 0, W - 1)];
      tmp[y * W + x] = s;
    }
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      double s = 0;
      for (int i = -r; i <= r; ++i) s += k[i + r] * tmp[std::clamp(y + i, 0, H - 1) * W + x];
      img[y * W + x] = static_cast<float>(s);
    }
}

}  // namespace

LabelledImages degrade_images(const LabelledImages& images, const DegradationOptions& o, std::uint64_t seed) {
  validate(o);
  LabelledImages out = images;
  const auto kernel = o.blur > 0 ? gaussian_kernel(o.blur) : std::vector<double>{};
  for (std::size_t n = 0; n < out.size(); ++n) {
    float* img = out.image(n);
    if (!kernel.empty()) blur_image(img, out.height, out.width, kernel);
    auto rng = make_rng(seed, n);
    std::normal_distribution<double> noise(0.0, o.noise);
    for (std::size_t p = 0; p < out.image_size(); ++p) {
      const double v = img[p] + (o.noise > 0 ? noise(rng) : 0.0);
      img[p] = static_cast<float>(std::clamp(v, 0.0, 1.0));
    }
  }
  return out;
}

}  // namespace penumbra
