#include "src/pipelines/profile_comparison.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/run_folder.hpp"
#include "src/core/units.hpp"
#include "src/io/png.hpp"

namespace penumbra {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kMinContrast = 0.05;

RadialProfile profile_in_jy_per_sr(const std::vector<double>& image, const ImageGrid& grid, const ProfileRequest& r) {
  RadialProfile p = deprojected_radial_profile(image, grid, r.disk, r.bin_width, r.max_radius);
  const double per_sr = 1.0 / (grid.cell * grid.cell);
  for (auto& v : p.mean) v *= per_sr;
  for (auto& v : p.scatter) v *= per_sr;
  return p;
}

// The profile convolved in radius with a Gaussian of FWHM `fwhm` (empty bins skipped).
std::vector<double> smoothed(const RadialProfile& p, double fwhm) {
  const double sigma = fwhm / (2 * std::sqrt(2 * std::log(2.0))) / p.bin_width;
  const auto reach = static_cast<std::ptrdiff_t>(std::ceil(3 * sigma));
  const auto n = static_cast<std::ptrdiff_t>(p.mean.size());
  std::vector<double> s(p.mean.size(), kNaN);
  for (std::ptrdiff_t k = 0; k < n; ++k) {
    double sum = 0, wsum = 0;
    for (std::ptrdiff_t j = std::max<std::ptrdiff_t>(0, k - reach); j <= std::min(n - 1, k + reach); ++j) {
      if (std::isnan(p.mean[j])) continue;
      const double w = std::exp(-0.5 * (j - k) * (j - k) / (sigma * sigma));
      sum += w * p.mean[j];
      wsum += w;
    }
    if (wsum > 0) s[k] = sum / wsum;
  }
  return s;
}

struct Extremum {
  std::size_t bin;
  bool maximum;
};

// Local extrema of `s` (interior bins), keeping those that stand ≥ kMinContrast out of their neighbours.
std::vector<Extremum> prominent_extrema(const std::vector<double>& s) {
  std::vector<Extremum> all;
  for (std::size_t k = 1; k + 1 < s.size(); ++k) {
    if (std::isnan(s[k - 1]) || std::isnan(s[k]) || std::isnan(s[k + 1])) continue;
    if (s[k] > s[k - 1] && s[k] >= s[k + 1]) all.push_back({k, true});
    if (s[k] < s[k - 1] && s[k] <= s[k + 1]) all.push_back({k, false});
  }
  std::vector<Extremum> kept;
  for (std::size_t i = 0; i < all.size(); ++i) {
    // The nearest extremum of the other kind on each side (absent at the ends).
    double left = kNaN, right = kNaN;
    for (std::size_t j = i; j-- > 0;)
      if (all[j].maximum != all[i].maximum) { left = s[all[j].bin]; break; }
    for (std::size_t j = i + 1; j < all.size(); ++j)
      if (all[j].maximum != all[i].maximum) { right = s[all[j].bin]; break; }
    if (std::isnan(left) && std::isnan(right)) continue;
    const double v = s[all[i].bin];
    if (all[i].maximum) {
      const double ref = std::isnan(left) ? right : std::isnan(right) ? left : std::max(left, right);
      if (v > 0 && (v - ref) / v >= kMinContrast) kept.push_back(all[i]);
    } else {
      if (std::isnan(left) || std::isnan(right)) continue;  // a gap lies between two rings
      const double ref = std::min(left, right);
      if (ref > 0 && (ref - v) / ref >= kMinContrast) kept.push_back(all[i]);
    }
  }
  return kept;
}

// 16th and 84th percentiles across the samples' profiles, per bin.
void posterior_band(ProfileComparison& c, const std::vector<RadialProfile>& samples) {
  const std::size_t nbin = c.truth.mean.size();
  c.band_lo.assign(nbin, kNaN);
  c.band_hi.assign(nbin, kNaN);
  std::size_t inside = 0, counted = 0;
  for (std::size_t k = 0; k < nbin; ++k) {
    std::vector<double> v;
    for (const auto& s : samples)
      if (!std::isnan(s.mean[k])) v.push_back(s.mean[k]);
    if (v.size() < 2) continue;
    std::sort(v.begin(), v.end());
    auto quantile = [&](double q) {
      const double pos = q * static_cast<double>(v.size() - 1);
      const auto i = static_cast<std::size_t>(pos);
      const double f = pos - static_cast<double>(i);
      return i + 1 < v.size() ? v[i] + f * (v[i + 1] - v[i]) : v[i];  // exact when the two agree
    };
    c.band_lo[k] = quantile(0.16);
    c.band_hi[k] = quantile(0.84);
    if (std::isnan(c.truth.mean[k])) continue;
    ++counted;
    if (c.truth.mean[k] >= c.band_lo[k] && c.truth.mean[k] <= c.band_hi[k]) ++inside;
  }
  c.band_coverage = counted ? static_cast<double>(inside) / static_cast<double>(counted) : kNaN;
}

void locate_features(ProfileComparison& c) {
  const auto ext = prominent_extrema(smoothed(c.truth, c.beam_fwhm));
  const double half = 0.5 * c.beam_fwhm;
  for (std::size_t i = 0; i < ext.size(); ++i) {
    const double r = c.truth.radius[ext[i].bin];
    // Never reach past the midpoint to a neighbouring feature.
    const double lo = std::max(r - half, i > 0 ? 0.5 * (r + c.truth.radius[ext[i - 1].bin]) : 0.0);
    const double hi = std::min(r + half, i + 1 < ext.size() ? 0.5 * (r + c.truth.radius[ext[i + 1].bin]) : r + half);
    ProfileFeature f;
    f.ring = ext[i].maximum;
    f.truth_radius = profile_extremum(c.truth, lo, hi, f.ring);
    const double mlo = std::max(lo, f.truth_radius - half), mhi = std::min(hi, f.truth_radius + half);
    for (const auto& m : c.methods) {
      double found = kNaN;
      try {
        found = profile_extremum(m.profile, mlo, mhi, f.ring);
      } catch (const UsageError&) {  // no non-empty bin there: the method has no value to give
      }
      f.radius.push_back(found);
    }
    c.features.push_back(std::move(f));
  }
}

}  // namespace

