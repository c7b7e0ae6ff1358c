#include "src/datasets/galaxy_generator.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include "src/core/errors.hpp"
#include "src/core/threads.hpp"

namespace penumbra {

namespace {

constexpr double kTwoPi = 6.283185307179586;

double uniform(Rng& rng, double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng); }
double log_uniform(Rng& rng, double a, double b) { return std::exp(uniform(rng, std::log(a), std::log(b))); }

// Sérsic b_n (Ciotti & Bertin 1999 expansion), good to < 1e-4 for n ≥ 0.36.
double sersic_b(double n) { return 2 * n - 1.0 / 3 + 0.009876 / n; }

// Total flux of a Sérsic profile with I(R_e) = 1 and axis ratio q.
double sersic_flux(double re, double n, double q) {
  double b = sersic_b(n);
  return kTwoPi * n * re * re * q * std::exp(b) * std::tgamma(2 * n) / std::pow(b, 2 * n);
}

void gaussian_blur(std::vector<float>& img, int n, double fwhm) {
  double s = fwhm / 2.354820045;
  int r = std::max(1, int(std::ceil(3 * s)));
  std::vector<double> k(2 * r + 1);
  double sum = 0;
  for (int i = -r; i <= r; ++i) sum += k[i + r] = std::exp(-0.5 * i * i / (s * s));
  for (auto& v : k) v /= sum;
  std::vector<float> tmp(img.size());
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      double a = 0;
      for (int i = -r; i <= r; ++i)
        if (x + i >= 0 && x + i < n) a += k[i + r] * img[y * n + x + i];
      tmp[y * n + x] = float(a);
    }
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      double a = 0;
      for (int i = -r; i <= r; ++i)
        if (y + i >= 0 && y + i < n) a += k[i + r] * tmp[(y + i) * n + x];
      img[y * n + x] = float(a);
    }
}

}  // namespace

void GalaxyOptions::validate() const {
  if (size < 8) throw UsageError("galaxy generator: size = " + std::to_string(size) + " pixels; expected ≥ 8");
  if (psf_fwhm < 0) throw UsageError("galaxy generator: psf_fwhm = " + std::to_string(psf_fwhm) + "; expected ≥ 0");
  if (noise < 0) throw UsageError("galaxy generator: noise = " + std::to_string(noise) + "; expected ≥ 0");
  if (!(peak_min > 0 && peak_max >= peak_min))
    throw UsageError("galaxy generator: peak range [" + std::to_string(peak_min) + ", " + std::to_string(peak_max) +
                     "]; expected 0 < peak_min ≤ peak_max");
  if (supersample < 1 || supersample > 8)
    throw UsageError("galaxy generator: supersample = " + std::to_string(supersample) + "; expected 1..8");
}

