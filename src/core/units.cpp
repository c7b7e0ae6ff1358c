#include "src/core/units.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <sstream>

#include "src/core/errors.hpp"

namespace penumbra {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Splits "12.5GHz" into 12.5 and "ghz" and looks the unit up in `table`.
double parse_with(const std::string& text, const std::string& default_unit,
                  const std::map<std::string, double>& table, const char* kind) {
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    throw UsageError(fmt::format("cannot read {} '{}': expected a number with a unit", kind, text));
  }
  std::string unit = text.substr(used);
  unit.erase(std::remove_if(unit.begin(), unit.end(), [](unsigned char c) { return std::isspace(c); }),
             unit.end());
  if (unit.empty()) unit = default_unit;
  auto it = table.find(lower(unit));
  if (it == table.end()) {
    std::string known;
    for (const auto& [k, _] : table) known += (known.empty() ? "" : ", ") + k;
    throw UsageError(fmt::format("unknown {} unit '{}' in '{}' (known: {})", kind, unit, text, known));
  }
  if (!std::isfinite(value)) throw UsageError(fmt::format("{} '{}' is not finite", kind, text));
  return value * it->second;
}

}  // namespace

double parse_angle(const std::string& text, const std::string& default_unit) {
  static const std::map<std::string, double> t = {
      {"rad", 1.0},           {"deg", kDeg},           {"arcmin", kDeg / 60}, {"amin", kDeg / 60},
      {"arcsec", kArcsec},    {"asec", kArcsec},       {"as", kArcsec},       {"\"", kArcsec},
      {"mas", kArcsec * 1e-3}, {"uas", kArcsec * 1e-6}};
  return parse_with(text, default_unit, t, "angle");
}

double parse_frequency(const std::string& text, const std::string& default_unit) {
  static const std::map<std::string, double> t = {
      {"hz", 1.0}, {"khz", 1e3}, {"mhz", 1e6}, {"ghz", 1e9}, {"thz", 1e12}};
  return parse_with(text, default_unit, t, "frequency");
}

double parse_duration(const std::string& text, const std::string& default_unit) {
  static const std::map<std::string, double> t = {{"s", 1.0}, {"sec", 1.0}, {"min", 60.0},
                                                  {"h", 3600.0}, {"hr", 3600.0}};
  return parse_with(text, default_unit, t, "duration");
}

double parse_length(const std::string& text, const std::string& default_unit) {
  static const std::map<std::string, double> t = {{"m", 1.0}, {"km", 1e3}, {"cm", 1e-2}, {"mm", 1e-3}};
  return parse_with(text, default_unit, t, "length");
}

double parse_flux_density(const std::string& text, const std::string& default_unit) {
  static const std::map<std::string, double> t = {{"jy", 1.0}, {"mjy", 1e-3}, {"ujy", 1e-6}, {"µjy", 1e-6}};
  return parse_with(text, default_unit, t, "flux density");
}

std::string format_angle(double r) {
  double a = std::abs(r);
  if (a >= kDeg) return fmt::format("{:.4g} deg", r / kDeg);
  if (a >= kArcsec) return fmt::format("{:.4g} arcsec", r / kArcsec);
  return fmt::format("{:.4g} mas", r / (kArcsec * 1e-3));
}

std::string format_frequency(double hz) {
  double a = std::abs(hz);
  if (a >= 1e9) return fmt::format("{:.6g} GHz", hz / 1e9);
  if (a >= 1e6) return fmt::format("{:.6g} MHz", hz / 1e6);
  return fmt::format("{:.6g} Hz", hz);
}

std::vector<double> parse_number_list(const std::string& text, const std::string& what) {
  std::vector<double> out;
  std::stringstream ss(text);
  std::string tok;
  while (std::getline(ss, tok, ',')) {
    try {
      std::size_t used = 0;
      out.push_back(std::stod(tok, &used));
      if (used != tok.size()) throw std::invalid_argument(tok);
    } catch (const std::exception&) {
      throw UsageError(fmt::format("{} '{}': '{}' is not a number", what, text, tok));
    }
  }
  if (out.empty()) throw UsageError(fmt::format("{} is empty", what));
  return out;
}

}  // namespace penumbra
