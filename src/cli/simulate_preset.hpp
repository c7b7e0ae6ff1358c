#pragma once
// `penumbra simulate --preset NAME`: a named observation assembled by a pipeline
// (dsharp-as209: src/pipelines/dsharp_preset.hpp) instead of the options of one track.
#include <CLI/CLI.hpp>

#include <string>

#include "src/cli/context.hpp"

namespace penumbra::cli {

struct SimulatePreset {
  std::string name;            // --preset
  double fraction = 1.0;       // --preset-fraction
  std::string layouts;         // --layout when given: comma-separated long-baseline layout files
  double noise_rms = -1;       // < 0: radiometer
  double sefd = 2900, efficiency = 0.88;
};

// Options of `simulate` that a preset fixes itself; giving one beside --preset is a usage error.
inline constexpr const char* kOptionsFixedByPreset[] = {
    "--site", "--ra", "--dec", "--date", "--ha-start", "--ha-end", "--duration", "--integration",
    "--min-elevation", "--freq", "--nchan", "--chan-width", "--sky", "--disk-preset", "--disk-radius",
    "--disk-inclination", "--disk-pa", "--disk-flux", "--size", "--scale", "--uvtable", "--no-ms", "--model-method"};

// Checks the options (before any work), runs the preset into the run folder, writes summary.json.
void run_simulate_preset(Context& ctx, const CLI::App& app, const SimulatePreset& preset);

}  // namespace penumbra::cli
