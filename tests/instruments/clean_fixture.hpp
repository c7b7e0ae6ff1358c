#pragma once
// Observations for the CLEAN tests: random uv coverage inside |u|, |v| <
// 0.3·max_uv of the grid (a beam of ≈ 3 pixels) and the exact visibilities of
// an image, unit weights.
#include <random>
#include <vector>

#include "instruments/dft.hpp"
#include "src/core/image_grid.hpp"
#include "src/core/observation.hpp"

namespace penumbra::test {

inline VisibilitySet observe_image(const ImageGrid& g, const std::vector<double>& image, int nvis, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> r(-0.3 * g.max_uv(), 0.3 * g.max_uv());
  VisibilitySet s;
  for (int k = 0; k < nvis; ++k) {
    s.u.push_back(r(rng));
    s.v.push_back(r(rng));
  }
  s.vis.resize(nvis);
  dft_degrid(s.u, s.v, g, image, s.vis);
  s.weight.assign(nvis, 1.0);
  return s;
}

}  // namespace penumbra::test
