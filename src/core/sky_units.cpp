#include "src/core/sky_units.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <regex>

#include "src/core/errors.hpp"
#include "src/core/units.hpp"

namespace penumbra {

// "0.3", "0.3Jy", "300mJy", "40uJy" → Jy; errors name `what` first, so the CLI can name its flag.
double parse_flux(const std::string& text, const std::string& what) {
  try {
    return parse_flux_density(text, "Jy");
  } catch (const UsageError& e) {
    throw UsageError(what + ": " + e.what());
  }
}

// Sexagesimal "HH:MM:SS.s" / "12h34m56.7s" (hours) or an angle with a unit (bare: degrees).
double parse_ra(const std::string& text) {
  static const std::regex hms(R"(^\s*(\d+)[:h ](\d+)[:m ](\d+(?:\.\d*)?)s?\s*$)");
  std::smatch m;
  if (std::regex_match(text, m, hms)) {
    double h = std::stod(m[1]), mi = std::stod(m[2]), s = std::stod(m[3]);
    if (h >= 24 || mi >= 60 || s >= 60) throw UsageError(fmt::format("ra '{}' is not a valid HH:MM:SS", text));
    return (h + mi / 60 + s / 3600) * 15 * kDeg;
  }
  if (text.find(':') != std::string::npos) throw UsageError(fmt::format("ra '{}' is not HH:MM:SS.s", text));
  return parse_angle(text, "deg");
}

// Sexagesimal "±DD:MM:SS.s" / "-14d22m08.6s" or an angle with a unit (bare: degrees).
double parse_dec(const std::string& text) {
  static const std::regex dms(R"(^\s*([+-]?)(\d+)[:d ](\d+)[:m ](\d+(?:\.\d*)?)s?\s*$)");
  std::smatch m;
  double d;
  if (std::regex_match(text, m, dms)) {
    double deg = std::stod(m[2]), mi = std::stod(m[3]), s = std::stod(m[4]);
    if (mi >= 60 || s >= 60) throw UsageError(fmt::format("dec '{}' is not a valid ±DD:MM:SS", text));
    d = (m[1] == "-" ? -1.0 : 1.0) * (deg + mi / 60 + s / 3600) * kDeg;
  } else {
    if (text.find(':') != std::string::npos) throw UsageError(fmt::format("dec '{}' is not ±DD:MM:SS.s", text));
    d = parse_angle(text, "deg");
  }
  if (std::abs(d) > kPi / 2) throw UsageError(fmt::format("dec '{}' is outside −90°…+90°", text));
  return d;
}

// "YYYY-MM-DD" → MJD (days), proleptic Gregorian.
double parse_date_mjd(const std::string& text) {
  static const std::regex ymd(R"(^\s*(\d{4})-(\d{2})-(\d{2})\s*$)");
  std::smatch m;
  if (!std::regex_match(text, m, ymd)) throw UsageError(fmt::format("date '{}' is not YYYY-MM-DD", text));
  int y = std::stoi(m[1]), mo = std::stoi(m[2]), d = std::stoi(m[3]);
  if (mo < 1 || mo > 12 || d < 1 || d > 31) throw UsageError(fmt::format("date '{}' is not a valid date", text));
  // Days from 1970-01-01 (H. Hinnant's days_from_civil), MJD 40587 = 1970-01-01.
  y -= mo <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return 40587.0 + era * 146097.0 + doe - 719468.0;
}

// Hour angles: a bare number is hours; "30min", "-1.5h", "-15deg" also work.
double parse_hour_angle(const std::string& text, const std::string& what) {
  try {
    return parse_duration(text, "h") * 2 * kPi / 86400.0;
  } catch (const UsageError&) {
  }
  try {
    return parse_angle(text, "deg");
  } catch (const UsageError&) {
  }
  throw UsageError(fmt::format("{} '{}' is not an hour angle (e.g. -1h, 30min, -15deg)", what, text));
}

}  // namespace penumbra
