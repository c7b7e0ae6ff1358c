#pragma once
// Thermal noise of an interferometer.
//
// Convention (as MS WEIGHT and uvtable weights): the rms σ of a complex
// visibility is the standard deviation of its real part and, independently, of
// its imaginary part; its weight is 1/σ². For Stokes I formed from the two
// parallel hands, I = ½(XX + YY), so σ_I = σ_corr/√2 and Observation::stokes_i()
// gives w_I = 4/(1/w_XX + 1/w_YY) = 2/σ_corr² = 1/σ_I² — the weights written here
// make the Stokes-I weight come out right.
#include <cstddef>
#include <cstdint>

#include "src/core/observation.hpp"
#include "src/core/rng.hpp"

namespace penumbra {

// Radiometer equation for one correlation product between two identical antennas
// (Thompson, Moran & Swenson eq. 6.50): σ = SEFD / (η_c · √(2·Δν·Δt)), Jy.
// UsageError for non-positive arguments.
double radiometer_sigma(double sefd_jy, double bandwidth_hz, double integration_s, double efficiency = 0.88);

// System-equivalent flux density (Jy) of a dish: 2·k_B·T_sys / (η_A·π·D²/4).
double sefd_jy(double tsys_k, double diameter_m, double aperture_efficiency);

// The per-correlation σ that gives Stokes-I rms `sigma_i` in `obs` (σ_i·√2 when the
// observation has both parallel hands, σ_i when it has a single correlation).
double correlation_sigma_for_stokes_i(double sigma_i, const Observation& obs);

// Standard normal deviates from a seeded 64-bit stream, computed with the
// Box–Muller transform on 53-bit uniforms, so the sequence is the same on every
// platform and standard library (std::normal_distribution is not).
class NormalStream {
 public:
  explicit NormalStream(std::uint64_t seed, std::uint64_t stream = 0) : rng_(make_rng(seed, stream)) {}
  double operator()();

 private:
  double uniform();  // (0, 1]
  Rng rng_;
  double spare_ = 0;
  bool has_spare_ = false;
};

// Adds complex Gaussian noise (Re and Im each N(0, σ²), σ = `sigma_corr` Jy) to every
// correlation of every (row, channel) of `obs` and sets WEIGHT = 1/σ². σ = 0 leaves the
// data noise-free and sets every weight to 1 (a convention for noise-free
// simulations, stated in their outputs). UsageError for σ < 0 or non-finite.
// Same (seed, stream) and same observation shape → the same noise.
void add_thermal_noise(Observation& obs, double sigma_corr, std::uint64_t seed, std::uint64_t stream = 1);

}  // namespace penumbra
