#include "src/datasets/colour_galaxy.hpp"

#include <algorithm>
#include <cmath>
#include <random>


namespace penumbra {

namespace {

constexpr double kTwoPi = 6.283185307179586;

double uniform(Rng& rng, double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng); }

// Rescales bulge and disk to a bulge-to-total flux ratio `bt`, keeping the total
// flux and the bar's and clumps' contrast with the disk.
void set_bulge_to_total(GalaxyParams& p, double bt) {
  double disk_flux = kTwoPi * p.disk_scale * p.disk_scale * p.cos_inc;
  double old_disk = p.disk_weight;
  p.bulge_weight = bt / sersic_flux(p.bulge_re, p.bulge_n, p.bulge_q);
  p.disk_weight = (1 - bt) / disk_flux;
  double k = old_disk > 0 ? p.disk_weight / old_disk : 0;
  p.bar_weight *= k;
  for (auto& c : p.clumps) c.weight *= k;
}

// A smooth, bulge-dominated galaxy: a Sérsic spheroid with its own flattening
// (not tied to the disk's inclination) and a faint disk.
void make_elliptical(GalaxyParams& p, Rng& rng, double n) {
  p.arms = 0;
  p.bar_length = p.bar_weight = 0;
  p.clumps.clear();
  p.dust = p.edge_dust = 0;
  p.bulge_re = uniform(rng, 0.05, 0.14) * n;
  p.bulge_n = uniform(rng, 2.0, 4.0);
  p.bulge_q = uniform(rng, 0.35, 1.0);
  set_bulge_to_total(p, uniform(rng, 0.85, 1.0));
}

// A disk with a large bulge, no arms and few clumps; bars stay.
void make_lenticular(GalaxyParams& p, Rng& rng, double n) {
  p.arms = 0;
  p.dust = 0;
  if (p.clumps.size() > 2) p.clumps.resize(2);
  p.bulge_re = std::max(0.8, uniform(rng, 0.25, 0.6) * p.disk_scale);
  p.bulge_n = uniform(rng, 1.5, 3.5);
  p.bulge_re = std::min(p.bulge_re, 0.12 * n);
  set_bulge_to_total(p, uniform(rng, 0.3, 0.65));
}

void add_ring(GalaxyParams& p, Rng& rng) {
  // Inner rings sit at the bar's end when there is a bar.
  p.ring_radius = p.bar_length > 0 ? p.bar_length * uniform(rng, 0.9, 1.2) : uniform(rng, 1.0, 2.5) * p.disk_scale;
  p.ring_width = std::max(0.7, uniform(rng, 0.08, 0.2) * p.ring_radius);
  double contrast = uniform(rng, 0.5, 3.0);  // over the disk's surface brightness at the ring
  p.ring_weight = contrast * p.disk_weight * std::exp(-p.ring_radius / p.disk_scale);
}

void add_companion(GalaxyParams& p, Rng& rng, double n) {
  auto& k = p.companion;
  double sep = uniform(rng, 0.15, 0.42) * n, angle = uniform(rng, 0, kTwoPi);
  k.dx = sep * std::cos(angle);
  k.dy = sep * std::sin(angle);
  k.re = uniform(rng, 0.025, 0.07) * n;
  k.n = uniform(rng, 1.0, 3.0);
  k.q = uniform(rng, 0.5, 1.0);
  k.pa = uniform(rng, 0, kTwoPi / 2);
  k.colour = uniform(rng, 0, 1);
  double flux_ratio = std::exp(uniform(rng, std::log(0.05), 0.0));  // of the main galaxy's bulge + disk (= 1)
  k.weight = flux_ratio / sersic_flux(k.re, k.n, k.q);
}

}  // namespace

GalaxyParams sample_gz_galaxy(Rng& rng, const GalaxyOptions& opt, GalaxyKind* kind) {
  GalaxyParams p = sample_galaxy(rng, opt);
  const double n = opt.size;
  double u = uniform(rng, 0, 1);
  GalaxyKind k = u < 0.30 ? GalaxyKind::kElliptical : u < 0.45 ? GalaxyKind::kLenticular : GalaxyKind::kSpiral;
  if (k == GalaxyKind::kElliptical) make_elliptical(p, rng, n);
  if (k == GalaxyKind::kLenticular) make_lenticular(p, rng, n);
  if (k != GalaxyKind::kElliptical && uniform(rng, 0, 1) < 0.20) add_ring(p, rng);
  if (uniform(rng, 0, 1) < 0.12) add_companion(p, rng, n);
  if (kind) *kind = k;
  return p;
}

const BandColours& band_colours() {
  static const BandColours c{{0.55, 1.0, 1.45}, {0.80, 1.0, 1.15}, {1.15, 1.0, 0.80},
                             {0.65, 1.0, 1.30}, {1.50, 1.0, 0.60}, {1.10, 1.0, 0.85}};
  return c;
}

std::vector<float> render_colour_galaxy(const GalaxyParams& p, const GalaxyOptions& opt, Rng& rng) {
  const BandColours& c = band_colours();
  static constexpr double kDust[3] = {1.4, 1.0, 0.6};
  // The companion's colour runs from the bulge's (red) to the clumps' (blue).
  double comp[3];
  for (int b = 0; b < 3; ++b) comp[b] = (1 - p.companion.colour) * c.bulge[b] + p.companion.colour * c.clumps[b];
  auto img = render_light(p, opt, kColourBands, [&](const GalaxyLight& l, double* out) {
    for (int b = 0; b < 3; ++b) {
      double t = l.dust < 1 ? std::pow(l.dust, kDust[b]) : 1.0;
      double disk = l.disk * c.disk[b] + l.arms * c.arms[b] + l.bar * c.bar[b] + l.clumps * c.clumps[b] +
                    l.ring * c.ring[b];
      out[b] = disk * t + l.bulge * c.bulge[b] * (0.5 + 0.5 * t) + l.companion * comp[b];
    }
  });
  finish_training_image(img, opt, p.peak, rng);
  return img;
}

}  // namespace penumbra