ProfileComparison compare_profiles(const std::vector<double>& truth, const std::vector<NamedImage>& images,
                                   const std::vector<std::vector<double>>& samples, const ImageGrid& grid,
                                   const ProfileRequest& request) {
  require_positive("beam FWHM", request.beam_fwhm);
  if (samples.size() == 1) throw UsageError("radial profile band: one posterior sample gives no band");
  ProfileRequest r = request;
  if (r.bin_width <= 0) r.bin_width = std::max(grid.cell, 0.25 * r.beam_fwhm);
  if (r.max_radius <= 0) r.max_radius = (std::min(grid.nx, grid.ny) / 2 - 1) * grid.cell;
  ProfileComparison c;
  c.beam_fwhm = r.beam_fwhm;
  c.truth = profile_in_jy_per_sr(truth, grid, r);
  for (const auto& im : images) c.methods.push_back({im.name, profile_in_jy_per_sr(im.pixels, grid, r)});
  if (!samples.empty()) {
    std::vector<RadialProfile> sp;
    for (const auto& s : samples) sp.push_back(profile_in_jy_per_sr(s, grid, r));
    posterior_band(c, sp);
  }
  locate_features(c);
  return c;
}

DiskOrientation parse_disk_orientation(const std::string& text) {
  const auto comma = text.find(',');
  if (comma == std::string::npos || text.find(',', comma + 1) != std::string::npos)
    throw UsageError(fmt::format("--disk '{}': expected INC,PA such as 35deg,86deg", text));
  DiskOrientation d;
  d.inclination = parse_angle(text.substr(0, comma), "deg");
  d.position_angle = parse_angle(text.substr(comma + 1), "deg");
  require_in_range("inclination", d.inclination, 0.0, 89.0 * kDeg);
  return d;
}

