#pragma once
// `penumbra simulate --preset dsharp-as209`: AS 209 observed as DSHARP did it
// (REFERENCE.md §1), at its own scale. Three execution blocks — a compact one on
// the built-in layout scaled by 0.2 (15 m – 2.5 km, named "alma-long×0.2 (scaled
// compact)") and two long-baseline ones on `alma-long` (75 m – 12.6 km, C40-8/C40-9-like;
// real layout files may replace it) — half an hour each, 30 s integrations, four
// spectral windows of four channels near 240 GHz (every channel at its own
// u = uvw·ν/c), radiometer noise; model visibilities by the NUFFT of the 3 mas truth (src/datasets/as209_model.hpp).
// One MeasurementSet per execution block, plus truth.fits/png and README.txt.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "instruments/array_layout.hpp"
#include "src/core/image_grid.hpp"

namespace penumbra {

struct ExecutionBlockPlan {
  std::string name;           // file stem, e.g. "as209_eb1_compact"
  std::string configuration;  // e.g. "alma-long×0.2 (scaled compact)"
  ArrayLayout layout;
  std::string date;           // YYYY-MM-DD
  double ha_start = 0;        // radians
  std::size_t integrations = 0;
};

struct SpectralWindowPlan {
  double centre_hz = 0, chan_width_hz = 0;
  int nchan = 0;
  std::vector<double> freqs() const;  // channel centres, Hz
};

struct DsharpPresetOptions {
  // Fraction of each block's integrations that is simulated (at least one is kept,
  // centred on the block's hour angles): 1 is the full observation, smaller values
  // make the same structure in less time (tests).
  double fraction = 1.0;
  // Layout files for the long-baseline blocks (CASA .cfg or OSKAR layout.txt), used in
  // turn; empty: the built-in alma-long.
  std::vector<std::string> long_layouts;
  double noise_rms = -1;  // Jy per Stokes-I visibility; < 0: radiometer equation
  double sefd = 2900, efficiency = 0.88;
  double nufft_epsilon = 1e-7;
  std::uint64_t seed = 0;
};

struct DsharpPresetPlan {
  std::vector<ExecutionBlockPlan> blocks;
  std::vector<SpectralWindowPlan> spws;
  double integration_s = 30;
  double ra = 0, dec = 0;  // AS 209 (J2000), radians
  ImageGrid truth_grid;
  DsharpPresetOptions options;
  std::size_t channels() const;  // over all windows
  // Stokes-I visibilities of block b: baselines × integrations × channels.
  std::size_t visibilities(std::size_t b) const;
  std::size_t visibilities() const;  // over all blocks
};

// The plan, validated (UsageError naming the quantity) and its layouts read, before any work.
DsharpPresetPlan dsharp_as209_plan(const DsharpPresetOptions& options);

// Simulates the plan into `dir`: <block>.ms for each block, truth.fits, truth.png and
// README.txt. Returns the summary (blocks, windows, counts, noise, truth, timings, files).
nlohmann::json simulate_dsharp_as209(const DsharpPresetPlan& plan, const std::filesystem::path& dir);

}  // namespace penumbra
