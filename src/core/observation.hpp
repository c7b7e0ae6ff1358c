#pragma once
// The data model of an interferometric observation.
//
// Sign convention (one for the whole library): internally a visibility is
//   V(u, v) = Σ_pixels I(l, m) · exp(−2πi (u·l + v·m)),
// u, v in wavelengths, l towards East. MeasurementSets and uvtables store the
// complex conjugate (CASA/WSClean convention, REFERENCE.md §1); their readers
// and writers conjugate, so `vis` below is always in the internal convention.
#include <complex>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace penumbra {

// CASA Stokes codes as stored in POLARIZATION/CORR_TYPE.
enum class Corr : int { I = 1, RR = 5, RL = 6, LR = 7, LL = 8, XX = 9, XY = 10, YX = 11, YY = 12 };
std::string corr_name(int code);

// Flattened Stokes-I samples, what the imaging operators consume: one entry
// per unflagged (row, channel) with positive weight.
struct VisibilitySet {
  std::vector<double> u, v;                 // wavelengths
  std::vector<std::complex<double>> vis;    // Jy, internal sign convention
  std::vector<double> weight;               // 1/σ², Jy⁻²
  std::size_t size() const { return vis.size(); }
  // Throws DataError (naming `where` and the index) for non-finite entries or
  // negative weights, and for an empty set.
  void validate(const std::string& where) const;
  // Largest |uv| in wavelengths.
  double max_uv() const;
};

struct Observation {
  std::size_t nrow = 0, nchan = 0, ncorr = 0;
  std::vector<double> uvw;                  // [row][3] metres (antenna2 − antenna1, as in the MS)
  std::vector<double> freq;                 // [chan] Hz
  std::vector<int> corr;                    // [corr] CASA Stokes codes (see Corr)
  std::vector<std::complex<float>> vis;     // [row][chan][corr] Jy, internal convention
  std::vector<float> weight;                // [row][chan][corr] 1/σ² of each correlation
  std::vector<std::uint8_t> flag;           // [row][chan][corr], FLAG_ROW folded in
  // Optional per-row metadata (kept when read from / written to an MS).
  std::vector<int> antenna1, antenna2;      // [row]
  std::vector<double> time;                 // [row] MJD seconds
  double interval = 0;                      // integration time, s
  double ra = 0, dec = 0;                   // phase centre, radians (J2000)
  bool frequency_known = true;              // false for uvtables (u, v given in λ; freq = c)
  std::string telescope = "ALMA";
  std::string field = "";
  // Antenna positions (ITRF metres, [ant][3]) and dish diameter when known.
  std::vector<double> antenna_xyz;
  double dish_diameter = 12.0;

  std::size_t index(std::size_t row, std::size_t chan, std::size_t c) const {
    return (row * nchan + chan) * ncorr + c;
  }
  double u_lambda(std::size_t row, std::size_t chan) const;
  double v_lambda(std::size_t row, std::size_t chan) const;
  // Resizes vis/weight/flag for nrow × nchan × ncorr (zeros, unflagged, weight 1).
  void allocate();
  // Checks that all arrays agree in size; throws DataError naming `where`.
  void check_shapes(const std::string& where) const;
  // Stokes I = ½(XX+YY) or ½(RR+LL), weight 4/(1/w₁ + 1/w₂); a sample is kept
  // only when both parallel hands are unflagged. Single-correlation data are
  // taken as they are.
  VisibilitySet stokes_i() const;
  double flagged_fraction() const;
};

}  // namespace penumbra
