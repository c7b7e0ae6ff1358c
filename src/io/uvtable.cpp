#include "src/io/uvtable.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <cmath>
#include <string_view>

#include "src/core/errors.hpp"
#include "src/core/units.hpp"
#include "src/io/text_compression.hpp"

namespace penumbra {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' || c == ','; }

// Parses up to `max` numbers separated by whitespace (or commas, as some
// exporters write); returns how many were found, -1 on a token that is not a number.
int parse_numbers(std::string_view line, double* out, int max, std::string_view* bad) {
  int n = 0;
  const char* p = line.data();
  const char* end = p + line.size();
  while (true) {
    while (p < end && is_space(*p)) ++p;
    if (p >= end) return n;
    const char* tok = p;
    while (p < end && !is_space(*p)) ++p;
    if (n == max) return max + 1;  // too many columns
    const char* first = tok;
    if (*first == '+') ++first;  // from_chars rejects a leading '+'
    double v;
    auto [ptr, ec] = std::from_chars(first, p, v);
    if (ec != std::errc() || ptr != p) {
      // from_chars rejects "inf"/"nan" spellings with a sign in some forms; be explicit.
      *bad = std::string_view(tok, static_cast<std::size_t>(p - tok));
      return -1;
    }
    out[n++] = v;
  }
}

}  // namespace

Observation read_uvtable(const std::filesystem::path& path, double wavelength_m) {
  if (!(wavelength_m >= 0) || !std::isfinite(wavelength_m))
    throw UsageError(fmt::format("uvtable wavelength must be a positive number of metres, got {}", wavelength_m));
  return parse_uvtable(read_compressed_text(path), path.string(), wavelength_m);
}

double uvtable_header_wavelength(const std::string& text) {
  // Only the leading comment block is searched.
  std::size_t pos = 0;
  while (pos < text.size() && text[pos] == '#') {
    std::size_t eol = std::min(text.find('\n', pos), text.size());
    std::string line = text.substr(pos, eol - pos);
    std::string low = line;
    std::transform(low.begin(), low.end(), low.begin(), [](unsigned char c) { return std::tolower(c); });
    if (auto k = low.find("wavelength"); k != std::string::npos) {
      auto eq = line.find_first_of("=:", k);
      if (eq != std::string::npos) {
        double v = std::strtod(line.c_str() + eq + 1, nullptr);
        if (v > 0 && std::isfinite(v)) return v;
      }
    }
    pos = eol + 1;
  }
  return 0;
}

Observation parse_uvtable(const std::string& text, const std::string& name, double wavelength_m) {
  if (!(wavelength_m >= 0) || !std::isfinite(wavelength_m))
    throw UsageError(fmt::format("uvtable wavelength must be a positive number of metres, got {}", wavelength_m));

  std::vector<double> u, v, re, im, w;
  std::size_t lineno = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    std::string_view line(text.data() + pos, eol - pos);
    pos = eol + 1;
    ++lineno;
    if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    double x[5];
    std::string_view bad;
    int n = parse_numbers(line, x, 5, &bad);
    if (n == 0) continue;  // blank or comment-only line
    if (n < 0)
      throw DataError(fmt::format("{}:{}: '{}' is not a number (expected 5 columns: u[λ] v[λ] Re[Jy] Im[Jy] weight)",
                                  name, lineno, std::string(bad)));
    if (n != 5)
      throw DataError(fmt::format("{}:{}: found {} columns, expected 5 (u[λ] v[λ] Re[Jy] Im[Jy] weight)", name,
                                  lineno, n > 5 ? "more than 5" : std::to_string(n)));
    static const char* cols[] = {"u", "v", "Re", "Im", "weight"};
    for (int k = 0; k < 5; ++k)
      if (!std::isfinite(x[k]))
        throw DataError(fmt::format("{}:{}: column {} ({}) is {}, expected a finite number", name, lineno, k + 1,
                                    cols[k], x[k]));
    if (x[4] < 0)
      throw DataError(fmt::format("{}:{}: weight is {}, expected a non-negative weight (1/σ², Jy⁻²)", name, lineno,
                                  x[4]));
    u.push_back(x[0]);
    v.push_back(x[1]);
    re.push_back(x[2]);
    im.push_back(x[3]);
    w.push_back(x[4]);
  }
  if (u.empty()) throw DataError(fmt::format("{}: no visibilities (only comments or blank lines)", name));

  Observation obs;
  obs.nrow = u.size();
  obs.nchan = 1;
  obs.ncorr = 1;
  obs.corr = {static_cast<int>(Corr::I)};
  obs.frequency_known = wavelength_m > 0;
  // Without a wavelength, λ = 1 m makes the "metres" of uvw equal to wavelengths.
  const double lambda = wavelength_m > 0 ? wavelength_m : 1.0;
  obs.freq = {kSpeedOfLight / lambda};
  obs.telescope = "";
  obs.allocate();
  for (std::size_t r = 0; r < obs.nrow; ++r) {
    obs.uvw[3 * r] = u[r] * lambda;
    obs.uvw[3 * r + 1] = v[r] * lambda;
    obs.uvw[3 * r + 2] = 0;
    // Stored in the CASA sign convention: conjugate into the internal one.
    obs.vis[r] = std::complex<float>(static_cast<float>(re[r]), static_cast<float>(-im[r]));
    obs.weight[r] = static_cast<float>(w[r]);
  }
  return obs;
}

void write_uvtable(const std::filesystem::path& path, const VisibilitySet& vis) {
  vis.validate(path.string());
  std::string out;
  out.reserve(vis.size() * 110 + 200);
  out += "# uvtable written by penumbra (CASA sign convention: V = sum I exp(+2 pi i (u l + v m)))\n";
  out += "# Columns:\tu[lambda]\tv[lambda]\tRe(V)[Jy]\tIm(V)[Jy]\tweight\n";
  for (std::size_t k = 0; k < vis.size(); ++k) {
    // Conjugate back to the CASA convention; %.17g round-trips doubles exactly.
    fmt::format_to(std::back_inserter(out), "{:.17g} {:.17g} {:.17g} {:.17g} {:.17g}\n", vis.u[k], vis.v[k],
                   vis.vis[k].real(), -vis.vis[k].imag(), vis.weight[k]);
  }
  write_compressed_text(path, out);
}

}  // namespace penumbra
