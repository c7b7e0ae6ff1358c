#include "src/pipelines/comparison.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "instruments/dirty_image.hpp"
#include "src/core/errors.hpp"
#include "src/core/run_folder.hpp"
#include "src/io/png.hpp"
#include "src/diagnostics/image_metrics.hpp"
#include "src/pipelines/planned_observation.hpp"
#include "src/pipelines/posterior_model.hpp"

namespace penumbra {

double beam_area_pixels(const Beam& beam, const ImageGrid& grid) {
  if (!(beam.bmaj > 0 && beam.bmin > 0)) throw DataError("clean beam has no positive axes");
  return 3.141592653589793 * beam.bmaj * beam.bmin / (4.0 * std::log(2.0)) / (grid.cell * grid.cell);
}

ComparisonRow score_image(const std::string& method, std::vector<double> image, const std::vector<double>& truth,
                          const PlannedObservation& obs, const std::vector<double>& model,
                          const std::string& note) {
  const ImageGrid& grid = obs.grid();
  if (image.size() != grid.size() || truth.size() != grid.size())
    throw UsageError(fmt::format("{}: image has {} pixels and truth {} for a {}x{} grid", method, image.size(),
                                 truth.size(), grid.nx, grid.ny));
  ComparisonRow r;
  r.method = method;
  r.rmse = image_rmse(image, truth);
  r.ssim = image_ssim(image, truth, grid.nx, grid.ny);
  r.flux_error = total_flux_error(image, truth);
  r.chi2 = obs.reduced_chi2(model.empty() ? image : model);
  r.image = std::move(image);
  r.note = note;
  return r;
}

std::vector<ComparisonRow> compare_baselines(const PlannedObservation& obs, const std::vector<double>& truth,
                                             const BaselineOptions& o) {
  const VisibilitySet& vis = obs.vis();
  const ImageGrid& grid = obs.grid();
  std::vector<ComparisonRow> rows;
  ImagingWeights iw = compute_imaging_weights(vis, grid, o.weighting);
  auto d = obs.dirty_image(iw.weight);
  const double dirty_beam = psf_beam_area_pixels(d.psf);
  std::vector<double> dirty = d.dirty;
  for (auto& p : dirty) p /= dirty_beam;
  rows.push_back(score_image("dirty", dirty, truth, obs, {},
                             fmt::format("Jy/beam / dirty-beam area {:.2f} px ({})", dirty_beam,
                                         weighting_name(o.weighting.scheme))));

  CleanResult c = clean(vis, iw.weight, grid, o.clean);
  const double area = beam_area_pixels(c.beam, grid);
  std::vector<double> restored = c.restored;
  for (auto& p : restored) p /= area;
  rows.push_back(score_image("clean", restored, truth, obs, c.model,
                             fmt::format("{}{}{} iterations, restored / clean-beam area {:.2f} px; χ² of the components",
                                         o.clean.multiscale ? "multiscale, " : "", o.clean.cotton_schwab ? "" : "Högbom, ",
                                         c.iterations, area)));
  rows.back().beam = c.beam;

  MapImagingResult m = map_image(obs, o.map);
  rows.push_back(score_image("map", m.image, truth, obs, {},
                             fmt::format("{} λ={} {} iterations{}", o.map.prior, o.map.lambda, m.iterations,
                                         m.converged ? "" : " (not converged)")));
  return rows;
}

std::string comparison_csv(const std::vector<ComparisonRow>& rows, double truth_peak) {
  std::string s = "method,rmse_jy_per_pixel,rmse_over_peak,ssim,flux_error,chi2_reduced,note\n";
  for (auto& r : rows) {
    std::string note = r.note;
    for (auto& ch : note)
      if (ch == ',' || ch == '"') ch = ';';
    s += fmt::format("{},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{}\n", r.method, r.rmse, r.rmse / truth_peak, r.ssim,
                     r.flux_error, r.chi2, note);
  }
  return s;
}

std::string comparison_markdown(const std::vector<ComparisonRow>& rows, double truth_peak) {
  std::string s = "| method | RMSE (Jy/pixel) | RMSE / peak | SSIM | flux error | χ²_red | note |\n"
                  "|---|---|---|---|---|---|---|\n";
  for (auto& r : rows)
    s += fmt::format("| {} | {:.4g} | {:.4f} | {:.4f} | {:+.3f} | {:.4g} | {} |\n", r.method, r.rmse,
                     r.rmse / truth_peak, r.ssim, r.flux_error, r.chi2, r.note);
  return s;
}

double truth_peak(const std::vector<double>& truth) {
  double peak = *std::max_element(truth.begin(), truth.end());
  return peak > 0 ? peak : 1.0;
}

nlohmann::json write_comparison(const std::filesystem::path& dir, const std::vector<ComparisonRow>& rows,
                                const std::vector<double>& truth, const ImageGrid& grid, nlohmann::json header) {
  const double peak = truth_peak(truth);
  write_text_atomic(dir / "comparison.csv", comparison_csv(rows, peak));
  write_text_atomic(dir / "comparison.md", comparison_markdown(rows, peak));
  std::vector<ImagePanel> panels;
  const double vmin = *std::min_element(truth.begin(), truth.end());
  auto panel = [&](const std::vector<double>& px, const std::string& title) {
    ImagePanel p;
    p.pixels = px;
    p.nx = grid.nx;
    p.ny = grid.ny;
    p.title = title;
    p.vmin = std::min(0.0, vmin);
    p.vmax = peak;
    p.colorbar_label = "Jy/pixel";
    panels.push_back(std::move(p));
  };
  panel(truth, "truth");
  for (auto& r : rows) panel(r.image, fmt::format("{} (RMSE {:.3f} peak)", r.method, r.rmse / peak));
  write_panels_png(dir / "comparison.png", panels, std::min<int>(3, static_cast<int>(panels.size())));

  nlohmann::json table = nlohmann::json::array();
  for (auto& r : rows)
    table.push_back({{"method", r.method}, {"rmse", r.rmse}, {"rmse_over_peak", r.rmse / peak}, {"ssim", r.ssim},
                     {"flux_error", r.flux_error}, {"chi2_reduced", r.chi2}, {"note", r.note}});
  header["truth_peak_jy_per_pixel"] = peak;
  header["rows"] = table;
  write_text_atomic(dir / "compare.json", header.dump(2) + "\n");
  return table;
}

}  // namespace penumbra
