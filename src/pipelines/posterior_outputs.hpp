#pragma once
// The files and the summary of a finished posterior run (posterior_run.hpp):
// samples.h5 (with every sample's residual dirty image), the mean/std/quantile,
// dirty and residual FITS images, panel.png, chi2_uv.csv/png (posterior_checks.hpp)
// and the numbers of summary.json. Everything that touches the data goes through
// the run's PlannedObservation (no NUFFT plan of its own).
#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "instruments/dirty_image.hpp"
#include "src/core/image_grid.hpp"
#include "src/diagnostics/posterior_summary.hpp"
#include "src/pipelines/posterior_checks.hpp"

namespace penumbra {

struct PosteriorRunRequest;
struct PosteriorModel;
struct PipelinePrior;
class PlannedObservation;

class PosteriorOutputs {
 public:
  // samples: [K, N, N] float64 Jy/pixel.
  PosteriorOutputs(const PosteriorRunRequest& request, const PlannedObservation& obs, const PosteriorModel& model,
                   const PipelinePrior& prior, const DirtyImage& dirty, const at::Tensor& samples);
  void write_files(const std::filesystem::path& dir) const;
  // summary.json without the timing and resume fields (posterior_run adds those).
  nlohmann::json summary(const std::string& scale_source) const;
  const PosteriorChecks& checks() const { return checks_; }

 private:
  void write_samples(const std::filesystem::path& path) const;
  void write_images(const std::filesystem::path& dir) const;
  void write_panel(const std::filesystem::path& path) const;

  const PosteriorRunRequest& r_;
  const PlannedObservation& obs_;
  const PosteriorModel& model_;
  const PipelinePrior& prior_;
  const DirtyImage& dirty_;
  at::Tensor samples_;
  PosteriorSummary sum_;
  std::vector<double> mean_;
  PosteriorChecks checks_;
};

// The samples of a run's samples.h5, [K][N·N] Jy/pixel. DataError when the file's
// images are not `grid`'s size and cell (a sample run at another --size or --scale).
std::vector<std::vector<double>> read_posterior_samples(const std::filesystem::path& path, const ImageGrid& grid);

}  // namespace penumbra
