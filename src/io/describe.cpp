#include "src/io/describe.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "src/core/errors.hpp"
#include "src/core/units.hpp"
#include "src/io/text_compression.hpp"
#include "src/io/uvtable.hpp"

namespace penumbra {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool has_suffix(const std::filesystem::path& p, std::initializer_list<const char*> suffixes) {
  std::string n = lower(p.filename().string());
  for (const char* s : suffixes)
    if (ends_with(n, s)) return true;
  return false;
}

bool looks_like_hdf5(const std::filesystem::path& p) { return has_suffix(p, {".h5", ".hdf5"}); }
bool looks_like_fits(const std::filesystem::path& p) { return has_suffix(p, {".fits", ".fit", ".fts", ".fits.gz"}); }

}  // namespace

std::string format_ra(double ra_rad) {
  double deg = std::fmod(ra_rad / kDeg, 360.0);
  if (deg < 0) deg += 360.0;
  double h = deg / 15.0;
  int hh = static_cast<int>(h);
  int mm = static_cast<int>((h - hh) * 60);
  double ss = ((h - hh) * 60 - mm) * 60;
  if (ss >= 59.995) {  // avoid "60.00s" from rounding
    ss = 0;
    if (++mm == 60) mm = 0, hh = (hh + 1) % 24;
  }
  return fmt::format("{:02d}h{:02d}m{:05.2f}s ({:.6f}°)", hh, mm, ss, deg);
}

std::string format_dec(double dec_rad) {
  double deg = dec_rad / kDeg;
  double a = std::abs(deg);
  int dd = static_cast<int>(a);
  int mm = static_cast<int>((a - dd) * 60);
  double ss = ((a - dd) * 60 - mm) * 60;
  if (ss >= 59.95) {
    ss = 0;
    if (++mm == 60) mm = 0, ++dd;
  }
  return fmt::format("{}{:02d}°{:02d}'{:04.1f}\" ({:+.6f}°)", deg < 0 ? '-' : '+', dd, mm, ss, deg);
}

std::string format_klambda(double x) {
  if (std::abs(x) >= 100) return fmt::format("{:.0f}", x);
  if (std::abs(x) >= 10) return fmt::format("{:.1f}", x);
  return fmt::format("{:.3g}", x);
}

bool looks_like_measurement_set(const std::filesystem::path& p) {
  std::error_code ec;
  return std::filesystem::is_directory(p, ec) && std::filesystem::exists(p / "table.dat", ec) &&
         std::filesystem::is_directory(p / "SPECTRAL_WINDOW", ec);
}

bool looks_like_uvtable(const std::filesystem::path& p) {
  for (const char* base : {".txt", ".uvtable", ".dat"})
    for (const char* z : {"", ".bz2", ".gz"})
      if (has_suffix(p, {(std::string(base) + z).c_str()})) return true;
  return false;
}

FileDescription describe_uvtable(const std::filesystem::path& path) {
  std::string text = read_compressed_text(path);  // once: bzip2 dominates the cost
  Observation obs = parse_uvtable(text, path.string());
  FileDescription d;
  d.path = path.string();
  d.format = "uvtable";
  d.add("rows", "visibilities", fmt::format("{}", obs.nrow), obs.nrow);
  d.add("channels", "channels", "1", 1);
  // frank/galario uvtables often state the wavelength in a header comment.
  if (double lambda = uvtable_header_wavelength(text); lambda > 0) {
    double f = kSpeedOfLight / lambda;
    d.add("frequency_range_hz", "frequency",
          fmt::format("{} (λ = {:.6g} mm, from the header comment; u, v are in wavelengths)", format_frequency(f),
                      lambda * 1e3),
          {f, f});
  } else {
    d.add("frequency_range_hz", "frequency", "not stated (u, v are in wavelengths)", nullptr);
  }
  double uvmin = INFINITY, uvmax = 0;
  std::vector<float> w;
  std::size_t zero = 0;
  for (std::size_t r = 0; r < obs.nrow; ++r) {
    double b = std::hypot(obs.uvw[3 * r], obs.uvw[3 * r + 1]);  // λ = 1 m: metres are wavelengths
    uvmin = std::min(uvmin, b);
    uvmax = std::max(uvmax, b);
    if (obs.weight[r] > 0) w.push_back(obs.weight[r]);
    else ++zero;
  }
  d.add("uv_range_klambda", "uv range", fmt::format("{} – {} kλ", format_klambda(uvmin / 1e3), format_klambda(uvmax / 1e3)),
        {uvmin / 1e3, uvmax / 1e3});
  double ff = static_cast<double>(zero) / obs.nrow;
  d.add("flagged_fraction", "flagged", fmt::format("{:.2f}% (weight 0)", 100 * ff), ff);
  if (!w.empty()) {
    std::size_t mid = w.size() / 2;
    std::nth_element(w.begin(), w.begin() + mid, w.end());
    double med = w[mid];
    double wmin = *std::min_element(w.begin(), w.end()), wmax = *std::max_element(w.begin(), w.end());
    d.add("weight", "weights", fmt::format("min {:.4g}, median {:.4g}, max {:.4g} (positive weights)", wmin, med, wmax),
          {{"min", wmin}, {"median", med}, {"max", wmax}});
  } else {
    d.add("weight", "weights", "none positive", nullptr);
  }
  d.add("correlations", "correlations", "I", std::vector<std::string>{"I"});
  d.add("phase_centre", "phase centre", "not stated in uvtables", nullptr);
  return d;
}

const std::vector<Describer>& describers() {
  // Tried in order; describe_hdf5 / describe_fits live in describe_hdf5_fits.cpp.
  static const std::vector<Describer> table = {
      {"MeasurementSet", looks_like_measurement_set, describe_measurement_set},
      {"uvtable", looks_like_uvtable, describe_uvtable},
      {"HDF5", looks_like_hdf5, describe_hdf5},
      {"FITS", looks_like_fits, describe_fits},
  };
  return table;
}

FileDescription describe_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw MissingInputError(fmt::format("file not found: {}", path.string()));
  for (const auto& d : describers())
    if (d.matches(path)) return d.describe(path);
  if (std::filesystem::is_directory(path, ec) && std::filesystem::exists(path / "table.dat", ec))
    // A casacore table without the MS subtables: let the MS reader say what is missing.
    return describe_measurement_set(path);
  throw DataError(fmt::format("{}: unsupported file type; expected a MeasurementSet directory, a uvtable "
                              "(.txt, .txt.bz2, .txt.gz), HDF5 (.h5, .hdf5) or FITS (.fits)",
                              path.string()));
}

}  // namespace penumbra
