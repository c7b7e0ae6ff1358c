#pragma once
// The map from a prior's (or sampler's) pixel units to Jy/pixel. Analytic priors
// and peak-normalised diffusion priors are sampled in units of their own scale,
// so samplers' defaults (initial N(0, 1), step sizes) are on the posterior's
// scale whatever the flux units; likelihoods and writers convert with this.
namespace penumbra {

// x_phys [Jy/pixel] = scale · x + offset.
struct PixelUnits {
  double scale = 1.0;
  double offset = 0.0;
};

}  // namespace penumbra
