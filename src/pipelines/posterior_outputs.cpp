#include "src/pipelines/posterior_outputs.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include "src/core/errors.hpp"
#include "src/core/run_folder.hpp"
#include "src/core/units.hpp"
#include "src/io/fits_image.hpp"
#include "src/io/hdf5_store.hpp"
#include "src/io/png.hpp"
#include "src/pipelines/planned_observation.hpp"
#include "src/pipelines/posterior_model.hpp"
#include "src/pipelines/posterior_run.hpp"

namespace fs = std::filesystem;

namespace penumbra {

PosteriorOutputs::PosteriorOutputs(const PosteriorRunRequest& request, const PlannedObservation& obs,
                                   const PosteriorModel& model, const PipelinePrior& prior, const DirtyImage& dirty,
                                   const at::Tensor& samples)
    : r_(request), obs_(obs), model_(model), prior_(prior), dirty_(dirty), samples_(samples) {
  sum_ = summarize_posterior(samples_);
  mean_ = to_vector(sum_.mean);
  checks_ = check_posterior(obs_, samples_, mean_);
}

void PosteriorOutputs::write_files(const fs::path& dir) const {
  write_samples(dir / "samples.h5");
  write_images(dir);
  write_panel(dir / "panel.png");
  write_chi2_by_uv(dir, checks_);
}

void PosteriorOutputs::write_samples(const fs::path& path) const {
  const auto n = static_cast<std::size_t>(r_.grid.nx);
  write_atomic(path, [&](const fs::path& tmp) {
    Hdf5Store s(tmp, Hdf5Store::Mode::kCreate);
    s.create_stack("/samples", {n, n}, "Jy/pixel");
    auto f = samples_.to(torch::kFloat).contiguous();
    s.append("/samples", f.data_ptr<float>(), static_cast<std::size_t>(f.size(0)));
    Array<double> c;
    c.data = to_vector(checks_.chi2);
    c.shape = {c.data.size()};
    s.write("/chi2_reduced", c, "");
    s.create_stack("/residuals", {n, n}, "Jy/beam");
    std::vector<float> res(checks_.residuals.begin(), checks_.residuals.end());
    s.append("/residuals", res.data(), static_cast<std::size_t>(samples_.size(0)));
    s.set_attr("/samples", "sampler", model_.sampler->describe());
    s.set_attr("/samples", "posterior", model_.posterior->describe());
    s.set_attr("/samples", "likelihood", model_.likelihood->name());
    s.set_attr("/samples", "cell_rad", r_.grid.cell);
    s.set_attr("/samples", "ra_rad", r_.grid.ra);
    s.set_attr("/samples", "dec_rad", r_.grid.dec);
  });
}

std::vector<std::vector<double>> read_posterior_samples(const fs::path& path, const ImageGrid& grid) {
  Hdf5Store s(path, Hdf5Store::Mode::kRead);
  const auto shape = s.shape("/samples");
  const double cell = s.has_attr("/samples", "cell_rad") ? s.attr_double("/samples", "cell_rad") : grid.cell;
  if (shape.size() != 3 || shape[1] != static_cast<std::size_t>(grid.ny) || shape[2] != static_cast<std::size_t>(grid.nx) ||
      std::abs(cell - grid.cell) > 1e-6 * grid.cell)
    throw DataError(fmt::format("{}: samples are not {}x{} images of {} pixels", path.string(), grid.nx, grid.ny,
                                format_angle(grid.cell)));
  const Array<float> all = s.read_rows("/samples", 0, shape[0]);
  std::vector<std::vector<double>> out(shape[0]);
  for (std::size_t k = 0; k < shape[0]; ++k)
    out[k].assign(all.data.begin() + static_cast<std::ptrdiff_t>(k * grid.size()),
                  all.data.begin() + static_cast<std::ptrdiff_t>((k + 1) * grid.size()));
  return out;
}

void PosteriorOutputs::write_images(const fs::path& dir) const {
  auto fits = [&](const std::string& name, const std::vector<double>& pix, const std::string& bunit,
                  const std::string& what) {
    write_fits_image(dir / name, make_fits_image(pix, r_.grid, r_.freq_hz, bunit, "sample " + what));
  };
  fits("mean.fits", mean_, "Jy/pixel", "posterior mean");
  fits("std.fits", to_vector(sum_.std), "Jy/pixel", "posterior std");
  fits("q16.fits", to_vector(sum_.q16), "Jy/pixel", "16% quantile");
  fits("q50.fits", to_vector(sum_.q50), "Jy/pixel", "median");
  fits("q84.fits", to_vector(sum_.q84), "Jy/pixel", "84% quantile");
  fits("dirty.fits", dirty_.dirty, "Jy/beam", "dirty image");
  fits("residual.fits", checks_.mean_residual, "Jy/beam", "residual dirty image of the mean");
}

void PosteriorOutputs::write_panel(const fs::path& path) const {
  std::vector<ImagePanel> panels;
  auto panel = [&](const std::vector<double>& pix, const std::string& title, ColorMap cm, const std::string& unit) {
    ImagePanel p;
    p.pixels = pix;
    p.nx = p.ny = r_.grid.nx;
    p.title = title;
    p.cmap = cm;
    p.colorbar_label = unit;
    panels.push_back(std::move(p));
  };
  if (!r_.truth.empty()) panel(r_.truth, "truth", ColorMap::kInferno, "Jy/pixel");
  panel(dirty_.dirty, "dirty", ColorMap::kInferno, "Jy/beam");
  panel(mean_, "posterior mean", ColorMap::kInferno, "Jy/pixel");
  panel(to_vector(sum_.std), "posterior std", ColorMap::kViridis, "Jy/pixel");
  panel(checks_.mean_residual, "residual (mean)", ColorMap::kCoolwarm, "Jy/beam");
  for (std::int64_t k = 0; k < std::min<std::int64_t>(3, samples_.size(0)); ++k)
    panel(to_vector(samples_[k]), fmt::format("sample {}", k), ColorMap::kInferno, "Jy/pixel");
  write_panels_png(path, panels, 4);
}

nlohmann::json PosteriorOutputs::summary(const std::string& scale_source) const {
  const LikelihoodSettings& ls = r_.settings.likelihood;
  nlohmann::json s = {
      {"input", r_.input},
      {"nvis", r_.vis.size()},
      {"prior", prior_.spec},
      {"prior_name", prior_.prior->name()},
      {"prior_units",
       {{"scale_jy_per_pixel", prior_.units.scale}, {"offset_jy_per_pixel", prior_.units.offset},
        {"source", scale_source}}},
      {"likelihood", model_.likelihood->name()},
      {"likelihood_weight", r_.settings.tempering.likelihood_weight},
      {"temperature", r_.settings.tempering.temperature},
      {"likelihood_anneal", model_.posterior->tempering().anneal.describe()},  // resolved for this prior
      {"gridded_cells", model_.gridded_cells},
      {"pad", ls.pad},
      {"final_step", r_.settings.resolved_final_step()},
      {"sampler", model_.sampler->describe()},
      {"score_evaluations_per_sample", model_.sampler->score_evaluations()},
      {"nsamples", samples_.size(0)},
      {"size", r_.grid.nx},
      {"cell_arcsec", r_.grid.cell / kArcsec},
      {"reduced_chi2", to_vector(checks_.chi2)},
      {"reduced_chi2_mean", checks_.chi2_mean},
      {"reduced_chi2_of_mean", checks_.chi2_of_mean},
      {"flux_mean_jy", sum_.mean.sum().item<double>()},
      {"flux_std_jy", samples_.sum({1, 2}).std().item<double>()},
      {"seed", r_.seed},
      {"posterior_predictive", checks_json(checks_)},
  };
  if (r_.truth.empty()) return s;
  auto t = image_tensor(r_.truth, r_.grid).squeeze(0);
  auto tc = truth_comparison(samples_, sum_, t);
  s["truth"] = r_.truth_path;
  s["rmse_vs_truth"] = tc.rmse;
  s["rmse_vs_truth_relative_to_peak"] = tc.rmse / t.max().item<double>();
  s["coverage_68"] = tc.coverage_68;
  s["coverage_95"] = tc.coverage_95;
  s["coverage_emission"] = {{"coverage_68", tc.coverage_68_emission},
                            {"coverage_95", tc.coverage_95_emission},
                            {"pixels", tc.emission_pixels},
                            {"threshold_fraction_of_peak", kEmissionFraction}};
  s["flux_truth_jy"] = t.sum().item<double>();
  return s;
}

}  // namespace penumbra
