#pragma once
// Earth-rotation synthesis: the UVW tracks of every baseline of an array for a
// source at (RA, Dec) over an hour-angle range.
//
// Geometry (REFERENCE.md §1, the MeasurementSet convention that WSClean and CASA
// follow): for a baseline L = POSITION(antenna2) − POSITION(antenna1) in the local
// equatorial frame (X, Y, Z of instruments/array_layout.hpp) and hour angle H,
//   u =  sin H·Lx + cos H·Ly
//   v = −sin δ cos H·Lx + sin δ sin H·Ly + cos δ·Lz
//   w =  cos δ cos H·Lx − cos δ sin H·Ly + sin δ·Lz
// in metres. For one baseline over a full day (u, v) traces an ellipse centred on
// (0, Lz·cos δ) with semi-axes √(Lx² + Ly²) in u and √(Lx² + Ly²)·|sin δ| in v.
//
// Times: MJD seconds (UTC, as the MS TIME column) at the middle of each
// integration. The hour angle at time t is GMST(t) + longitude − RA with the
// IAU 1982 GMST (UT1 taken as UTC; no precession, nutation or aberration — the
// simulation's UVW are exact for the hour angles it states, which is all a
// simulated MS needs to be self-consistent).
#include <cstddef>
#include <optional>
#include <vector>

#include "instruments/array_layout.hpp"
#include "src/core/units.hpp"

namespace penumbra {

struct UvwSimulationConfig {
  double ra = 0, dec = 0;            // phase centre, radians (J2000)
  double ha_start = -kPi / 12.0;     // hour angle range, radians (1 h = π/12);
  double ha_end = +kPi / 12.0;       // default −1 h … +1 h
  double integration = 60.0;         // seconds (solar time) per dump
  double date_mjd = 58020.0;         // the UTC day whose transit the hour angles refer to (2017-09-24)
  // Dumps with the source below this elevation (radians) are dropped. Unset: keep all.
  std::optional<double> min_elevation;
};

// Row-ordered like an MS: for each dump, every baseline (antenna1 < antenna2)
// in the order (0,1), (0,2), …, (1,2), …; no autocorrelations.
struct UvwTracks {
  std::size_t ndump = 0, nbaseline = 0;
  std::vector<double> uvw;            // [row][3] metres, antenna2 − antenna1
  std::vector<double> time;           // [row] MJD seconds (UTC), integration midpoints
  std::vector<int> antenna1, antenna2;
  std::vector<double> hour_angle;     // [dump] radians
  std::vector<double> elevation;      // [dump] radians at the array centre
  double interval = 0;                // seconds
  std::size_t dropped_dumps = 0;      // removed by the elevation limit
  std::size_t rows() const { return antenna1.size(); }
};

// UVW (metres) of baseline vector `l` (local equatorial X, Y, Z metres) at hour angle
// `h` and declination `dec` (radians) — the formula above.
void baseline_uvw(const double l[3], double h, double dec, double uvw[3]);

// Elevation (radians) of a source at hour angle h and declination dec seen from latitude lat.
double source_elevation(double h, double dec, double lat);

// Greenwich mean sidereal time (radians, in [0, 2π)) at MJD seconds `t` (UTC ≈ UT1).
double gmst(double mjd_seconds);
// Local hour angle (radians, in (−π, π]) of right ascension `ra` at time `t` for a site
// at `longitude` (radians, East positive).
double hour_angle(double mjd_seconds, double longitude, double ra);
// The MJD second nearest to the middle of day `date_mjd` at which `ra` transits the
// meridian of `longitude` (hour angle 0).
double transit_time(double date_mjd, double longitude, double ra);

// Simulates the tracks. Throws UsageError for an empty or inverted hour-angle range,
// non-positive integration time, a range shorter than one integration, |dec| > 90°, or
// when the elevation limit drops every dump (naming the highest elevation reached).
UvwTracks simulate_uvw(const ArrayLayout& layout, const UvwSimulationConfig& cfg);

}  // namespace penumbra