GalaxyParams sample_galaxy(Rng& rng, const GalaxyOptions& opt) {
  GalaxyParams p;
  double n = opt.size;
  p.cx = uniform(rng, -0.04, 0.04) * n;
  p.cy = uniform(rng, -0.04, 0.04) * n;
  p.pa = uniform(rng, 0, kTwoPi / 2);
  // Isotropic orientations: cos i uniform, floored so the disk keeps some thickness.
  p.cos_inc = std::max(0.15, uniform(rng, 0, 1));
  p.disk_scale = log_uniform(rng, 0.055, 0.16) * n;
  // Bulge: B/T from pure disks to B/T = 0.4, concentration n_s ∈ [0.6, 3]
  // (steeper cusps would set the peak alone and leave the disk near zero).
  double bt = std::pow(uniform(rng, 0, 1), 2.0) * 0.4;
  p.bulge_n = uniform(rng, 0.6, 3.0);
  p.bulge_re = std::max(0.8, uniform(rng, 0.15, 0.5) * p.disk_scale);
  p.bulge_q = std::max(p.cos_inc, uniform(rng, 0.6, 1.0));
  double disk_flux = kTwoPi * p.disk_scale * p.disk_scale * p.cos_inc;
  double bulge_flux = sersic_flux(p.bulge_re, p.bulge_n, p.bulge_q);
  p.disk_weight = (1 - bt) / disk_flux;
  p.bulge_weight = bt / bulge_flux;
  // Spiral structure in ~80 % of disks.
  double u = uniform(rng, 0, 1);
  p.arms = u < 0.2 ? 0 : u < 0.35 ? 1 : u < 0.8 ? 2 : u < 0.92 ? 3 : 4;
  p.pitch = uniform(rng, 8, 35) * kTwoPi / 360;
  p.arm_phase = uniform(rng, 0, kTwoPi);
  p.arm_strength = uniform(rng, 0.3, 0.9);
  p.arm_sharpness = uniform(rng, 1.5, 6);
  if (std::uniform_real_distribution<double>(0, 1)(rng) < 0.35) {  // a third of disks are barred
    p.bar_length = uniform(rng, 0.8, 2.0) * p.disk_scale;
    p.bar_width = uniform(rng, 0.2, 0.4) * p.bar_length;
    p.bar_angle = uniform(rng, 0, kTwoPi / 2);
    p.bar_weight = uniform(rng, 0.5, 2.0) * p.disk_weight;
  }
  int clumps = std::uniform_int_distribution<int>(0, p.arms > 0 ? 16 : 6)(rng);
  for (int i = 0; i < clumps; ++i) {
    GalaxyParams::Clump c;
    c.r = p.disk_scale * std::gamma_distribution<double>(2.0, 0.9)(rng);
    double theta = uniform(rng, 0, kTwoPi);
    if (p.arms > 0) {  // on an arm: solve the arm phase for θ at this radius, with scatter
      int k = std::uniform_int_distribution<int>(0, p.arms - 1)(rng);
      theta = std::log(c.r / p.disk_scale + 1e-3) / std::tan(p.pitch) + (kTwoPi * k - p.arm_phase) / p.arms +
              std::normal_distribution<double>(0, 0.15)(rng);
    }
    c.theta = theta;
    c.size = uniform(rng, 0.5, 1.6) * std::max(1.0, n / 64);
    c.weight = uniform(rng, 0.5, 3.0) * p.disk_weight * std::exp(-c.r / p.disk_scale);
    p.clumps.push_back(c);
  }
  p.dust = p.arms > 0 && uniform(rng, 0, 1) < 0.5 ? uniform(rng, 0.2, 1.2) : 0;
  p.edge_dust = p.cos_inc < 0.45 && uniform(rng, 0, 1) < 0.6 ? uniform(rng, 0.5, 2.0) : 0;
  p.peak = uniform(rng, opt.peak_min, opt.peak_max);
  return p;
}

