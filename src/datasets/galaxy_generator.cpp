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

}  // namespace

double sersic_flux(double re, double n, double q) {
  double b = sersic_b(n);
  return kTwoPi * n * re * re * q * std::exp(b) * std::tgamma(2 * n) / std::pow(b, 2 * n);
}

void gaussian_blur(float* img, int n, double fwhm) {
  double s = fwhm / 2.354820045;
  int r = std::max(1, int(std::ceil(3 * s)));
  std::vector<double> k(2 * r + 1);
  double sum = 0;
  for (int i = -r; i <= r; ++i) sum += k[i + r] = std::exp(-0.5 * i * i / (s * s));
  for (auto& v : k) v /= sum;
  std::vector<float> tmp(std::size_t(n) * n);
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

double bulge_to_total(const GalaxyParams& p) {
  double bulge = p.bulge_weight * sersic_flux(p.bulge_re, p.bulge_n, p.bulge_q);
  double disk = p.disk_weight * kTwoPi * p.disk_scale * p.disk_scale * p.cos_inc;
  return bulge + disk > 0 ? bulge / (bulge + disk) : 0.0;
}

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

namespace {

// The light of one galaxy at sky offsets (dx, dy) from the image centre, with its
// geometry worked out once.
class LightModel {
 public:
  explicit LightModel(const GalaxyParams& p) : p_(p) {
    cpa_ = std::cos(p.pa), spa_ = std::sin(p.pa);
    cb_ = std::cos(p.bar_angle), sb_ = std::sin(p.bar_angle);
    bn_ = sersic_b(p.bulge_n), inv_n_ = 1 / p.bulge_n;
    tan_pitch_ = std::tan(p.pitch);
    arm_core_ = 1.5 * p.bulge_re + 0.3 * p.disk_scale;  // arms fade in outside the bulge
    lane_width_ = std::max(0.6, 0.06 * p.disk_scale);
    for (auto& c : p.clumps) {  // clump centres on the sky (they live in the inclined disk plane)
      double X = c.r * std::cos(c.theta), Y = c.r * std::sin(c.theta);
      clumps_.push_back({X, Y * p.cos_inc, c.size * c.size, c.weight});
    }
    const auto& k = p.companion;
    ck_ = std::cos(k.pa), sk_ = std::sin(k.pa), bk_ = sersic_b(k.n);
  }

  GalaxyLight at(double dx, double dy) const {
    GalaxyLight l;
    double u = dx * cpa_ + dy * spa_, v = -dx * spa_ + dy * cpa_;  // u along the major axis
    double X = u, Y = v / p_.cos_inc;                               // disk plane
    double r = std::sqrt(X * X + Y * Y);
    double disk = p_.disk_weight * std::exp(-r / p_.disk_scale);
    l.disk = disk;
    if (p_.arms > 0) {
      double phase = p_.arms * (std::atan2(Y, X) - std::log(r / p_.disk_scale + 1e-3) / tan_pitch_) + p_.arm_phase;
      double fade = 1 - std::exp(-(r * r) / (arm_core_ * arm_core_));
      double mod = std::pow(0.5 * (1 + std::cos(phase)), p_.arm_sharpness);
      l.disk = disk * (1 - p_.arm_strength * fade);
      l.arms = disk * p_.arm_strength * fade * 2.0 * mod;
      // Dust lanes trail the arms on their inner (concave) side.
      if (p_.dust > 0) l.dust *= std::exp(-p_.dust * fade * std::pow(0.5 * (1 + std::cos(phase + 0.9)), 6.0));
    }
    if (p_.bar_length > 0) {
      double bx = X * cb_ + Y * sb_, by = -X * sb_ + Y * cb_;
      double e =
          std::pow(std::pow(std::abs(bx) / p_.bar_length, 3) + std::pow(std::abs(by) / p_.bar_width, 3), 1.0 / 3);
      l.bar = p_.bar_weight * std::exp(-2 * e * e);
    }
    for (auto& c : clumps_) {
      double d2 = (u - c.u) * (u - c.u) + (v - c.v) * (v - c.v);
      if (d2 < 25 * c.s2) l.clumps += c.w * std::exp(-0.5 * d2 / c.s2);
    }
    if (p_.ring_weight > 0) {
      double t = (r - p_.ring_radius) / p_.ring_width;
      l.ring = p_.ring_weight * std::exp(-0.5 * t * t);
    }
    if (p_.edge_dust > 0)
      l.dust *= std::exp(-p_.edge_dust * std::exp(-0.5 * v * v / (lane_width_ * lane_width_)) *
                         std::exp(-std::abs(u) / (2 * p_.disk_scale)));
    double rb = std::sqrt(u * u + (v / p_.bulge_q) * (v / p_.bulge_q));
    l.bulge = p_.bulge_weight * std::exp(-bn_ * (std::pow(rb / p_.bulge_re, inv_n_) - 1));
    if (p_.companion.weight > 0) l.companion = companion(dx, dy);
    return l;
  }

 private:
  double companion(double dx, double dy) const {
    const auto& k = p_.companion;
    double x = dx - k.dx, y = dy - k.dy;
    double a = x * ck_ + y * sk_, b = (-x * sk_ + y * ck_) / k.q;
    return k.weight * std::exp(-bk_ * (std::pow(std::sqrt(a * a + b * b) / k.re, 1 / k.n) - 1));
  }
  struct SkyClump { double u, v, s2, w; };
  const GalaxyParams& p_;
  double cpa_, spa_, cb_, sb_, bn_, inv_n_, tan_pitch_, arm_core_, lane_width_, ck_, sk_, bk_;
  std::vector<SkyClump> clumps_;
};

}  // namespace

std::vector<float> render_light(const GalaxyParams& p, const GalaxyOptions& opt, int channels, const LightMix& mix) {
  const int n = opt.size, ss = opt.supersample;
  const double c0 = 0.5 * (n - 1);
  const std::size_t npix = std::size_t(n) * n;
  LightModel model(p);
  std::vector<float> img(npix * channels);
  std::vector<double> acc(channels), one(channels);
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      std::fill(acc.begin(), acc.end(), 0.0);
      for (int sy = 0; sy < ss; ++sy)
        for (int sx = 0; sx < ss; ++sx) {
          double dx = x + (sx + 0.5) / ss - 0.5 - c0 - p.cx;
          double dy = y + (sy + 0.5) / ss - 0.5 - c0 - p.cy;
          mix(model.at(dx, dy), one.data());
          for (int c = 0; c < channels; ++c) acc[c] += one[c];
        }
      for (int c = 0; c < channels; ++c) img[c * npix + std::size_t(y) * n + x] = float(acc[c] / (ss * ss));
    }
  return img;
}

std::vector<float> render_galaxy(const GalaxyParams& p, const GalaxyOptions& opt, Rng& rng) {
  auto img = render_light(p, opt, 1, [](const GalaxyLight& l, double* out) {
    // The bulge sits partly in front of the lanes; a companion is in front of all of them.
    out[0] = (l.disk + l.arms + l.bar + l.clumps + l.ring) * l.dust + l.bulge * (0.5 + 0.5 * l.dust) + l.companion;
  });
  finish_training_image(img, opt, p.peak, rng);
  return img;
}

void finish_training_image(std::vector<float>& img, const GalaxyOptions& opt, double target_peak, Rng& rng) {
  const int n = opt.size;
  const std::size_t npix = std::size_t(n) * n;
  if (img.empty() || img.size() % npix != 0)
    throw InternalError("finish_training_image: " + std::to_string(img.size()) + " pixels for size " + std::to_string(n));
  if (opt.psf_fwhm > 0)
    for (std::size_t plane = 0; plane < img.size(); plane += npix) gaussian_blur(img.data() + plane, n, opt.psf_fwhm);
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
