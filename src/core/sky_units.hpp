#pragma once
// Parsing of the astronomical quantities a simulation is described by: flux
// densities, sky coordinates, dates and hour angles. Messages name the quantity
// ("ra", "dec", "date"); the CLI names the flag.
#include <string>

namespace penumbra {

// "0.3", "0.3Jy", "300mJy", "40uJy" → Jy. `what` names the quantity in errors.
double parse_flux(const std::string& text, const std::string& what);
// Sexagesimal "HH:MM:SS.s" / "12h34m56.7s" (hours) or an angle with a unit (bare: degrees) → radians.
double parse_ra(const std::string& text);
// Sexagesimal "±DD:MM:SS.s" / "-14d22m08.6s" or an angle with a unit (bare: degrees) → radians.
double parse_dec(const std::string& text);
// "YYYY-MM-DD" → MJD (days), proleptic Gregorian.
double parse_date_mjd(const std::string& text);
// Hour angle → radians: a bare number is hours; "30min", "-1.5h", "-15deg" also work.
double parse_hour_angle(const std::string& text, const std::string& what);

}  // namespace penumbra
