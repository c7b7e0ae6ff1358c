#include "src/io/visibility_selection.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <tuple>

#include "src/core/errors.hpp"
#include "src/core/units.hpp"

namespace penumbra {

namespace {
// Earth's rotation rate (sidereal), rad/s.
constexpr double kEarthRotation = 7.2921150e-5;

// 1 − sin(x)/x: the loss of a phase ramp of total extent 2x averaged uniformly.
double sinc_loss(double x) {
  if (std::abs(x) < 1e-4) return x * x / 6;
  return 1 - std::sin(x) / x;
}
}  // namespace

UvDistance parse_uv_distance(const std::string& text, const std::string& what) {
  const char* begin = text.c_str();
  char* end = nullptr;
  const double value = std::strtod(begin, &end);
  std::string unit(end);
  unit.erase(std::remove_if(unit.begin(), unit.end(), [](unsigned char c) { return std::isspace(c); }), unit.end());
  if (end == begin || !std::isfinite(value) || value < 0)
    throw UsageError(fmt::format("{} '{}' is not a non-negative uv distance (e.g. 50klambda, 800lambda, 10m)", what, text));
  // "M" is mega only in wavelengths; lengths go through parse_length (m, km, cm, mm).
  static const std::map<std::string, double> lambdas = {
      {"", 1},          {"lambda", 1},     {"λ", 1},          {"klambda", 1e3}, {"kλ", 1e3}, {"Klambda", 1e3},
      {"Mlambda", 1e6}, {"Mλ", 1e6},       {"Glambda", 1e9},  {"Gλ", 1e9}};
  if (auto it = lambdas.find(unit); it != lambdas.end()) return {value * it->second, true};
  for (const char* m : {"m", "km", "cm", "mm"})
    if (unit == m) return {parse_length(text, "m"), false};
  throw UsageError(fmt::format("{} '{}': unknown unit '{}' (known: lambda, klambda, Mlambda, Glambda, m, km)", what,
                               text, unit));
}

std::string format_uv_distance(const UvDistance& d) {
  if (!d.wavelengths) return d.value >= 1e3 ? fmt::format("{:.6g} km", d.value / 1e3) : fmt::format("{:.6g} m", d.value);
  return fmt::format("{:.6g} kλ", d.value / 1e3);
}

std::string UvRange::describe() const {
  return fmt::format("{} – {}", min ? format_uv_distance(*min) : "0", max ? format_uv_distance(*max) : "∞");
}

std::size_t flag_outside_uv_range(Observation& obs, const UvRange& range) {
  if (!range.active()) return 0;
  auto outside = [](const std::optional<UvDistance>& lo, const std::optional<UvDistance>& hi, double metres,
                    double lambda) {
    auto value = [&](const UvDistance& d) { return d.wavelengths ? lambda : metres; };
    return (lo && value(*lo) < lo->value) || (hi && value(*hi) > hi->value);
  };
  std::size_t n = 0;
  for (std::size_t r = 0; r < obs.nrow; ++r) {
    const double metres = std::hypot(obs.uvw[3 * r], obs.uvw[3 * r + 1]);
    for (std::size_t ch = 0; ch < obs.nchan; ++ch) {
      const double lambda = metres * (obs.frequency_known ? obs.freq[ch] / kSpeedOfLight : 1.0);
      if (!outside(range.min, range.max, metres, lambda)) continue;
      for (std::size_t c = 0; c < obs.ncorr; ++c) {
        std::uint8_t& f = obs.flag[obs.index(r, ch, c)];
        n += !f;
        f = 1;
      }
    }
  }
  return n;
}

namespace {

// Accumulates the inverse-variance weighted mean of one sample's inputs.
struct WeightedSum {
  std::complex<double> wv = 0;
  double w = 0;
  void add(std::complex<float> v, float weight, bool flagged) {
    if (flagged || !(weight > 0)) return;
    wv += static_cast<double>(weight) * std::complex<double>(v);
    w += weight;
  }
  void store(Observation& out, std::size_t k) const {
    out.flag[k] = w > 0 ? 0 : 1;
    out.weight[k] = static_cast<float>(w);
    out.vis[k] = w > 0 ? std::complex<float>(wv / w) : std::complex<float>(0);
  }
};

// `out` with `obs`'s metadata, `nrow` rows and `nchan` channels allocated.
Observation shaped_like(const Observation& obs, std::size_t nrow, std::size_t nchan) {
  Observation out = obs;
  out.vis.clear();
  out.weight.clear();
  out.flag.clear();
  out.nrow = nrow;
  out.nchan = nchan;
  out.vis.assign(nrow * nchan * obs.ncorr, 0);
  out.weight.assign(out.vis.size(), 0);
  out.flag.assign(out.vis.size(), 1);
  return out;
}

}  // namespace

Observation average_channels(const Observation& obs, std::size_t n) {
  if (n < 1) throw UsageError(fmt::format("channel averaging factor {} must be at least 1", n));
  if (n == 1) return obs;
  const std::size_t nout = (obs.nchan + n - 1) / n;
  Observation out = shaped_like(obs, obs.nrow, nout);
  out.freq.assign(nout, 0);
  for (std::size_t g = 0; g < nout; ++g) {
    const std::size_t lo = g * n, hi = std::min(obs.nchan, lo + n);
    for (std::size_t ch = lo; ch < hi; ++ch) out.freq[g] += obs.freq[ch] / static_cast<double>(hi - lo);
  }
  for (std::size_t r = 0; r < obs.nrow; ++r)
    for (std::size_t g = 0; g < nout; ++g)
      for (std::size_t c = 0; c < obs.ncorr; ++c) {
        WeightedSum s;
        for (std::size_t ch = g * n; ch < std::min(obs.nchan, g * n + n); ++ch) {
          const std::size_t k = obs.index(r, ch, c);
          s.add(obs.vis[k], obs.weight[k], obs.flag[k]);
        }
        s.store(out, out.index(r, g, c));
      }
  return out;
}

namespace {
// Rows grouped by (antenna1, antenna2, time bin), in order of first appearance.
std::vector<std::vector<std::size_t>> time_bins(const Observation& obs, double seconds) {
  const double t0 = *std::min_element(obs.time.begin(), obs.time.end());
  std::map<std::tuple<int, int, long long>, std::size_t> index;
  std::vector<std::vector<std::size_t>> bins;
  for (std::size_t r = 0; r < obs.nrow; ++r) {
    const auto bin = static_cast<long long>(std::floor((obs.time[r] - t0) / seconds + 1e-9));
    auto [it, added] = index.emplace(std::make_tuple(obs.antenna1[r], obs.antenna2[r], bin), bins.size());
    if (added) bins.emplace_back();
    bins[it->second].push_back(r);
  }
  return bins;
}
}  // namespace

Observation average_time(const Observation& obs, double seconds, const std::string& where) {
  if (!(seconds > 0) || !std::isfinite(seconds))
    throw UsageError(fmt::format("time averaging interval {} s must be positive", seconds));
  if (obs.nrow == 0) return obs;
  if (obs.time.size() != obs.nrow || obs.antenna1.size() != obs.nrow || obs.antenna2.size() != obs.nrow)
    throw DataError(fmt::format("{}: time averaging needs each row's time and antennas (a MeasurementSet), which these "
                                "data do not carry", where));
  const auto bins = time_bins(obs, seconds);
  Observation out = shaped_like(obs, bins.size(), obs.nchan);
  out.uvw.assign(3 * bins.size(), 0);
  out.time.assign(bins.size(), 0);
  out.antenna1.resize(bins.size());
  out.antenna2.resize(bins.size());
  out.interval = std::max(obs.interval, seconds);
  for (std::size_t b = 0; b < bins.size(); ++b) {
    const auto& rows = bins[b];
    const double share = 1.0 / static_cast<double>(rows.size());
    out.antenna1[b] = obs.antenna1[rows[0]];
    out.antenna2[b] = obs.antenna2[rows[0]];
    for (std::size_t r : rows) {
      out.time[b] += share * obs.time[r];
      for (int k = 0; k < 3; ++k) out.uvw[3 * b + k] += share * obs.uvw[3 * r + k];
    }
    for (std::size_t ch = 0; ch < obs.nchan; ++ch)
      for (std::size_t c = 0; c < obs.ncorr; ++c) {
        WeightedSum s;
        for (std::size_t r : rows) {
          const std::size_t k = obs.index(r, ch, c);
          s.add(obs.vis[k], obs.weight[k], obs.flag[k]);
        }
        s.store(out, out.index(b, ch, c));
      }
  }
  return out;
}

double bandwidth_smearing_loss(double uv, double fractional_width, double radius) {
  return sinc_loss(kPi * uv * fractional_width * radius);
}

double time_smearing_loss(double uv, double seconds, double radius) {
  return sinc_loss(kPi * kEarthRotation * seconds * uv * radius);
}

}  // namespace penumbra
