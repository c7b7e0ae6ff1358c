#include "instruments/noise.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/units.hpp"

namespace penumbra {

double radiometer_sigma(double sefd, double bandwidth_hz, double integration_s, double efficiency) {
  if (!(sefd > 0) || !(bandwidth_hz > 0) || !(integration_s > 0) || !(efficiency > 0) || !std::isfinite(sefd) ||
      !std::isfinite(bandwidth_hz) || !std::isfinite(integration_s))
    throw UsageError(fmt::format(
        "radiometer equation needs positive SEFD ({} Jy), bandwidth ({} Hz), integration ({} s) and efficiency ({})",
        sefd, bandwidth_hz, integration_s, efficiency));
  return sefd / (efficiency * std::sqrt(2.0 * bandwidth_hz * integration_s));
}

double sefd_jy(double tsys_k, double diameter_m, double aperture_efficiency) {
  constexpr double kBoltzmann = 1.380649e-23;  // J/K
  double area = aperture_efficiency * kPi * diameter_m * diameter_m / 4.0;
  return 2.0 * kBoltzmann * tsys_k / area * 1e26;
}

double correlation_sigma_for_stokes_i(double sigma_i, const Observation& obs) {
  bool a = false, b = false;
  for (int c : obs.corr) {
    if (c == int(Corr::XX) || c == int(Corr::RR)) a = true;
    if (c == int(Corr::YY) || c == int(Corr::LL)) b = true;
  }
  return a && b ? sigma_i * std::sqrt(2.0) : sigma_i;
}

double NormalStream::uniform() {
  // 53 random bits → (0, 1]; never 0, so log() below is finite.
  return (static_cast<double>(rng_() >> 11) + 1.0) * 0x1.0p-53;
}

double NormalStream::operator()() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  double r = std::sqrt(-2.0 * std::log(uniform()));
  double phi = 2.0 * kPi * uniform();
  spare_ = r * std::sin(phi);
  has_spare_ = true;
  return r * std::cos(phi);
}

void add_thermal_noise(Observation& obs, double sigma_corr, std::uint64_t seed, std::uint64_t stream) {
  require_non_negative("noise rms (Jy)", sigma_corr);
  obs.check_shapes("add_thermal_noise");
  if (sigma_corr == 0) {
    std::fill(obs.weight.begin(), obs.weight.end(), 1.0f);
    return;
  }
  NormalStream normal(seed, stream);
  for (auto& v : obs.vis) {
    double re = normal() * sigma_corr;
    double im = normal() * sigma_corr;
    v += std::complex<float>(static_cast<float>(re), static_cast<float>(im));
  }
  std::fill(obs.weight.begin(), obs.weight.end(), static_cast<float>(1.0 / (sigma_corr * sigma_corr)));
}

}  // namespace penumbra
