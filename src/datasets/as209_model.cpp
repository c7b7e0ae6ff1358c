#include "src/datasets/as209_model.hpp"

#include <cmath>

#include "src/core/units.hpp"

namespace penumbra {

namespace {

// Samples of the profile in x = r/R, fine enough for the narrowest ring (σ = 2 au = 0.01 R).
constexpr int kProfileSamples = 20000;
constexpr double kProfileExtent = 1.3;  // beyond the soft edge (x = 1 + 2·0.04)

double x_of(int k) { return kProfileExtent * k / kProfileSamples; }

}  // namespace

ProtoplanetaryDisk as209_disk() { return as209_like_disk(kAs209OuterRadius); }

double as209_brightness(double r) {
  static const ProtoplanetaryDisk d = as209_disk();
  static const double c = [] {
    double integral = 0;  // ∫ profile(x) x dx by the midpoint rule
    const double dx = kProfileExtent / kProfileSamples;
    for (int k = 0; k < kProfileSamples; ++k) {
      const double x = (k + 0.5) * dx;
      integral += d.profile(x) * x * dx;
    }
    return d.flux / (std::cos(d.inclination) * 2 * kPi * d.radius * d.radius * integral);
  }();
  return c * d.profile(r / d.radius);
}

As209Features as209_features() {
  const ProtoplanetaryDisk d = as209_disk();
  As209Features f;
  double prev = d.profile(x_of(0)), here = d.profile(x_of(1));
  for (int k = 1; k < kProfileSamples; ++k) {
    const double next = d.profile(x_of(k + 1));
    if (here > prev && here > next) f.rings.push_back(x_of(k) * d.radius);
    if (here < prev && here < next) f.gaps.push_back(x_of(k) * d.radius);
    prev = here;
    here = next;
  }
  return f;
}

ImageGrid as209_truth_grid(double cell, double half_width) {
  ImageGrid g;
  g.cell = cell;
  g.nx = g.ny = 2 * static_cast<int>(std::ceil(half_width / cell));
  g.validate();
  return g;
}

std::vector<double> render_as209(const ImageGrid& grid) { return render_disk(as209_disk(), grid); }

}  // namespace penumbra
