#include "src/datasets/radio_galaxy_generator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>

#include "src/core/errors.hpp"
#include "src/core/rng.hpp"

namespace penumbra {
namespace {

struct Blob {
  double x, y;          // centre, px
  double amp;           // peak before beam convolution
  double sa, sb, pa;    // σ along / across the major axis (px), angle of the major axis (rad)
};

// Adds a Gaussian blob convolved with a circular Gaussian beam of σ_beam: the
// convolution of two Gaussians is a Gaussian with added variances, with the
// integrated flux preserved (so small knots are dimmed, not sharpened).
void add_blob(float* img, int n, const Blob& b, double sigma_beam) {
  double va = b.sa * b.sa + sigma_beam * sigma_beam, vb = b.sb * b.sb + sigma_beam * sigma_beam;
  double amp = b.amp * b.sa * b.sb / std::sqrt(va * vb);
  double c = std::cos(b.pa), s = std::sin(b.pa);
  double reach = 4.0 * std::sqrt(std::max(va, vb));
  int x0 = std::max(0, static_cast<int>(std::floor(b.x - reach))), x1 = std::min(n - 1, static_cast<int>(std::ceil(b.x + reach)));
  int y0 = std::max(0, static_cast<int>(std::floor(b.y - reach))), y1 = std::min(n - 1, static_cast<int>(std::ceil(b.y + reach)));
  for (int y = y0; y <= y1; ++y)
    for (int x = x0; x <= x1; ++x) {
      double dx = x - b.x, dy = y - b.y;
      double u = c * dx + s * dy, v = -s * dx + c * dy;
      img[y * n + x] += static_cast<float>(amp * std::exp(-0.5 * (u * u / va + v * v / vb)));
    }
}

// The random draws of one image, made in the order the generator needs them.
struct Draws {
  Rng rng;
  std::uniform_real_distribution<double> U{0.0, 1.0};
  double unit() { return U(rng); }
  double uni(double a, double b) { return a + (b - a) * U(rng); }
};

// FRI: bright core, jets fading and widening outwards; the two sides may bend
// the same way (a wide-angle tail) and differ in length (projection, environment).
double add_fri_blobs(std::vector<Blob>& blobs, double cx, double cy, double ext, double pa, Draws& d) {
  blobs.push_back({cx, cy, 1.0, 1.0, 1.0, 0.0});
  const double bend = d.unit() < 0.4 ? d.uni(-1.2, 1.2) : d.uni(-0.2, 0.2);
  for (int side = 0; side < 2; ++side) {
    double len = ext * d.uni(0.6, 1.0);
    double dir = pa + side * std::numbers::pi;
    double bend_side = side == 0 ? bend : -bend;  // both tails swept towards the same side
    int knots = 10;
    double x = cx, y = cy;
    for (int k = 1; k <= knots; ++k) {
      double t = static_cast<double>(k) / knots;
      double ang = dir + bend_side * t * t;
      x += std::cos(ang) * len / knots;
      y += std::sin(ang) * len / knots;
      double amp = d.uni(0.5, 0.9) * std::pow(1.0 - 0.85 * t, 1.5);
      double width = 0.8 + 3.5 * t * d.uni(0.7, 1.3);
      blobs.push_back({x, y, amp, std::max(width, 0.6 * len / knots), width, ang});
    }
  }
  return bend;
}

// FRII: faint core and jets, lobes with hotspots at their outer ends. Returns
// the core's peak over the brighter hotspot's.
double add_frii_blobs(std::vector<Blob>& blobs, double cx, double cy, double ext, double pa, Draws& d) {
  blobs.push_back({cx, cy, d.uni(0.05, 0.4), 1.0, 1.0, 0.0});
  double hotspot = 0;
  for (int side = 0; side < 2; ++side) {
    double len = ext * d.uni(0.8, 1.0);
    double dir = pa + side * std::numbers::pi + d.uni(-0.15, 0.15);
    for (int k = 1; k <= 5; ++k) {
      double t = k / 6.0;
      blobs.push_back({cx + std::cos(dir) * len * t, cy + std::sin(dir) * len * t, d.uni(0.0, 0.08), 1.5, 0.8, dir});
    }
    double hx = cx + std::cos(dir) * len, hy = cy + std::sin(dir) * len;
    blobs.push_back({hx, hy, d.uni(0.7, 1.0), d.uni(0.8, 1.6), d.uni(0.8, 1.4), dir});
    hotspot = std::max(hotspot, blobs.back().amp);
    double lobe_len = len * d.uni(0.2, 0.4);
    blobs.push_back({hx - std::cos(dir) * lobe_len * 0.6, hy - std::sin(dir) * lobe_len * 0.6, d.uni(0.15, 0.35),
                     lobe_len * 0.5, d.uni(2.0, 5.0), dir});
  }
  return blobs.front().amp / hotspot;
}

// Noise correlated on the beam scale would be more FIRST-like; white noise
// smoothed by a 3×3 box is a cheap approximation that keeps the clipping honest.
void add_noise(float* out, int n, double noise_rms, Rng& rng) {
  std::normal_distribution<double> N01(0.0, 1.0);
  const std::size_t np = static_cast<std::size_t>(n) * n;
  std::vector<float> noise(np);
  for (auto& v : noise) v = static_cast<float>(N01(rng));
  const double box_norm = 3.0;  // std of a 3×3 box mean of unit white noise is 1/3
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      double s = 0;
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx) {
          int yy = std::clamp(y + dy, 0, n - 1), xx = std::clamp(x + dx, 0, n - 1);
          s += noise[yy * n + xx];
        }
      out[y * n + x] += static_cast<float>(noise_rms * s / 9.0 * box_norm);
    }
}

