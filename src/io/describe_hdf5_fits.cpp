// `penumbra info` summaries of HDF5 stores and FITS images (declared in describe.hpp).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "src/core/errors.hpp"
#include "src/core/units.hpp"
#include "src/io/describe.hpp"
#include "src/io/fits_image.hpp"
#include "src/io/hdf5_store.hpp"

namespace penumbra {

namespace {

std::string shape_text(const std::vector<std::size_t>& shape) {
  if (shape.empty()) return "scalar";
  return fmt::format("[{}]", fmt::join(shape, " × "));
}

std::string centre_text(double ra, double dec) {
  return fmt::format("RA {:.6f}°, Dec {:+.6f}°", ra / kDeg, dec / kDeg);
}

nlohmann::ordered_json wcs_json(const ImageGrid& g) {
  return {{"ctype", {"RA---SIN", "DEC--SIN"}},
          {"crpix", {g.crpix1(), g.crpix2()}},
          {"cdelt_deg", {g.cdelt1_deg(), g.cdelt2_deg()}},
          {"crval_deg", {g.crval1_deg(), g.crval2_deg()}},
          {"cell_rad", g.cell}};
}

// min / max / count of non-finite values of an image, for a quick sanity look.
struct PixelStats {
  double min = std::numeric_limits<double>::infinity(), max = -std::numeric_limits<double>::infinity(), sum = 0;
  std::size_t nonfinite = 0, finite = 0;
};
PixelStats pixel_stats(const std::vector<double>& px) {
  PixelStats s;
  for (double v : px) {
    if (!std::isfinite(v)) {
      ++s.nonfinite;
      continue;
    }
    ++s.finite;
    s.min = std::min(s.min, v);
    s.max = std::max(s.max, v);
    s.sum += v;
  }
  return s;
}

// File-level attributes (run provenance: version, seed, command …).
void describe_file_attributes(const Hdf5Store& store, FileDescription& d) {
  nlohmann::ordered_json attrs = nlohmann::ordered_json::object();
  for (const auto& k : store.attr_names("/")) {
    try {
      attrs[k] = store.attr_double("/", k);
    } catch (const DataError&) {
      try {
        attrs[k] = store.attr_string("/", k);
      } catch (const DataError&) {
        attrs[k] = nullptr;  // neither a number nor a string (e.g. an array attribute)
      }
    }
  }
  if (attrs.empty()) return;
  std::vector<std::string> parts;
  for (auto& [k, v] : attrs.items()) parts.push_back(k + " = " + (v.is_string() ? v.get<std::string>() : v.dump()));
  d.add("attributes", "attributes", fmt::format("{}", fmt::join(parts, ", ")), attrs);
}

// One line per dataset (images with their WCS); returns the groups that hold an
// observation written by write_observation.
std::vector<std::string> describe_datasets(const Hdf5Store& store, const std::vector<std::string>& names,
                                           FileDescription& d) {
  nlohmann::ordered_json datasets = nlohmann::ordered_json::array();
  nlohmann::ordered_json images = nlohmann::ordered_json::array();
  std::vector<std::string> obs_groups;
  for (const auto& n : names) {
    auto shape = store.shape(n);
    std::string dtype = store.dtype(n);
    std::string unit = store.has_attr(n, "unit") ? store.attr_string(n, "unit") : "";
    datasets.push_back({{"name", n}, {"shape", shape}, {"dtype", dtype}, {"unit", unit}});
    std::string text = fmt::format("{} {}{}", dtype, shape_text(shape), unit.empty() ? "" : " " + unit);
    if (shape.size() == 2 && store.has_attr(n, "CTYPE1") && (store.has_attr(n, "cell_rad") || store.has_attr(n, "CDELT1"))) {
      ImageGrid g;
      store.read_image(n, &g);
      text += fmt::format(", image: cell {}, centre {}", format_angle(g.cell), centre_text(g.ra, g.dec));
      images.push_back({{"name", n}, {"shape", shape}, {"unit", unit}, {"wcs", wcs_json(g)}});
    }
    d.add_line(n, text);
    auto slash = n.rfind('/');
    std::string parent = slash == 0 ? "/" : n.substr(0, slash);
    if (n.substr(slash + 1) == "vis" && store.has_attr(parent, "format") &&
        store.attr_string(parent, "format") == "penumbra.observation")
      obs_groups.push_back(parent);
  }
  d.json["datasets"] = datasets;
  if (!images.empty()) {
    d.json["image"] = images.front();
    if (images.size() > 1) d.json["images"] = images;
  }
  return obs_groups;
}

// An observation stored by write_observation: the same facts as for an MS.
nlohmann::ordered_json describe_observation(const Hdf5Store& store, const std::string& g, FileDescription& d) {
  Observation obs = store.read_observation(g);
  double fmin = obs.freq.empty() ? 0 : *std::min_element(obs.freq.begin(), obs.freq.end());
  double fmax = obs.freq.empty() ? 0 : *std::max_element(obs.freq.begin(), obs.freq.end());
  double uvmin = std::numeric_limits<double>::infinity(), uvmax = 0;
  for (std::size_t r = 0; r < obs.nrow; ++r)
    for (std::size_t c = 0; c < obs.nchan; ++c) {
      double uv = std::hypot(obs.u_lambda(r, c), obs.v_lambda(r, c));
      if (uv > 0) uvmin = std::min(uvmin, uv);
      uvmax = std::max(uvmax, uv);
    }
  std::vector<std::string> corr;
  for (int c : obs.corr) corr.push_back(corr_name(c));
  double ff = obs.flagged_fraction();
  d.add_line(fmt::format("observation {}", g),
             fmt::format("{} rows × {} channels × {} correlations ({}), {}, uv {:.4g} – {:.4g} kλ, {:.2f}% flagged, "
                         "phase centre {}",
                         obs.nrow, obs.nchan, obs.ncorr, fmt::join(corr, " "),
                         obs.frequency_known ? fmt::format("{} – {}", format_frequency(fmin), format_frequency(fmax))
                                             : std::string("u, v in wavelengths"),
                         uvmax > 0 ? uvmin / 1e3 : 0.0, uvmax / 1e3, 100 * ff, centre_text(obs.ra, obs.dec)));
  return {{"group", g},
          {"rows", obs.nrow},
          {"channels", obs.nchan},
          {"correlations", corr},
          {"frequency_range_hz",
           obs.frequency_known ? nlohmann::ordered_json{fmin, fmax} : nlohmann::ordered_json(nullptr)},
          {"uv_range_klambda",
           uvmax > 0 ? nlohmann::ordered_json{uvmin / 1e3, uvmax / 1e3} : nlohmann::ordered_json(nullptr)},
          {"flagged_fraction", ff},
          {"phase_centre", {{"ra_rad", obs.ra}, {"dec_rad", obs.dec}}}};
}

}  // namespace

FileDescription describe_hdf5(const std::filesystem::path& path) {
  Hdf5Store store(path, Hdf5Store::Mode::kRead);
  FileDescription d;
  d.path = path.string();
  d.format = "HDF5";
  auto names = store.list();
  d.add("dataset_count", "datasets", fmt::format("{}", names.size()), names.size());
  describe_file_attributes(store, d);
  nlohmann::ordered_json obs_json = nlohmann::ordered_json::array();
  for (const auto& g : describe_datasets(store, names, d)) obs_json.push_back(describe_observation(store, g, d));
  if (!obs_json.empty()) {
    // The common keys of describe.hpp, from the first observation.
    const auto& o = obs_json.front();
    for (const char* k : {"rows", "channels", "frequency_range_hz", "uv_range_klambda", "flagged_fraction",
                          "correlations", "phase_centre"})
      d.json[k] = o[k];
    d.json["observations"] = obs_json;
  }
  return d;
}

FileDescription describe_fits(const std::filesystem::path& path) {
  FitsImage img = read_fits_image(path);
  const ImageGrid& g = img.grid;
  FileDescription d;
  d.path = path.string();
  d.format = "FITS";
  nlohmann::ordered_json image = {{"shape", {g.ny, g.nx}}, {"bitpix", img.bitpix}, {"bunit", img.bunit},
                                  {"wcs", wcs_json(g)}};
  if (img.beam)
    image["beam"] = {{"bmaj_rad", img.beam->bmaj}, {"bmin_rad", img.beam->bmin}, {"bpa_rad", img.beam->bpa}};
  d.add("image", "image", fmt::format("{} × {} pixels (BITPIX {}), {}", g.nx, g.ny, img.bitpix,
                                      img.bunit.empty() ? "no BUNIT" : img.bunit),
        image);
  d.add_line("cell", fmt::format("{} ({:.6g} deg); field {} × {}", format_angle(g.cell), g.cell / kDeg,
                                 format_angle(g.cell * g.nx), format_angle(g.cell * g.ny)));
  d.add_line("WCS", fmt::format("RA---SIN / DEC--SIN, CRPIX {} {}, CDELT {:.6g} {:.6g} deg", g.crpix1(), g.crpix2(),
                                g.cdelt1_deg(), g.cdelt2_deg()));
  d.add("phase_centre", "phase centre", centre_text(g.ra, g.dec) + " (pixel N/2)",
        {{"ra_rad", g.ra}, {"dec_rad", g.dec}});
  if (img.freq_hz > 0)
    d.add("frequency_range_hz", "frequency",
          img.bandwidth_hz > 0 ? fmt::format("{} (bandwidth {})", format_frequency(img.freq_hz),
                                             format_frequency(img.bandwidth_hz))
                               : format_frequency(img.freq_hz),
          {img.freq_hz, img.freq_hz});
  else
    d.add("frequency_range_hz", "frequency", "not stated", nullptr);
  if (img.beam)
    d.add_line("beam", fmt::format("{} × {}, PA {:.1f}°", format_angle(img.beam->bmaj), format_angle(img.beam->bmin),
                                   img.beam->bpa / kDeg));
  else
    d.add_line("beam", "none (no BMAJ)");
  PixelStats s = pixel_stats(img.pixels);
  if (s.finite)
    d.add("pixels", "pixels",
          fmt::format("min {:.4g}, max {:.4g}, sum {:.4g}{}", s.min, s.max, s.sum,
                      s.nonfinite ? fmt::format(", {} non-finite", s.nonfinite) : std::string()),
          {{"min", s.min}, {"max", s.max}, {"sum", s.sum}, {"nonfinite", s.nonfinite}});
  else
    d.add("pixels", "pixels", "all non-finite", {{"nonfinite", s.nonfinite}});
  for (const auto& [k, v] : img.history) d.add_line("history " + k, v);
  return d;
}

}  // namespace penumbra