std::vector<float> render_galaxy(const GalaxyParams& p, const GalaxyOptions& opt, Rng& rng) {
  const int n = opt.size, ss = opt.supersample;
  const double c0 = 0.5 * (n - 1);
  const double cpa = std::cos(p.pa), spa = std::sin(p.pa);
  const double cb = std::cos(p.bar_angle), sb = std::sin(p.bar_angle);
  const double bn = sersic_b(p.bulge_n), inv_n = 1 / p.bulge_n;
  const double tan_pitch = std::tan(p.pitch);
  const double arm_core = 1.5 * p.bulge_re + 0.3 * p.disk_scale;  // arms fade in outside the bulge
  const double lane_width = std::max(0.6, 0.06 * p.disk_scale);
  // Clump centres in sky coordinates (they live in the inclined disk plane).
  struct SkyClump { double u, v, s2, w; };
  std::vector<SkyClump> clumps;
  for (auto& c : p.clumps) {
    double X = c.r * std::cos(c.theta), Y = c.r * std::sin(c.theta);
    clumps.push_back({X, Y * p.cos_inc, c.size * c.size, c.weight});
  }
  std::vector<float> img(std::size_t(n) * n);
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      double acc = 0;
      for (int sy = 0; sy < ss; ++sy)
        for (int sx = 0; sx < ss; ++sx) {
          double dx = x + (sx + 0.5) / ss - 0.5 - c0 - p.cx;
          double dy = y + (sy + 0.5) / ss - 0.5 - c0 - p.cy;
          double u = dx * cpa + dy * spa, v = -dx * spa + dy * cpa;  // u along the major axis
          double X = u, Y = v / p.cos_inc;                           // disk plane
          double r = std::sqrt(X * X + Y * Y);
          double disk = std::exp(-r / p.disk_scale);
          double dust = 1;
          if (p.arms > 0) {
            double phase = p.arms * (std::atan2(Y, X) - std::log(r / p.disk_scale + 1e-3) / tan_pitch) + p.arm_phase;
            double fade = 1 - std::exp(-(r * r) / (arm_core * arm_core));
            double mod = std::pow(0.5 * (1 + std::cos(phase)), p.arm_sharpness);
            disk *= 1 - p.arm_strength * fade + p.arm_strength * fade * 2.0 * mod;
            // Dust lanes trail the arms on their inner (concave) side.
            if (p.dust > 0) dust *= std::exp(-p.dust * fade * std::pow(0.5 * (1 + std::cos(phase + 0.9)), 6.0));
          }
          double val = p.disk_weight * disk;
          if (p.bar_length > 0) {
            double bx = X * cb + Y * sb, by = -X * sb + Y * cb;
            double e = std::pow(std::pow(std::abs(bx) / p.bar_length, 3) + std::pow(std::abs(by) / p.bar_width, 3),
                                1.0 / 3);
            val += p.bar_weight * std::exp(-2 * e * e);
          }
          for (auto& c : clumps) {
            double d2 = (u - c.u) * (u - c.u) + (v - c.v) * (v - c.v);
            if (d2 < 25 * c.s2) val += c.w * std::exp(-0.5 * d2 / c.s2);
          }
          if (p.edge_dust > 0)
            dust *= std::exp(-p.edge_dust * std::exp(-0.5 * v * v / (lane_width * lane_width)) *
                             std::exp(-std::abs(u) / (2 * p.disk_scale)));
          double rb = std::sqrt(u * u + (v / p.bulge_q) * (v / p.bulge_q));
          double bulge = p.bulge_weight * std::exp(-bn * (std::pow(rb / p.bulge_re, inv_n) - 1));
          acc += val * dust + bulge * (0.5 + 0.5 * dust);  // the bulge sits partly in front of the lanes
        }
      img[std::size_t(y) * n + x] = float(acc / (ss * ss));
    }
  finish_training_image(img, opt, p.peak, rng);
  return img;
}

void finish_training_image(std::vector<float>& img, const GalaxyOptions& opt, double target_peak, Rng& rng) {
  const int n = opt.size;
  if (img.size() != std::size_t(n) * n)
    throw InternalError("finish_training_image: " + std::to_string(img.size()) + " pixels for size " + std::to_string(n));
  if (opt.psf_fwhm > 0) gaussian_blur(img, n, opt.psf_fwhm);
  float peak = *std::max_element(img.begin(), img.end());
  if (!(peak > 0)) throw InternalError("training image: rendered image has peak " + std::to_string(peak));
  float scale = float(target_peak / peak);
  for (auto& v : img) v *= scale;
  if (opt.noise > 0) {
    std::normal_distribution<float> g(0.f, float(opt.noise * target_peak));
    for (auto& v : img) v += g(rng);
  }
}

GalaxyGenerator::GalaxyGenerator(std::size_t count, GalaxyOptions opt, std::uint64_t seed)
    : count_(count), opt_(opt), seed_(seed) {
  opt_.validate();
}

GalaxyParams GalaxyGenerator::params(std::size_t i) const {
  auto rng = make_rng(seed_, i);
  return sample_galaxy(rng, opt_);
}

Example GalaxyGenerator::get(std::size_t i) const {
  if (i >= count_)
    throw UsageError("galaxy generator: item " + std::to_string(i) + " out of range [0, " + std::to_string(count_) +
                     ")");
  auto rng = make_rng(seed_, i);
  auto p = sample_galaxy(rng, opt_);
  Example e;
  e.image = render_galaxy(p, opt_, rng);
  return e;
}

void GalaxyGenerator::generate(std::size_t first, std::size_t count, float* out, int threads) const {
  write_images(first, count, out, threads);
}

}  // namespace penumbra
