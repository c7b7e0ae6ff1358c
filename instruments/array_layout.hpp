#pragma once
// Interferometer array layouts: antenna positions as East/North/Up offsets
// (metres) from an array centre on the WGS84 ellipsoid, read from
//   * CASA simobserve configuration files (`.cfg`): '#' header lines with
//     `observatory=NAME`, `coordsys=LOC|XYZ` (and optionally `COFA=lon,lat`),
//     then rows `x y z diam name`. LOC rows are local East/North/Up metres;
//     XYZ rows are geocentric ITRF metres (converted to offsets around their centroid).
//   * OSKAR-style `layout.txt`: two (or three) columns East North [Up] in metres,
//     whitespace or comma separated, '#' comments. The file holds no site, so the
//     site comes from the caller (default: ALMA).
//   * a built-in ALMA-like long-baseline layout (`alma-long`, no files needed).
//
// Geometry used by the UVW simulation (instruments/uvw_simulation.hpp): the local
// equatorial frame of TMS (Thompson, Moran & Swenson eq. 4.15),
//   X = −sin φ·N + cos φ·U   (towards hour angle 0 on the equator)
//   Y = E                    (towards hour angle −6h, i.e. East)
//   Z =  cos φ·N + sin φ·U   (towards the celestial pole)
// with φ the geodetic latitude of the array centre.
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace penumbra {

// A site on the WGS84 ellipsoid.
struct Site {
  std::string name;
  double latitude = 0;   // geodetic, radians (South negative)
  double longitude = 0;  // radians (West negative)
  double height = 0;     // metres above the ellipsoid
};

// ALMA's array centre: −23.0229°, −67.7552°, 5058.7 m (REFERENCE.md / shared data README).
Site alma_site();
// Known observatory names (case-insensitive: ALMA, ACA, VLA, EVLA, MEERKAT); throws
// UsageError listing the known names otherwise.
Site site_by_name(const std::string& name);

struct ArrayLayout {
  std::string name;                     // e.g. "alma-long" or the file name
  Site site;
  std::vector<std::string> antenna;     // names, one per antenna
  std::vector<double> east, north, up;  // metres from the array centre
  std::vector<double> diameter;         // metres

  std::size_t size() const { return east.size(); }
  std::size_t baselines() const { return size() * (size() - 1) / 2; }
  // Longest / shortest antenna separation in metres (3-D distance).
  double max_baseline() const;
  double min_baseline() const;
  // Local equatorial X, Y, Z (metres, see the header comment) of antenna `a`.
  void equatorial(std::size_t a, double xyz[3]) const;
  // Geocentric ITRF positions [ant][3] in metres (WGS84), as the MS ANTENNA table wants.
  std::vector<double> itrf() const;
  // Throws DataError naming `where` for an empty layout, non-finite or duplicate
  // positions, or non-positive diameters.
  void validate(const std::string& where) const;
};

// CASA .cfg reader (see above). MissingInputError when absent, DataError naming the
// file, line and value for malformed rows or unsupported coordsys (UTM).
ArrayLayout read_casa_cfg(const std::filesystem::path& path);
// OSKAR layout.txt reader; `site` places the array on the Earth.
ArrayLayout read_oskar_layout(const std::filesystem::path& path, const Site& site = alma_site(),
                              double dish_diameter = 12.0);
// The built-in layout: 40 × 12 m antennas on three irregular logarithmic spiral arms
// around ALMA's site, baselines 75 m – 12.6 km, generated deterministically in code
// (no data file). Tuned to ALMA's C40-9 (DSHARP): over ±1 h at AS 209's declination
// and 240 GHz its median |uv| is 2.4 Mλ (C40-9: 2.5 Mλ) and its natural-weight beam
// ≈ 35 mas (C40-9: 32–35 mas); see docs/simulate.md.
ArrayLayout alma_long_layout();
// `spec` is a built-in name ("alma-long") or a file: `.cfg` → CASA, otherwise OSKAR text.
ArrayLayout load_array_layout(const std::string& spec, const Site& site = alma_site());

// WGS84 geodetic → geocentric (metres) and the local East/North/Up → ITRF rotation.
void geodetic_to_itrf(const Site& site, double xyz[3]);
void enu_to_itrf(const Site& site, double e, double n, double u, double xyz[3]);
// Geocentric → geodetic (iterative; sub-millimetre for points near the surface).
Site itrf_to_geodetic(const double xyz[3]);

}  // namespace penumbra
