#include "instruments/array_layout.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "src/core/errors.hpp"
#include "src/core/rng.hpp"
#include "src/core/units.hpp"

namespace penumbra {
namespace {

// WGS84 ellipsoid.
constexpr double kWgs84A = 6378137.0;
constexpr double kWgs84F = 1.0 / 298.257223563;
constexpr double kWgs84E2 = kWgs84F * (2.0 - kWgs84F);

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string trim(const std::string& s) {
  std::size_t a = s.find_first_not_of(" \t\r\n");
  if (a == std::string::npos) return "";
  std::size_t b = s.find_last_not_of(" \t\r\n");
  return s.substr(a, b - a + 1);
}

// Parses a number from `tok`; DataError naming file, line and column otherwise.
double parse_number(const std::string& tok, const std::filesystem::path& path, int line, int column) {
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(tok, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != tok.size() || !std::isfinite(v))
    throw DataError(fmt::format("{}:{}: column {} is '{}', expected a finite number (metres)", path.string(), line,
                                column, tok));
  return v;
}

std::ifstream open_or_throw(const std::filesystem::path& path, const char* what) {
  if (!std::filesystem::exists(path))
    throw MissingInputError(fmt::format("{} file {} does not exist", what, path.string()));
  if (std::filesystem::is_directory(path))
    throw DataError(fmt::format("{} {} is a directory, expected a text file", what, path.string()));
  std::ifstream f(path);
  if (!f) throw MissingInputError(fmt::format("cannot open {} file {}", what, path.string()));
  return f;
}

std::vector<std::string> split_fields(std::string s) {
  std::replace(s.begin(), s.end(), ',', ' ');
  std::istringstream is(s);
  std::vector<std::string> out;
  std::string t;
  while (is >> t) out.push_back(t);
  return out;
}

}  // namespace

Site alma_site() { return {"ALMA", -23.0229 * kDeg, -67.7552 * kDeg, 5058.7}; }

Site site_by_name(const std::string& name) {
  static const std::map<std::string, Site> known = {
      {"alma", alma_site()},
      {"aca", alma_site()},
      {"vla", {"VLA", 34.0784 * kDeg, -107.6184 * kDeg, 2124.0}},
      {"evla", {"VLA", 34.0784 * kDeg, -107.6184 * kDeg, 2124.0}},
      {"meerkat", {"MeerKAT", -30.7130 * kDeg, 21.4430 * kDeg, 1038.0}},
  };
  auto it = known.find(lower(trim(name)));
  if (it == known.end())
    throw UsageError(fmt::format("unknown observatory '{}' (known: ALMA, ACA, VLA, EVLA, MeerKAT)", name));
  return it->second;
}

void geodetic_to_itrf(const Site& s, double xyz[3]) {
  double sl = std::sin(s.latitude), cl = std::cos(s.latitude);
  double n = kWgs84A / std::sqrt(1.0 - kWgs84E2 * sl * sl);
  xyz[0] = (n + s.height) * cl * std::cos(s.longitude);
  xyz[1] = (n + s.height) * cl * std::sin(s.longitude);
  xyz[2] = (n * (1.0 - kWgs84E2) + s.height) * sl;
}

void enu_to_itrf(const Site& s, double e, double n, double u, double xyz[3]) {
  double c[3];
  geodetic_to_itrf(s, c);
  double sp = std::sin(s.latitude), cp = std::cos(s.latitude);
  double sl = std::sin(s.longitude), cl = std::cos(s.longitude);
  xyz[0] = c[0] - sl * e - sp * cl * n + cp * cl * u;
  xyz[1] = c[1] + cl * e - sp * sl * n + cp * sl * u;
  xyz[2] = c[2] + cp * n + sp * u;
}

Site itrf_to_geodetic(const double xyz[3]) {
  double p = std::hypot(xyz[0], xyz[1]);
  double lon = std::atan2(xyz[1], xyz[0]);
  double lat = std::atan2(xyz[2], p * (1.0 - kWgs84E2));
  double h = 0;
  for (int it = 0; it < 10; ++it) {
    double sl = std::sin(lat);
    double n = kWgs84A / std::sqrt(1.0 - kWgs84E2 * sl * sl);
    h = p / std::cos(lat) - n;
    lat = std::atan2(xyz[2], p * (1.0 - kWgs84E2 * n / (n + h)));
  }
  return {"", lat, lon, h};
}

double ArrayLayout::max_baseline() const {
  double m = 0;
  for (std::size_t i = 0; i < size(); ++i)
    for (std::size_t j = i + 1; j < size(); ++j)
      m = std::max(m, std::sqrt(std::pow(east[j] - east[i], 2) + std::pow(north[j] - north[i], 2) +
                                std::pow(up[j] - up[i], 2)));
  return m;
}

double ArrayLayout::min_baseline() const {
  double m = size() > 1 ? INFINITY : 0.0;
  for (std::size_t i = 0; i < size(); ++i)
    for (std::size_t j = i + 1; j < size(); ++j)
      m = std::min(m, std::sqrt(std::pow(east[j] - east[i], 2) + std::pow(north[j] - north[i], 2) +
                                std::pow(up[j] - up[i], 2)));
  return m;
}

void ArrayLayout::equatorial(std::size_t a, double xyz[3]) const {
  double sp = std::sin(site.latitude), cp = std::cos(site.latitude);
  xyz[0] = -sp * north[a] + cp * up[a];
  xyz[1] = east[a];
  xyz[2] = cp * north[a] + sp * up[a];
}

std::vector<double> ArrayLayout::itrf() const {
  std::vector<double> out(3 * size());
  for (std::size_t a = 0; a < size(); ++a) enu_to_itrf(site, east[a], north[a], up[a], &out[3 * a]);
  return out;
}

void ArrayLayout::validate(const std::string& where) const {
  if (size() == 0) throw DataError(fmt::format("{}: no antennas", where));
  if (north.size() != size() || up.size() != size() || diameter.size() != size() || antenna.size() != size())
    throw InternalError(fmt::format("{}: layout arrays differ in length", where));
  if (size() < 2) throw DataError(fmt::format("{}: only one antenna, an interferometer needs at least two", where));
  for (std::size_t a = 0; a < size(); ++a) {
    if (!std::isfinite(east[a]) || !std::isfinite(north[a]) || !std::isfinite(up[a]))
      throw DataError(fmt::format("{}: antenna {} ({}) has a non-finite position", where, a, antenna[a]));
    if (!(diameter[a] > 0) || !std::isfinite(diameter[a]))
      throw DataError(
          fmt::format("{}: antenna {} ({}) has diameter {}, expected > 0 m", where, a, antenna[a], diameter[a]));
    for (std::size_t b = 0; b < a; ++b)
      if (east[a] == east[b] && north[a] == north[b] && up[a] == up[b])
        throw DataError(fmt::format("{}: antennas {} ({}) and {} ({}) share the position ({}, {}, {}) m", where, b,
                                    antenna[b], a, antenna[a], east[a], north[a], up[a]));
  }
}

namespace {

// A CASA .cfg file as read, before its positions are interpreted.
struct CasaCfg {
  std::string observatory, coordsys;
  bool have_cofa = false;
  double cofa_lon = 0, cofa_lat = 0;
  struct Row {
    double x, y, z, d;
    std::string name;
  };
  std::vector<Row> rows;
};

// Header: "# key=value", possibly followed by a comment in parentheses.
void read_cfg_header(const std::string& comment, const std::filesystem::path& path, int line, CasaCfg& cfg) {
  std::string body = trim(comment.substr(1));
  auto eq = body.find('=');
  if (eq == std::string::npos) return;
  std::string key = lower(trim(body.substr(0, eq)));
  std::string value = trim(body.substr(eq + 1));
  std::string first = value.substr(0, value.find_first_of(" \t("));
  if (key == "observatory") cfg.observatory = first;
  if (key == "coordsys") cfg.coordsys = lower(first);
  if (key == "cofa") {
    auto parts = split_fields(value);
    if (parts.size() < 2)
      throw DataError(fmt::format("{}:{}: COFA is '{}', expected 'longitude,latitude' in degrees", path.string(), line,
                                  value));
    cfg.cofa_lon = parse_number(parts[0], path, line, 1) * kDeg;
    cfg.cofa_lat = parse_number(parts[1], path, line, 2) * kDeg;
    cfg.have_cofa = true;
  }
}

CasaCfg read_cfg_rows(const std::filesystem::path& path) {
  auto f = open_or_throw(path, "array configuration");
  CasaCfg cfg;
  std::string text;
  int line = 0;
  while (std::getline(f, text)) {
    ++line;
    std::string t = trim(text);
    if (t.empty()) continue;
    if (t[0] == '#') {
      read_cfg_header(t, path, line, cfg);
      continue;
    }
    auto fields = split_fields(t);
    if (fields.size() < 4)
      throw DataError(fmt::format("{}:{}: {} columns in '{}', expected x y z diam [name]", path.string(), line,
                                  fields.size(), t));
    CasaCfg::Row r{parse_number(fields[0], path, line, 1), parse_number(fields[1], path, line, 2),
                   parse_number(fields[2], path, line, 3), parse_number(fields[3], path, line, 4),
                   fields.size() > 4 ? fields[4] : fmt::format("A{:02d}", cfg.rows.size())};
    if (!(r.d > 0))
      throw DataError(fmt::format("{}:{}: dish diameter (column 4) is {}, expected > 0 m", path.string(), line, r.d));
    cfg.rows.push_back(r);
  }
  if (cfg.rows.empty())
    throw DataError(fmt::format("{}: no antenna rows (expected 'x y z diam name')", path.string()));
  if (cfg.coordsys.empty()) cfg.coordsys = "loc";
  return cfg;
}

// coordsys=LOC: positions are already east, north, up about the array centre,
// which the COFA line or the observatory name places on Earth.
void place_local_rows(const CasaCfg& cfg, const std::filesystem::path& path, ArrayLayout& L) {
  if (cfg.have_cofa) {
    L.site = {cfg.observatory.empty() ? "COFA" : cfg.observatory, cfg.cofa_lat, cfg.cofa_lon, 0.0};
    if (!cfg.observatory.empty()) {
      try {
        L.site.height = site_by_name(cfg.observatory).height;
      } catch (const UsageError&) {
      }
    }
  } else if (!cfg.observatory.empty()) {
    try {
      L.site = site_by_name(cfg.observatory);
    } catch (const UsageError& e) {
      throw DataError(
          fmt::format("{}: coordsys=LOC needs a known observatory or a COFA line: {}", path.string(), e.what()));
    }
  } else {
    throw DataError(
        fmt::format("{}: coordsys=LOC but neither 'observatory=' nor 'COFA=' in the header", path.string()));
  }
  for (const auto& r : cfg.rows) {
    L.east.push_back(r.x);
    L.north.push_back(r.y);
    L.up.push_back(r.z);
    L.diameter.push_back(r.d);
    L.antenna.push_back(r.name);
  }
}

// coordsys=XYZ: geocentric positions. The array centre is the known observatory
// position, or else the centroid of the antennas projected onto the ellipsoid.
void place_geocentric_rows(const CasaCfg& cfg, const std::filesystem::path& path, ArrayLayout& L) {
  const auto& rows = cfg.rows;
  double c[3] = {0, 0, 0};
  for (const auto& r : rows) {
    c[0] += r.x / rows.size();
    c[1] += r.y / rows.size();
    c[2] += r.z / rows.size();
  }
  if (std::hypot(c[0], c[1], c[2]) < 6.0e6)
    throw DataError(fmt::format("{}: coordsys=XYZ but the positions are {:.0f} m from the geocentre, expected "
                                "Earth-centred ITRF metres",
                                path.string(), std::hypot(c[0], c[1], c[2])));
  Site s = itrf_to_geodetic(c);
  s.name = cfg.observatory;
  if (!cfg.observatory.empty()) {
    try {
      s = site_by_name(cfg.observatory);
    } catch (const UsageError&) {
    }
  }
  L.site = s;
  double o[3];
  geodetic_to_itrf(s, o);
  double sp = std::sin(s.latitude), cp = std::cos(s.latitude);
  double sl = std::sin(s.longitude), cl = std::cos(s.longitude);
  for (const auto& r : rows) {
    double d[3] = {r.x - o[0], r.y - o[1], r.z - o[2]};
    L.east.push_back(-sl * d[0] + cl * d[1]);
    L.north.push_back(-sp * cl * d[0] - sp * sl * d[1] + cp * d[2]);
    L.up.push_back(cp * cl * d[0] + cp * sl * d[1] + sp * d[2]);
    L.diameter.push_back(r.d);
    L.antenna.push_back(r.name);
  }
}

}  // namespace

ArrayLayout read_casa_cfg(const std::filesystem::path& path) {
  const CasaCfg cfg = read_cfg_rows(path);
  ArrayLayout L;
  L.name = path.filename().string();
  if (cfg.coordsys == "loc")
    place_local_rows(cfg, path, L);
  else if (cfg.coordsys == "xyz")
    place_geocentric_rows(cfg, path, L);
  else
    throw DataError(
        fmt::format("{}: coordsys={} is not supported (expected LOC or XYZ)", path.string(), cfg.coordsys));
  L.validate(path.string());
  return L;
}

ArrayLayout read_oskar_layout(const std::filesystem::path& path, const Site& site, double dish_diameter) {
  auto f = open_or_throw(path, "array layout");
  ArrayLayout L;
  L.name = path.filename().string();
  L.site = site;
  std::string text;
  int line = 0;
  while (std::getline(f, text)) {
    ++line;
    std::string t = trim(text.substr(0, text.find('#')));
    if (t.empty()) continue;
    auto fields = split_fields(t);
    if (fields.size() < 2 || fields.size() > 3)
      throw DataError(fmt::format("{}:{}: {} columns in '{}', expected 'East North [Up]' in metres", path.string(),
                                  line, fields.size(), t));
    L.east.push_back(parse_number(fields[0], path, line, 1));
    L.north.push_back(parse_number(fields[1], path, line, 2));
    L.up.push_back(fields.size() > 2 ? parse_number(fields[2], path, line, 3) : 0.0);
    L.diameter.push_back(dish_diameter);
    L.antenna.push_back(fmt::format("A{:02d}", L.antenna.size()));
  }
  if (L.size() == 0) throw DataError(fmt::format("{}: no antenna rows (expected 'East North' in metres)", path.string()));
  L.validate(path.string());
  return L;
}

ArrayLayout alma_long_layout() {
  // Three arms leaving a compact centre at irregular azimuths (East of North), with a
  // logarithmic radial spacing and a gentle spiral twist, as ALMA's long-baseline pads
  // spread along its roads: short spacings are kept, the longest baselines reach
  // ≈ 12.6 km. A fixed-seed jitter breaks the symmetry that would otherwise print a
  // six-fold pattern on the uv coverage. Rescaled so the longest baseline is 12.6 km.
  // The 350 m inner radius puts the median antenna radius (≈ 1.6 km) near C40-9's
  // 1.9 km, which gives C40-9's median |uv| and natural-weight beam (header comment).
  constexpr int kAnt = 40;
  const double arm_az[3] = {28.0 * kDeg, 152.0 * kDeg, 262.0 * kDeg};
  const int arm_n[3] = {14, 13, 13};
  const double r_in = 350.0, r_out = 7300.0;
  Rng rng = make_rng(20170924, 1);  // fixed: the layout never depends on --seed
  // Uniform on [−1, 1) from the raw 64-bit stream (portable across standard libraries).
  auto jitter = [](Rng& g) { return 2.0 * static_cast<double>(g() >> 11) * 0x1.0p-53 - 1.0; };
  ArrayLayout L;
  L.name = "alma-long";
  L.site = alma_site();
  for (int a = 0; a < 3; ++a) {
    for (int j = 0; j < arm_n[a]; ++j) {
      double t = static_cast<double>(j) / (arm_n[a] - 1);
      // Arms of unequal length, as on the site (the third arm reaches ~80 %).
      double reach = a == 2 ? 0.8 : (a == 1 ? 0.93 : 1.0);
      double r = r_in * std::pow(r_out * reach / r_in, t) * (1.0 + 0.12 * jitter(rng)) + 15.0 * a;
      double az = arm_az[a] + 0.35 * t + 0.10 * jitter(rng);
      L.east.push_back(r * std::sin(az));
      L.north.push_back(r * std::cos(az));
      L.up.push_back(0.0);
      L.diameter.push_back(12.0);
      L.antenna.push_back(fmt::format("L{:02d}", static_cast<int>(L.antenna.size())));
    }
  }
  if (static_cast<int>(L.size()) != kAnt) throw InternalError("alma-long layout: wrong antenna count");
  double scale = 12600.0 / L.max_baseline();
  for (std::size_t a = 0; a < L.size(); ++a) {
    L.east[a] *= scale;
    L.north[a] *= scale;
  }
  L.validate("alma-long layout");
  return L;
}

ArrayLayout load_array_layout(const std::string& spec, const Site& site) {
  if (lower(spec) == "alma-long") return alma_long_layout();
  std::filesystem::path p(spec);
  if (!std::filesystem::exists(p))
    throw MissingInputError(
        fmt::format("array layout '{}' is neither a built-in layout (alma-long) nor an existing file", spec));
  if (lower(p.extension().string()) == ".cfg") return read_casa_cfg(p);
  return read_oskar_layout(p, site);
}

}  // namespace penumbra
