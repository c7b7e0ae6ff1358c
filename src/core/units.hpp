#pragma once
// Parsing of quantities with units at the edges of the program ("0.01asec",
// "3mas", "240GHz", "10min"). Internally: radians, hertz, seconds, metres.
#include <string>
#include <vector>

namespace penumbra {

inline constexpr double kPi = 3.14159265358979323846;
inline constexpr double kSpeedOfLight = 299792458.0;  // m/s
inline constexpr double kArcsec = kPi / (180.0 * 3600.0);  // rad
inline constexpr double kDeg = kPi / 180.0;                // rad

// Angle → radians. Units: rad, deg, arcmin|amin, arcsec|asec|as, mas, uas.
// A bare number takes `default_unit`. Throws UsageError naming the text.
double parse_angle(const std::string& text, const std::string& default_unit = "rad");
// Frequency → Hz. Units: Hz, kHz, MHz, GHz, THz (case-insensitive).
double parse_frequency(const std::string& text, const std::string& default_unit = "Hz");
// Duration → seconds. Units: s, min, h.
double parse_duration(const std::string& text, const std::string& default_unit = "s");
// Length → metres. Units: m, km, mm, cm, au is not a length here.
double parse_length(const std::string& text, const std::string& default_unit = "m");
// Flux density → Jy. Units: Jy, mJy, uJy (µJy).
double parse_flux_density(const std::string& text, const std::string& default_unit = "Jy");

// "0.1,0.5,0.9" → numbers. UsageError naming `what` and the bad item, or when empty.
std::vector<double> parse_number_list(const std::string& text, const std::string& what);

// Human-readable forms for logs and `penumbra info`.
std::string format_angle(double radians);
std::string format_frequency(double hz);

}  // namespace penumbra