nlohmann::json write_profile_comparison(const std::filesystem::path& dir, const ProfileComparison& c) {
  const bool band = !c.band_lo.empty();
  std::string csv = "radius_arcsec,truth_jy_sr";
  for (const auto& m : c.methods) csv += "," + m.name + "_jy_sr";
  csv += band ? ",posterior_p16_jy_sr,posterior_p84_jy_sr\n" : "\n";
  for (std::size_t k = 0; k < c.truth.radius.size(); ++k) {
    csv += fmt::format("{:.6g},{:.6g}", c.truth.radius[k] / kArcsec, c.truth.mean[k]);
    for (const auto& m : c.methods) csv += fmt::format(",{:.6g}", m.profile.mean[k]);
    csv += band ? fmt::format(",{:.6g},{:.6g}\n", c.band_lo[k], c.band_hi[k]) : "\n";
  }
  write_text_atomic(dir / "radial_profile.csv", csv);

  std::string fcsv = "kind,truth_radius_arcsec";
  for (const auto& m : c.methods) fcsv += fmt::format(",{0}_radius_arcsec,{0}_error_beams", m.name);
  fcsv += "\n";
  nlohmann::json features = nlohmann::json::array();
  for (const auto& f : c.features) {
    fcsv += fmt::format("{},{:.5f}", f.ring ? "ring" : "gap", f.truth_radius / kArcsec);
    nlohmann::json jf = {{"kind", f.ring ? "ring" : "gap"}, {"truth_radius_arcsec", f.truth_radius / kArcsec}};
    for (std::size_t i = 0; i < c.methods.size(); ++i) {
      const double err = (f.radius[i] - f.truth_radius) / c.beam_fwhm;
      fcsv += fmt::format(",{:.5f},{:.3f}", f.radius[i] / kArcsec, err);
      jf[c.methods[i].name] = {{"radius_arcsec", f.radius[i] / kArcsec}, {"error_beams", err}};
    }
    features.push_back(jf);
    fcsv += "\n";
  }
  write_text_atomic(dir / "radial_features.csv", fcsv);

  // Jy/sr → mJy/arcsec² for the figure (astronomers' unit for disk profiles).
  const double to_mjy_arcsec2 = 1e3 * kArcsec * kArcsec;
  auto series = [&](const std::vector<double>& y, const std::string& label, bool dashed) {
    Series s{{}, {}, label, dashed};
    for (std::size_t k = 0; k < y.size(); ++k) {
      s.x.push_back(c.truth.radius[k] / kArcsec);
      s.y.push_back(y[k] * to_mjy_arcsec2);
    }
    return s;
  };
  std::vector<Series> plot = {series(c.truth.mean, "truth", false)};
  for (const auto& m : c.methods) plot.push_back(series(m.profile.mean, m.name, false));
  if (band) {
    plot.push_back(series(c.band_lo, "posterior 16%", true));
    plot.push_back(series(c.band_hi, "posterior 84%", true));
  }
  // The y range follows the truth, so an image far off (the dirty image, in Jy/pixel by its
  // beam area) leaves the frame instead of flattening the others.
  double top = 0, bottom = 0;
  for (double v : c.truth.mean)
    if (!std::isnan(v)) top = std::max(top, v * to_mjy_arcsec2), bottom = std::min(bottom, v * to_mjy_arcsec2);
  LinePlot frame{fmt::format("deprojected radial profile (beam {:.0f} mas)", c.beam_fwhm / kArcsec * 1e3),
                 "radius (arcsec)", "mJy / arcsec^2"};
  if (top > bottom) {
    frame.ymin = bottom - 0.1 * (top - bottom);
    frame.ymax = top + 0.3 * (top - bottom);
  }
  write_line_plot_png(dir / "radial_profile.png", plot, frame);
  nlohmann::json j = {{"beam_fwhm_arcsec", c.beam_fwhm / kArcsec}, {"features", features}};
  if (band) j["band_coverage_68"] = c.band_coverage;
  return j;
}

}  // namespace penumbra