// MiraBest preprocessing: sigma clipping, then scaling to [0, 1].
void clip_and_normalise(float* out, std::size_t np, float threshold, bool clip) {
  float mx = 0;
  for (std::size_t i = 0; i < np; ++i) {
    if (clip && out[i] < threshold) out[i] = 0;
    out[i] = std::max(out[i], 0.0f);
    mx = std::max(mx, out[i]);
  }
  if (mx > 0)
    for (std::size_t i = 0; i < np; ++i) out[i] /= mx;
}

}  // namespace

const std::vector<std::string>& radio_galaxy_tag_names() {
  static const std::vector<std::string> names = {"core", "jets", "lobes", "bent"};
  return names;
}

std::vector<bool> radio_galaxy_tags(const RadioGalaxyComponents& c) {
  return {c.core >= 0.25, c.jets, c.lobes, std::abs(c.bend) >= 0.5};
}

RadioGalaxyComponents render_radio_galaxy(float* out, int fr_class, std::uint64_t seed, std::uint64_t index,
                         const RadioGalaxyOptions& opt) {
  if (fr_class != 0 && fr_class != 1)
    throw UsageError(fmt::format("radio galaxy class {} unknown; expected 0 (FRI) or 1 (FRII)", fr_class));
  const int n = opt.size;
  if (n < 16) throw UsageError(fmt::format("radio galaxy image size {} too small; expected at least 16 px", n));
  Draws d{make_rng(seed, index)};

  const std::size_t np = static_cast<std::size_t>(n) * n;
  std::fill(out, out + np, 0.0f);
  const double sigma_beam = opt.beam_fwhm_arcsec / opt.pixel_arcsec / (2.0 * std::sqrt(2.0 * std::log(2.0)));
  const double cx = (n - 1) / 2.0 + d.uni(-2, 2), cy = (n - 1) / 2.0 + d.uni(-2, 2);
  const double max_ext = std::min(opt.max_extent_px, 0.45 * n);
  const double ext = d.uni(std::min(opt.min_extent_px, max_ext), max_ext);
  const double pa = d.uni(0, 2 * std::numbers::pi);
  std::vector<Blob> blobs;
  RadioGalaxyComponents c;
  c.extent = ext;
  if (fr_class == 0) {
    c.bend = add_fri_blobs(blobs, cx, cy, ext, pa, d);
    c.core = 1.0;  // the core is the brightest component of an FRI
    c.jets = true;
  } else {
    c.core = add_frii_blobs(blobs, cx, cy, ext, pa, d);
    c.lobes = true;
  }
  for (auto& b : blobs) add_blob(out, n, b, sigma_beam);

  float peak = *std::max_element(out, out + np);
  add_noise(out, n, opt.noise * peak, d.rng);
  clip_and_normalise(out, np, static_cast<float>(opt.clip_sigma * opt.noise * peak), opt.clip_sigma > 0);
  return c;
}

LabelledImages generate_radio_galaxies(std::size_t n, std::uint64_t seed, const RadioGalaxyOptions& opt) {
  LabelledImages out;
  out.height = out.width = opt.size;
  out.class_names = {"FRI", "FRII"};
  out.pixels.resize(n * out.image_size());
  out.labels.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    out.labels[i] = static_cast<int>(i % 2);
    render_radio_galaxy(out.image(i), out.labels[i], seed, i, opt);
    out.ids.push_back(fmt::format("synthetic-{}", i));
  }
  return out;
}

}  // namespace penumbra
