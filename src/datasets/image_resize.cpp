#include "src/datasets/image_resize.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace penumbra {

namespace {

float area_average(const float* in, int h, int w, double y0, double y1, double x0, double x1) {
  double acc = 0, wsum = 0;
  for (int yy = int(std::floor(y0)); yy < int(std::ceil(y1)) && yy < h; ++yy) {
    double wy = std::min(y1, yy + 1.0) - std::max(y0, double(yy));
    for (int xx = int(std::floor(x0)); xx < int(std::ceil(x1)) && xx < w; ++xx) {
      double wx = std::min(x1, xx + 1.0) - std::max(x0, double(xx));
      acc += wy * wx * in[std::size_t(yy) * w + xx];
      wsum += wy * wx;
    }
  }
  return float(acc / wsum);
}

float bilinear(const float* in, int h, int w, double fy, double fx) {
  fy = std::clamp(fy, 0.0, h - 1.0);
  fx = std::clamp(fx, 0.0, w - 1.0);
  int y0 = int(fy), x0 = int(fx), y1 = std::min(y0 + 1, h - 1), x1 = std::min(x0 + 1, w - 1);
  double ty = fy - y0, tx = fx - x0;
  auto at = [&](int yy, int xx) { return double(in[std::size_t(yy) * w + xx]); };
  return float((1 - ty) * ((1 - tx) * at(y0, x0) + tx * at(y0, x1)) + ty * ((1 - tx) * at(y1, x0) + tx * at(y1, x1)));
}

}  // namespace

std::vector<float> resize_area(const float* in, int h, int w, int n) {
  std::vector<float> out(std::size_t(n) * n);
  double sy = double(h) / n, sx = double(w) / n;
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x)
      out[std::size_t(y) * n + x] = sx >= 1 && sy >= 1
                                        ? area_average(in, h, w, y * sy, (y + 1) * sy, x * sx, (x + 1) * sx)
                                        : bilinear(in, h, w, (y + 0.5) * sy - 0.5, (x + 0.5) * sx - 0.5);
  return out;
}

std::vector<float> crop_resize(const float* in, int h, int w, double crop, int n) {
  int side = std::max(1, int(std::lround(std::min(h, w) * crop)));
  int y0 = (h - side) / 2, x0 = (w - side) / 2;
  std::vector<float> sq(std::size_t(side) * side);
  for (int y = 0; y < side; ++y)
    for (int x = 0; x < side; ++x) {
      float v = in[std::size_t(y0 + y) * w + x0 + x];
      sq[std::size_t(y) * side + x] = std::isfinite(v) ? v : 0.f;
    }
  return resize_area(sq.data(), side, side, n);
}

}  // namespace penumbra
