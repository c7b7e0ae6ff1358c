// The scaling study's report files (scaling_study.hpp): scaling.csv,
// fits.json and the two log–log PNGs.
#include <fmt/format.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "src/core/run_folder.hpp"
#include "src/io/png.hpp"
#include "src/pipelines/scaling_study.hpp"

namespace penumbra {

namespace fs = std::filesystem;

namespace {

std::string cells_csv(const ScalingStudyResult& r) {
  std::string s = "data_size,model_size,seed_index,parameters,heldout_nll,heldout_nll_se,steps,wall_seconds\n";
  for (const auto& c : r.cells)
    s += fmt::format("{},{},{},{},{:.6f},{:.6f},{},{:.2f}\n", c.cell.data_size, c.cell.model_size, c.cell.seed_index,
                     c.parameters, c.heldout_nll, c.heldout_nll_se, c.steps, c.wall_seconds);
  return s;
}

nlohmann::json curve_json(const ScalingCurve& c) {
  nlohmann::json j{{c.versus_data ? "model_size" : "data_size", c.fixed}, {"points", c.points.x.size()}};
  if (!c.fit) {
    j["skipped"] = c.skipped;
    return j;
  }
  const auto& f = *c.fit;
  j.update({{"a", f.a},
            {"sigma_a", f.sigma_a},
            {"alpha", f.alpha},
            {"sigma_alpha", f.sigma_alpha},
            {"alpha_bootstrap_sd", f.bootstrap_sd_alpha},
            {"alpha_interval_68", {f.alpha_lower, f.alpha_upper}},
            {"bootstrap_replicates", f.replicates},
            {"c", f.c},
            {"sigma_c", f.sigma_c},
            {"chi2", f.chi2},
            {"dof", f.dof},
            {"alpha_at_bound", f.alpha_at_bound}});
  return j;
}

// Mean held-out loss per x (over seeds), in increasing x.
Series measured(const ScalingCurve& c, const std::string& label) {
  std::map<double, std::pair<double, int>> by_x;
  for (std::size_t i = 0; i < c.points.x.size(); ++i) {
    auto& [sum, n] = by_x[c.points.x[i]];
    sum += c.points.y[i], ++n;
  }
  Series s;
  s.label = label;
  for (auto& [x, acc] : by_x) s.x.push_back(x), s.y.push_back(acc.first / acc.second);
  return s;
}

Series fitted(const ScalingCurve& c, const Series& points) {
  Series s;
  s.dashed = true;
  const auto& f = *c.fit;
  s.label = fmt::format("{} fit: alpha = {:.3g} +- {:.2g}", points.label, f.alpha, f.sigma_alpha);
  double lo = std::log(points.x.front()), hi = std::log(points.x.back());
  for (int k = 0; k <= 60; ++k) {
    double x = std::exp(lo + (hi - lo) * k / 60.0);
    s.x.push_back(x), s.y.push_back(f(x));
  }
  return s;
}

void plot(const fs::path& path, const ScalingStudyResult& r, bool versus_data) {
  std::vector<Series> series;
  for (const auto& c : r.curves) {
    if (c.versus_data != versus_data) continue;
    auto label = versus_data ? fmt::format("width {}", c.fixed) : fmt::format("N = {}", c.fixed);
    series.push_back(measured(c, label));
    if (c.fit) series.push_back(fitted(c, series.back()));
  }
  if (series.empty()) return;
  LinePlot p;
  p.logx = p.logy = true;
  p.title = versus_data ? "Held-out loss vs training galaxies" : "Held-out loss vs parameters";
  p.xlabel = versus_data ? "training galaxies N" : "parameters P";
  p.ylabel = "Dirichlet NLL per galaxy";
  write_line_plot_png(path, series, p);
}

}  // namespace

void write_scaling_report(const fs::path& dir, const ScalingStudyResult& r) {
  write_text_atomic(dir / "scaling.csv", cells_csv(r));
  nlohmann::json j{{"loss_vs_data", nlohmann::json::array()},
                   {"loss_vs_parameters", nlohmann::json::array()},
                   {"cells", r.cells.size()},
                   {"cell_seconds", r.cell_seconds},
                   {"model", "L = a * x^-alpha + c; sigma from the Jacobian, interval from a bootstrap over cells"}};
  for (const auto& c : r.curves) j[c.versus_data ? "loss_vs_data" : "loss_vs_parameters"].push_back(curve_json(c));
  write_text_atomic(dir / "fits.json", j.dump(2) + "\n");
  plot(dir / "scaling_data.png", r, true);
  plot(dir / "scaling_parameters.png", r, false);
}

}  // namespace penumbra
