// Observation, read_measurement_set, read_uvtable, write_fits, read_fits.
#include <fmt/format.h>
#include <pybind11/stl.h>

#include <cmath>

#include "python/src/arrays.hpp"
#include "python/src/bindings.hpp"
#include "python/src/io_types.hpp"
#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/units.hpp"
#include "src/io/colormap.hpp"
#include "src/io/fits_image.hpp"
#include "src/io/measurement_set.hpp"
#include "src/io/png.hpp"
#include "src/io/uvtable.hpp"

namespace penumbra::python {

double PyObservation::mean_freq_hz() const {
  if (!obs.frequency_known || obs.freq.empty()) return 0;
  double sum = 0;
  for (double f : obs.freq) sum += f;
  return sum / static_cast<double>(obs.freq.size());
}

py::dict beam_to_dict(const Beam& beam) {
  py::dict d;
  d["bmaj"] = beam.bmaj / kArcsec;
  d["bmin"] = beam.bmin / kArcsec;
  d["bpa"] = beam.bpa * 180.0 / kPi;
  return d;
}

Beam beam_from_dict(const py::dict& d) {
  Beam b;
  b.bmaj = d["bmaj"].cast<double>() * kArcsec;
  b.bmin = d["bmin"].cast<double>() * kArcsec;
  b.bpa = d.contains("bpa") ? d["bpa"].cast<double>() * kPi / 180.0 : 0.0;
  return b;
}

ImageGrid square_grid(const PyObservation& o, int npix, double cell) {
  require_at_least("npix", npix, 2);
  ImageGrid g{npix, npix, cell, o.obs.ra, o.obs.dec};
  g.validate();
  return g;
}

namespace {

// The Stokes-I samples every imaging call uses, checked once when the data arrive.
PyObservation with_stokes_i(Observation obs, const std::string& source) {
  obs.check_shapes(source);
  PyObservation o{std::move(obs), {}, source};
  o.vis = o.obs.stokes_i();
  if (o.vis.size() == 0)
    throw DataError(fmt::format("{}: no unflagged Stokes-I sample with positive weight ({} rows, {:.1f} % flagged)",
                                source, o.obs.nrow, 100 * o.obs.flagged_fraction()));
  o.vis.validate(source);
  return o;
}

PyObservation read_ms(const std::string& path, const std::string& column, int field, int spw) {
  require_exists(path, "MeasurementSet");
  MsSelection sel{column, field, spw};
  Observation obs;
  {
    py::gil_scoped_release release;
    obs = read_measurement_set(path, sel);
  }
  return with_stokes_i(std::move(obs), path);
}

PyObservation read_table(const std::string& path, double freq_hz) {
  require_exists(path, "uvtable");
  if (freq_hz != 0) require_positive("freq", freq_hz);
  Observation obs;
  {
    py::gil_scoped_release release;
    obs = read_uvtable(path, freq_hz > 0 ? kSpeedOfLight / freq_hz : 0.0);
  }
  return with_stokes_i(std::move(obs), path);
}

PyObservation from_arrays(const py::handle& u, const py::handle& v, const py::handle& vis, const py::handle& weight,
                          double freq_hz, double ra_deg, double dec_deg) {
  auto ua = as_array<double>(u, "u"), va = as_array<double>(v, "v"), wa = as_array<double>(weight, "weight");
  auto da = as_array<std::complex<double>>(vis, "vis");
  require_shape(ua, "u", {{kAny}}, "[nvis]");
  const py::ssize_t n = ua.size();
  require_shape(va, "v", {{n}}, fmt::format("[nvis] = [{}]", n));
  require_shape(da, "vis", {{n}}, fmt::format("[nvis] = [{}]", n));
  require_shape(wa, "weight", {{n}}, fmt::format("[nvis] = [{}]", n));
  if (freq_hz != 0) require_positive("freq", freq_hz);
  PyObservation o;
  o.source = "observation";
  o.obs.frequency_known = freq_hz > 0;
  if (freq_hz > 0) o.obs.freq = {freq_hz};
  o.obs.ra = ra_deg * kPi / 180.0;
  o.obs.dec = dec_deg * kPi / 180.0;
  o.vis.u.assign(ua.data(), ua.data() + n);
  o.vis.v.assign(va.data(), va.data() + n);
  o.vis.vis.assign(da.data(), da.data() + n);
  o.vis.weight.assign(wa.data(), wa.data() + n);
  o.vis.validate(o.source);
  return o;
}

void write_fits(const std::string& path, const py::handle& image, const py::handle& cell, double freq_hz,
                const std::string& bunit, double ra_deg, double dec_deg, const py::object& beam, int bitpix) {
  auto a = as_array<double>(image, "image");
  require_shape(a, "image", {{kAny, kAny}}, "[ny, nx]");
  require_in("bitpix", std::to_string(bitpix), {"-32", "-64"});
  ImageGrid grid{static_cast<int>(a.shape(1)), static_cast<int>(a.shape(0)), angle_radians(cell, "cell"),
                 ra_deg * kPi / 180.0, dec_deg * kPi / 180.0};
  grid.validate();
  FitsImage f = make_fits_image({a.data(), a.data() + a.size()}, grid, freq_hz, bunit, "python write_fits");
  f.bitpix = bitpix;
  if (!beam.is_none()) f.beam = beam_from_dict(beam.cast<py::dict>());
  py::gil_scoped_release release;
  write_fits_image(path, f);
}

void write_png(const std::string& path, const py::handle& image, const std::string& title, const std::string& unit,
               const std::string& cmap, const py::object& vmin, const py::object& vmax) {
  auto a = as_array<double>(image, "image");
  require_shape(a, "image", {{kAny, kAny}}, "[ny, nx]");
  ImagePanel panel;
  panel.pixels.assign(a.data(), a.data() + a.size());
  panel.ny = static_cast<int>(a.shape(0));
  panel.nx = static_cast<int>(a.shape(1));
  panel.title = title;
  panel.colorbar_label = unit;
  panel.cmap = parse_colormap(cmap);
  if (!vmin.is_none()) panel.vmin = vmin.cast<double>();
  if (!vmax.is_none()) panel.vmax = vmax.cast<double>();
  py::gil_scoped_release release;
  write_image_png(path, panel);
}

py::tuple read_fits(const std::string& path) {
  require_exists(path, "FITS image");
  FitsImage f;
  {
    py::gil_scoped_release release;
    f = read_fits_image(path);
  }
  py::dict info;
  info["cell"] = f.grid.cell / kArcsec;
  info["ra_deg"] = f.grid.ra * 180.0 / kPi;
  info["dec_deg"] = f.grid.dec * 180.0 / kPi;
  info["freq"] = f.freq_hz;
  info["bunit"] = f.bunit;
  info["beam"] = f.beam ? py::object(beam_to_dict(*f.beam)) : py::none();
  info["history"] = f.history;
  return py::make_tuple(array_of(f.pixels, {f.grid.ny, f.grid.nx}), info);
}

// A property showing one array of the Stokes-I samples as a read-only view kept alive by the Observation.
template <class V>
auto stokes_i_view(std::vector<V> VisibilitySet::*member) {
  return [member](py::object self) { return view_of(self.cast<const PyObservation&>().vis.*member, self); };
}

void bind_observation(py::module_& m) {
  py::class_<PyObservation>(m, "Observation", R"(Visibilities of one field and one spectral window.

The arrays are the Stokes-I samples every imaging call uses: one entry per
unflagged (row, channel) with positive weight, Stokes I = (XX+YY)/2 or (RR+LL)/2.
They are read-only views of the library's memory (no copy). Sign convention:
V(u, v) = sum I(l, m) exp(-2 pi i (u l + v m)); files store the conjugate and the
readers conjugate.)")
      .def(py::init(&from_arrays), py::arg("u"), py::arg("v"), py::arg("vis"), py::arg("weight"),
           py::arg("freq") = 0.0, py::arg("ra_deg") = 0.0, py::arg("dec_deg") = 0.0,
           R"(Observation from arrays: u, v [nvis] in wavelengths, vis [nvis] complex (Jy, internal sign
convention), weight [nvis] = 1/sigma^2 (Jy^-2) with sigma the rms of Re and of Im; freq in Hz
(0: unknown); phase centre in degrees. Non-finite values or negative weights: DataError.)")
      .def_property_readonly("u", stokes_i_view(&VisibilitySet::u), "u [nvis], wavelengths (float64, read-only view).")
      .def_property_readonly("v", stokes_i_view(&VisibilitySet::v), "v [nvis], wavelengths (float64, read-only view).")
      .def_property_readonly("vis", stokes_i_view(&VisibilitySet::vis),
                             "Stokes-I visibilities [nvis], Jy (complex128, internal sign convention, read-only view).")
      .def_property_readonly("weight", stokes_i_view(&VisibilitySet::weight),
                             "Thermal weights [nvis] = 1/sigma^2, Jy^-2 (float64, read-only view).")
      .def_property_readonly(
          "freq", [](py::object self) { return view_of(self.cast<const PyObservation&>().obs.freq, self); },
          "Channel frequencies [nchan], Hz (empty or the speed of light for a uvtable read without freq).")
      .def_property_readonly("ra_deg", [](const PyObservation& o) { return o.obs.ra * 180.0 / kPi; },
                             "Phase centre right ascension, degrees (J2000).")
      .def_property_readonly("dec_deg", [](const PyObservation& o) { return o.obs.dec * 180.0 / kPi; },
                             "Phase centre declination, degrees (J2000).")
      .def_property_readonly("field", [](const PyObservation& o) { return o.obs.field; }, "Field name (MS).")
      .def_property_readonly("telescope", [](const PyObservation& o) { return o.obs.telescope; })
      .def_property_readonly(
          "correlations",
          [](const PyObservation& o) {
            std::vector<std::string> names;
            for (int c : o.obs.corr) names.push_back(corr_name(c));
            return names;
          },
          "Correlations read (e.g. ['XX', 'YY']), before Stokes I was formed.")
      .def_property_readonly("nrow", [](const PyObservation& o) { return o.obs.nrow; }, "Rows read.")
      .def_property_readonly("nchan", [](const PyObservation& o) { return o.obs.nchan; }, "Channels read.")
      .def_property_readonly("max_uv", [](const PyObservation& o) { return o.vis.max_uv(); },
                             "Longest |uv|, wavelengths.")
      .def_property_readonly("mean_freq", &PyObservation::mean_freq_hz, "Mean frequency, Hz (0: unknown).")
      .def("__len__", [](const PyObservation& o) { return o.vis.size(); })
      .def("__repr__", [](const PyObservation& o) {
        return fmt::format("<penumbra.Observation {}: {} Stokes-I visibilities, longest baseline {:.4g} klambda>",
                           o.source, o.vis.size(), o.vis.max_uv() / 1e3);
      });
}

}  // namespace

