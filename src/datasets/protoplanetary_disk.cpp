#include "src/datasets/protoplanetary_disk.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "src/core/errors.hpp"
#include "src/core/rng.hpp"
#include "src/core/units.hpp"

namespace penumbra {
namespace {

double gauss(double x, double mu, double sigma) {
  double z = (x - mu) / sigma;
  return std::exp(-0.5 * z * z);
}

// Uniform [0, 1) from the raw 64-bit stream: portable across standard libraries, so a
// seed names the same disk everywhere.
double uniform01(Rng& g) { return static_cast<double>(g() >> 11) * 0x1.0p-53; }
double uniform(Rng& g, double a, double b) { return a + (b - a) * uniform01(g); }

}  // namespace

double usable_half_width(const ImageGrid& grid) {
  // The phase centre is pixel N/2: N/2 − ½ pixels of sky on the short side, and one
  // pixel of margin so the soft edge never touches the border.
  return (0.5 * std::min(grid.nx, grid.ny) - 1.0) * grid.cell;
}

double ProtoplanetaryDisk::profile(double x) const {
  double i = core_amplitude * gauss(x, 0.0, core_width) +
             envelope_amplitude * std::pow(1.0 + (x / envelope_scale) * (x / envelope_scale), -0.5 * envelope_index);
  for (const auto& r : rings) i += r.amplitude * gauss(x, r.radius, r.width);
  for (const auto& g : gaps) i *= 1.0 - g.depth * gauss(x, g.radius, g.width);
  return i * 0.5 * std::erfc((x - 1.0) / (std::sqrt(2.0) * edge));
}

void ProtoplanetaryDisk::validate() const {
  auto bad = [](const std::string& what) { throw UsageError("protoplanetary disk: " + what); };
  if (!(flux > 0) || !std::isfinite(flux)) bad(fmt::format("flux {} Jy must be positive", flux));
  if (!(radius > 0) || !std::isfinite(radius)) bad(fmt::format("radius {} must be positive", format_angle(radius)));
  if (!(inclination >= 0) || !(inclination < 89.0 * kDeg))
    bad(fmt::format("inclination {} must lie in [0°, 89°]", format_angle(inclination)));
  if (!std::isfinite(position_angle) || !std::isfinite(offset_l) || !std::isfinite(offset_m))
    bad("position angle and centre offsets must be finite");
  if (!(core_amplitude >= 0) || !(core_width > 0) || !(envelope_amplitude >= 0) || !(envelope_scale > 0) ||
      !(envelope_index >= 0) || !(edge > 0))
    bad(fmt::format("core ({}, width {}), envelope ({}, scale {}, index {}) and edge ({}) must be non-negative "
                    "amplitudes and positive widths",
                    core_amplitude, core_width, envelope_amplitude, envelope_scale, envelope_index, edge));
  for (std::size_t k = 0; k < rings.size(); ++k)
    if (!(rings[k].width > 0) || !(rings[k].amplitude >= 0) || !(rings[k].radius >= 0))
      bad(fmt::format("ring {} (radius {}, width {}, amplitude {}) needs radius ≥ 0, width > 0, amplitude ≥ 0", k,
                      rings[k].radius, rings[k].width, rings[k].amplitude));
  for (std::size_t k = 0; k < gaps.size(); ++k)
    if (!(gaps[k].width > 0) || !(gaps[k].depth >= 0) || !(gaps[k].depth <= 1))
      bad(fmt::format("gap {} (radius {}, width {}, depth {}) needs width > 0 and depth in [0, 1]", k,
                      gaps[k].radius, gaps[k].width, gaps[k].depth));
}

bool ProtoplanetaryDisk::fits(const ImageGrid& grid) const {
  double extent = radius * (1.0 + 2.0 * edge) + std::hypot(offset_l, offset_m);
  return extent <= usable_half_width(grid);
}

std::string ProtoplanetaryDisk::describe() const {
  return fmt::format("flux {:.4g} Jy, outer radius {}, inclination {:.1f}°, PA {:.1f}°, {} rings, {} gaps", flux,
                     format_angle(radius), inclination / kDeg, position_angle / kDeg, rings.size(), gaps.size());
}

ProtoplanetaryDisk as209_like_disk(double outer_radius) {
  // Radii in au at 121 pc, normalised to the 194 au (1.6″) outer edge.
  constexpr double kOuterAu = 194.0;
  auto x = [](double au) { return au / kOuterAu; };
  ProtoplanetaryDisk d;
  d.flux = 0.3;
  d.radius = outer_radius;
  d.inclination = 35.0 * kDeg;
  d.position_angle = 86.0 * kDeg;
  d.core_amplitude = 1.0;
  d.core_width = x(6.0);
  d.envelope_amplitude = 0.06;
  d.envelope_scale = x(20.0);
  d.envelope_index = 0.6;
  d.edge = 0.04;
  d.rings = {
      {x(14.0), x(2.5), 0.55}, {x(28.0), x(2.5), 0.45}, {x(39.0), x(2.5), 0.30},  // narrow inner rings
      {x(74.0), x(4.5), 0.32},                                                    // bright ring ≈ 0.62″
      {x(97.0), x(3.0), 0.05},                                                    // faint ring
      {x(120.0), x(5.5), 0.22},                                                   // bright ring ≈ 1.0″
      {x(141.0), x(5.0), 0.04},                                                   // faint ring
  };
  d.gaps = {
      {x(9.0), x(2.0), 0.5},    {x(24.0), x(2.0), 0.6}, {x(35.0), x(2.0), 0.5},
      {x(61.0), x(7.0), 0.95},  // deep gap ≈ 0.5″
      {x(105.0), x(7.0), 0.95}, // deep gap ≈ 0.87″
  };
  return d;
}

ProtoplanetaryDisk random_disk(std::uint64_t seed, const ImageGrid& grid, const RandomDiskRanges& r) {
  grid.validate();
  Rng g = make_rng(seed, 0x4D15C);
  double half = usable_half_width(grid);
  ProtoplanetaryDisk d;
  d.flux = std::exp(uniform(g, std::log(r.flux_min), std::log(r.flux_max)));
  d.inclination = std::acos(uniform(g, std::cos(r.max_inclination), 1.0));
  d.position_angle = uniform(g, 0.0, kPi);
  double off = r.max_offset * half * std::sqrt(uniform01(g));
  double phi = uniform(g, 0.0, 2.0 * kPi);
  d.offset_l = off * std::cos(phi);
  d.offset_m = off * std::sin(phi);
  d.edge = uniform(g, 0.02, 0.06);
  // Whatever the draw, leave room for the soft edge and the offset.
  double room = (1.0 - 1e-9) * (half - off) / (1.0 + 2.0 * d.edge);
  d.radius = std::min(uniform(g, r.radius_min, r.radius_max) * half, room);
  d.core_amplitude = uniform(g, 0.2, 1.5);
  d.core_width = uniform(g, 0.02, 0.1);
  d.envelope_amplitude = uniform(g, 0.02, 0.3);
  d.envelope_scale = uniform(g, 0.05, 0.4);
  d.envelope_index = uniform(g, 0.0, 1.5);
  int nr = static_cast<int>(uniform01(g) * (r.max_rings + 1));
  int ng = static_cast<int>(uniform01(g) * (r.max_gaps + 1));
  for (int k = 0; k < nr; ++k) d.rings.push_back({uniform(g, 0.15, 0.9), uniform(g, 0.015, 0.06), uniform(g, 0.05, 0.6)});
  for (int k = 0; k < ng; ++k) d.gaps.push_back({uniform(g, 0.1, 0.85), uniform(g, 0.01, 0.05), uniform(g, 0.3, 1.0)});
  d.validate();
  return d;
}

std::vector<double> render_disk(const ProtoplanetaryDisk& d, const ImageGrid& grid, int supersample) {
  d.validate();
  grid.validate();
  if (supersample < 1) throw UsageError(fmt::format("disk supersampling {} must be ≥ 1", supersample));
  if (!d.fits(grid))
    throw UsageError(fmt::format(
        "the disk (outer radius {}, centre offset {}) does not fit the {}×{} image of {} cells (usable half-width {}): use "
        "a larger image or cell, or a smaller disk radius",
        format_angle(d.radius), format_angle(std::hypot(d.offset_l, d.offset_m)), grid.nx, grid.ny,
        format_angle(grid.cell), format_angle(usable_half_width(grid))));
  const double sp = std::sin(d.position_angle), cp = std::cos(d.position_angle);
  const double ci = std::cos(d.inclination);
  const int s = supersample;
  std::vector<double> img(grid.size(), 0.0);
  double total = 0;
  for (int y = 0; y < grid.ny; ++y) {
    for (int x = 0; x < grid.nx; ++x) {
      double acc = 0;
      for (int sy = 0; sy < s; ++sy) {
        for (int sx = 0; sx < s; ++sx) {
          // Sub-pixel centre, in pixel units from the pixel centre.
          double fx = (sx + 0.5) / s - 0.5, fy = (sy + 0.5) / s - 0.5;
          double l = -(x + fx - grid.nx / 2) * grid.cell - d.offset_l;
          double m = (y + fy - grid.ny / 2) * grid.cell - d.offset_m;
          double a = l * sp + m * cp, b = (l * cp - m * sp) / ci;
          acc += d.profile(std::sqrt(a * a + b * b) / d.radius);
        }
      }
      img[static_cast<std::size_t>(y) * grid.nx + x] = acc;
      total += acc;
    }
  }
  if (!(total > 0))
    throw UsageError(fmt::format("the disk ({}) renders to zero on the {}×{} grid of {} cells: the disk is smaller "
                                 "than a pixel or its profile is empty",
                                 d.describe(), grid.nx, grid.ny, format_angle(grid.cell)));
  for (auto& v : img) v *= d.flux / total;
  return img;
}

}  // namespace penumbra
