#pragma once
// An interferometric observation of a sky model, as `penumbra simulate` and the
// coverage studies make it: array layout → earth-rotation UVW tracks → model
// visibilities of the truth image (exact DFT for small problems, NUFFT at one
// stated ε otherwise) → thermal noise of a stated or radiometer rms.
#include <nlohmann/json.hpp>

#include <complex>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "instruments/array_layout.hpp"
#include "instruments/uvw_simulation.hpp"
#include "src/core/image_grid.hpp"
#include "src/core/observation.hpp"

namespace penumbra {

struct SkyModel {
  std::vector<double> pixels;  // Jy/pixel, [y][x]
  ImageGrid grid;
  std::string description;     // one line
  std::string field;           // the MS FIELD name
  double flux = 0;             // Jy
};
// A FITS image in Jy/pixel (or Jy/beam with a beam, converted): its own grid.
SkyModel fits_sky(const std::string& path);

// Random streams of an observation (derive_seed(seed, stream)).
constexpr std::uint64_t kObserveNoiseStream = 1;

// Above this many visibility × pixel products "auto" gives way from the exact DFT to the NUFFT.
constexpr double kDftBudget = 4e9;

// Model visibilities (internal sign convention) of `pixels` on `grid` at (u, v)
// in wavelengths: method "dft", "nufft" (at ε) or "auto" (DFT within kDftBudget).
// Returns the method used ("dft" or "nufft(ε)").
std::string model_visibilities(std::span<const double> u, std::span<const double> v, const ImageGrid& grid,
                               std::span<const double> pixels, const std::string& method, double epsilon,
                               std::span<std::complex<double>> out, int threads = 0);

struct ObserveRequest {
  ArrayLayout layout;
  UvwSimulationConfig uvw;
  bool phase_centre_from_sky = false;  // a FITS sky's reference direction (when it has one) replaces uvw's
  std::vector<double> freqs;           // channel centres, Hz
  double chan_width = 0;               // Hz, also the radiometer bandwidth
  std::string model_method = "auto";   // auto | dft | nufft
  double nufft_epsilon = 1e-8;
  double noise_rms = -1;               // Jy per Stokes-I visibility (Re and Im each); < 0: radiometer
  double sefd = 2900, efficiency = 0.88;
  std::uint64_t seed = 0;
  void validate() const;               // UsageError naming the quantity
};

struct Observed {
  Observation obs;                            // XX = YY = I, with noise
  UvwTracks tracks;
  std::vector<std::complex<double>> model;    // [row][chan] noiseless Stokes I
  double sigma_i = 0, sigma_corr = 0;         // Jy: per Stokes-I visibility, per correlation
  std::string method, noise_source;           // "dft" / "nufft(ε)"; "radiometer" / "given"
  double model_seconds = 0, uv_min = 0, uv_max = 0, min_elevation = 0, max_elevation = 0;
};

// `sky.grid` gets the phase centre. UsageError when the sky's cell cannot resolve
// the longest baseline (naming it and the cell that would).
Observed observe(const ObserveRequest& request, SkyModel& sky);

// summary.json of `penumbra simulate` (without timing and files).
nlohmann::json observation_summary(const ObserveRequest& request, const Observed& o, const SkyModel& sky);

}  // namespace penumbra
