#pragma once
// Procedural galaxy images for training diffusion priors: a Sérsic bulge, an
// exponential disk, logarithmic spiral arms (1–4 arms, pitch 8°–35°), bars,
// star-forming clumps and dust lanes, seen at a random inclination and
// position angle, with random size and brightness; optional Gaussian PSF blur
// and Gaussian noise. Plain C++ (no LibTorch).
//
// Normalisation ("peak"): each noiseless image is scaled so that its brightest
// pixel equals `peak`, drawn uniformly in [peak_min, peak_max] (default
// [0.5, 1]); the noise (σ = noise · peak) is added afterwards. Pixel values are
// dimensionless "network units"; a sampler maps physical images (e.g. Jy/pixel)
// onto them by dividing by a scale it chooses (e.g. the expected peak).
//
// Image i of a generator is drawn from its own stream derive_seed(seed, i), so
// any item can be made alone, in any order, by any thread, with the same result.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "src/core/rng.hpp"
#include "src/datasets/dataset.hpp"

namespace penumbra {

struct GalaxyOptions {
  int size = 64;             // pixels per side (any ≥ 8; 64, 128, 256 are the intended sizes)
  double psf_fwhm = 0;       // pixels; 0 = no blur
  double noise = 0;          // Gaussian noise σ as a fraction of the peak; 0 = none
  double peak_min = 0.5, peak_max = 1.0;
  int supersample = 2;       // sub-pixels per pixel side (anti-aliasing of bulges and clumps)
  void validate() const;     // UsageError naming the field
};

// Everything that defines one galaxy; lengths in pixels, angles in radians.
struct GalaxyParams {
  double cx = 0, cy = 0;             // centre offset from the image centre
  double pa = 0;                     // position angle of the major axis
  double cos_inc = 1;                // cos(inclination): axis ratio of the thin disk
  double disk_scale = 8;             // exponential scale length
  double disk_weight = 1;            // disk amplitude relative to bulge
  double bulge_re = 2, bulge_n = 2, bulge_weight = 1, bulge_q = 1;
  int arms = 2;                      // 0 = no spiral structure
  double pitch = 0.3;                // pitch angle
  double arm_phase = 0, arm_strength = 0.6, arm_sharpness = 3;
  double bar_length = 0, bar_width = 0, bar_angle = 0, bar_weight = 0;  // bar_length 0: no bar
  struct Clump { double r, theta, size, weight; };
  std::vector<Clump> clumps;         // in the disk plane (r, θ)
  double dust = 0;                   // optical depth of dust lanes along the arms
  double edge_dust = 0;              // optical depth of a mid-plane lane (seen edge-on)
  double peak = 1;                   // peak after normalisation
  // Rings and a companion (drawn for the Galaxy Zoo sets, src/datasets/colour_galaxy.hpp); off by default.
  double ring_radius = 0, ring_width = 1, ring_weight = 0;  // in the disk plane; ring_weight 0: no ring
  struct Companion {
    double dx = 0, dy = 0;             // sky offset from the galaxy's centre
    double re = 1, n = 1, q = 1, pa = 0, weight = 0;  // a Sérsic profile; weight 0: no companion
    double colour = 0.5;               // 0 red (old stars) … 1 blue (star forming)
  } companion;
};

// The light of a galaxy at one point, by component, before normalisation; `dust`
// is the transmission (≤ 1) of the disk-plane components (disk, arms, bar, clumps,
// ring), so a colour renderer can redden it band by band.
struct GalaxyLight {
  double bulge = 0, disk = 0, arms = 0, bar = 0, clumps = 0, ring = 0, companion = 0, dust = 1;
};
// Renders `channels` planes ([channels][size][size], supersampled; no blur,
// normalisation or noise): `mix` turns each sub-pixel's light into its channels.
using LightMix = std::function<void(const GalaxyLight& light, double* channels)>;
std::vector<float> render_light(const GalaxyParams& p, const GalaxyOptions& opt, int channels, const LightMix& mix);
// Total flux of a Sérsic profile with I(R_e) = 1 and axis ratio q.
double sersic_flux(double re, double n, double q);
// Bulge flux over bulge + disk flux (bars, clumps and rings left out).
double bulge_to_total(const GalaxyParams& p);
// Separable Gaussian blur of an [n][n] image, edges treated as zero.
void gaussian_blur(float* img, int n, double fwhm);

// Draws the parameters of one galaxy for images of `opt.size` pixels.
GalaxyParams sample_galaxy(Rng& rng, const GalaxyOptions& opt);
// Renders (blur, normalisation and noise included; `rng` only feeds the noise).
std::vector<float> render_galaxy(const GalaxyParams& p, const GalaxyOptions& opt, Rng& rng);
// The "peak" normalisation shared by every training-image generator: blur by
// opt.psf_fwhm, scale so the brightest pixel is `target_peak`, then add noise of
// σ = opt.noise·target_peak from `rng`. `img` is [opt.size][opt.size], or several
// such planes (colour bands: blurred one by one, scaled together).
void finish_training_image(std::vector<float>& img, const GalaxyOptions& opt, double target_peak, Rng& rng);

class GalaxyGenerator final : public Dataset {
 public:
  GalaxyGenerator(std::size_t count, GalaxyOptions opt, std::uint64_t seed);
  std::size_t size() const override { return count_; }
  int height() const override { return opt_.size; }
  int width() const override { return opt_.size; }
  Example get(std::size_t i) const override;
  std::string name() const override { return "galaxies"; }
  const GalaxyOptions& options() const { return opt_; }
  GalaxyParams params(std::size_t i) const;
  // Items [first, first+count) into `out` ([count][size][size]), on `threads`
  // threads (≤ 0: penumbra::thread_count()).
  void generate(std::size_t first, std::size_t count, float* out, int threads = 0) const;

 private:
  std::size_t count_;
  GalaxyOptions opt_;
  std::uint64_t seed_;
};

}  // namespace penumbra