void bind_io(py::module_& m) {
  bind_observation(m);
  m.def("read_measurement_set", &read_ms, py::arg("path"), py::arg("column") = "DATA", py::arg("field") = -1,
        py::arg("spw") = -1,
        R"(Read a CASA MeasurementSet (one field, one spectral window) as an Observation.

column: DATA, CORRECTED_DATA or MODEL_DATA; field: FIELD_ID and spw: SPECTRAL_WINDOW_ID
(-1: the first with rows). Weights from WEIGHT_SPECTRUM when filled, else WEIGHT.
Missing path: FileNotFoundError; malformed or all-flagged data: DataError.)");
  m.def("read_uvtable", &read_table, py::arg("path"), py::arg("freq") = 0.0,
        R"(Read a uvtable (u [lambda], v [lambda], Re V [Jy], Im V [Jy], weight [Jy^-2]; plain, .gz or .bz2).

freq: observing frequency in Hz for headers (0: unknown).)");
  m.def("write_fits", &write_fits, py::arg("path"), py::arg("image"), py::arg("cell"), py::arg("freq") = 0.0,
        py::arg("bunit") = "Jy/beam", py::arg("ra_deg") = 0.0, py::arg("dec_deg") = 0.0, py::arg("beam") = py::none(),
        py::arg("bitpix") = -32,
        R"(Write image [ny, nx] (row-major, x = RA axis, pixel x = 0 the East edge) as a FITS image with a SIN WCS.

cell: pixel size, arcsec (a number) or a string with a unit ('3mas'); freq in Hz;
beam: {'bmaj': arcsec, 'bmin': arcsec, 'bpa': degrees} or None; bitpix -32 or -64
(-64 round-trips float64 exactly). Written to path.tmp and renamed.)");
  m.def("write_png", &write_png, py::arg("path"), py::arg("image"), py::arg("title") = "", py::arg("unit") = "",
        py::arg("cmap") = "inferno", py::arg("vmin") = py::none(), py::arg("vmax") = py::none(),
        R"(Write image [ny, nx] as a PNG figure with a colour bar, as the CLI draws its images: North up,
East left (row y = 0 at the bottom). cmap: inferno, viridis, grey or coolwarm; vmin/vmax:
the colour range (default: the data's). Non-finite pixels are drawn magenta.)");
  m.def("read_fits", &read_fits, py::arg("path"),
        R"(Read the first 2-D image of a FITS file: (image [ny, nx] float64, info).

info: cell (arcsec), ra_deg, dec_deg, freq (Hz), bunit, beam (dict or None), history.
Images stored with other axis directions are flipped into Penumbra's orientation.)");
}

}  // namespace penumbra::python
