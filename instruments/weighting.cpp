#include "instruments/weighting.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "src/core/checks.hpp"
#include "src/core/errors.hpp"

namespace penumbra {

WeightingScheme parse_weighting(const std::string& text) {
  std::string t = text;
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
  if (t == "natural") return WeightingScheme::kNatural;
  if (t == "uniform") return WeightingScheme::kUniform;
  if (t == "briggs" || t == "robust") return WeightingScheme::kBriggs;
  throw UsageError(fmt::format("weighting '{}' is not known; expected natural, uniform or briggs", text));
}

std::string weighting_name(WeightingScheme scheme) {
  switch (scheme) {
    case WeightingScheme::kNatural: return "natural";
    case WeightingScheme::kUniform: return "uniform";
    case WeightingScheme::kBriggs: return "briggs";
  }
  return "?";
}

void WeightingOptions::validate() const {
  require_in_range("Briggs robust parameter", robust, -2.0, 2.0);
  require_non_negative("taper FWHM (rad)", taper_fwhm);
  require_non_negative("weight grid width (cells)", grid_nx);
  require_non_negative("weight grid height (cells)", grid_ny);
}

namespace {

void check_weight_inputs(std::span<const double> u, std::span<const double> v, std::span<const double> w) {
  const std::size_t n = w.size();
  if (u.size() != n || v.size() != n)
    throw UsageError(fmt::format("imaging weights: u, v and weights have {}, {} and {} entries; expected equal sizes",
                                 u.size(), v.size(), n));
  for (std::size_t k = 0; k < n; ++k)
    if (!std::isfinite(w[k]) || w[k] < 0 || !std::isfinite(u[k]) || !std::isfinite(v[k]))
      throw DataError(fmt::format("imaging weights: visibility {} has uv ({}, {}) and weight {}; expected finite "
                                  "values and a weight ≥ 0",
                                  k, u[k], v[k], w[k]));
}

// Uniform or Briggs: each weight divided by (a function of) the summed weight
// S of its cell on the weight grid.
void weight_by_cell_density(std::span<const double> u, std::span<const double> v, std::span<const double> w,
                            const ImageGrid& grid, const WeightingOptions& options, ImagingWeights& out) {
  const std::size_t n = w.size();
  // WSClean's grid sizes are even (an odd size is rounded up).
  long gx = options.grid_nx > 0 ? options.grid_nx : grid.nx;
  long gy = options.grid_ny > 0 ? options.grid_ny : grid.ny;
  gx += gx % 2;
  gy += gy % 2;
  const double sx = gx * grid.cell, sy = gy * grid.cell;  // 1/Δu, 1/Δv
  // Half plane v ≥ 0: gx × gy/2 cells.
  std::vector<double> cells(static_cast<std::size_t>(gx * (gy / 2)), 0.0);
  std::vector<long> index(n, -1);
  double total = 0;
  for (std::size_t k = 0; k < n; ++k) {
    double uu = u[k], vv = v[k];
    if (vv < 0) {
      uu = -uu;
      vv = -vv;
    }
    long x = static_cast<long>(std::floor(uu * sx + static_cast<double>(gx / 2)));
    long y = static_cast<long>(std::floor(vv * sy));
    if (x < 0 || x >= gx || y < 0 || y >= gy / 2) {
      ++out.outside;
      continue;
    }
    index[k] = y * gx + x;
    cells[index[k]] += w[k];
    total += w[k];
  }
  for (double c : cells) out.occupied_cells += c > 0;
  double f2 = 0;
  if (options.scheme == WeightingScheme::kBriggs) {
    double sum_sq = 0;
    for (double c : cells) sum_sq += c * c;
    const double num = 5.0 * std::pow(10.0, -options.robust);
    // Σ S² / Σ w is the weight-averaged cell weight; f² scales it so that
    // R = 0 sits midway (in log) between uniform and natural.
    f2 = total > 0 ? num * num / (sum_sq / total) : 0.0;
  }
  for (std::size_t k = 0; k < n; ++k) {
    if (index[k] < 0) {
      out.weight[k] = 0;
      continue;
    }
    const double s = cells[index[k]];
    if (options.scheme == WeightingScheme::kUniform)
      out.weight[k] = s > 0 ? w[k] / s : 0.0;
    else
      out.weight[k] = w[k] / (1.0 + s * f2);
  }
}

}  // namespace

ImagingWeights compute_imaging_weights(std::span<const double> u, std::span<const double> v,
                                       std::span<const double> w, const ImageGrid& grid,
                                       const WeightingOptions& options) {
  grid.validate();
  options.validate();
  check_weight_inputs(u, v, w);
  const std::size_t n = w.size();
  ImagingWeights out;
  out.weight.assign(w.begin(), w.end());
  if (options.scheme != WeightingScheme::kNatural) weight_by_cell_density(u, v, w, grid, options, out);

  if (options.taper_fwhm > 0) {
    const double sigma = options.taper_fwhm / (2.0 * std::sqrt(2.0 * std::numbers::ln2));
    const double c = -2.0 * std::numbers::pi * std::numbers::pi * sigma * sigma;
    for (std::size_t k = 0; k < n; ++k) out.weight[k] *= std::exp(c * (u[k] * u[k] + v[k] * v[k]));
  }

  double sum_w = 0, sum_w2_over = 0;
  out.sum = 0;
  for (std::size_t k = 0; k < n; ++k) {
    out.sum += out.weight[k];
    if (w[k] > 0) {
      sum_w += w[k];
      sum_w2_over += out.weight[k] * out.weight[k] / w[k];
    }
  }
  out.noise_factor = out.sum > 0 ? std::sqrt(sum_w2_over * sum_w) / out.sum : 0.0;
  return out;
}

}  // namespace penumbra
