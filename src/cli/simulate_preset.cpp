#include "src/cli/simulate_preset.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/log.hpp"
#include "src/core/progress.hpp"
#include "src/pipelines/dsharp_preset.hpp"

namespace penumbra::cli {

void run_simulate_preset(Context& ctx, const CLI::App& app, const SimulatePreset& p) {
  require_in("preset", p.name, {"dsharp-as209"});
  for (const char* opt : kOptionsFixedByPreset)
    if (app.count(opt) > 0)
      throw UsageError(fmt::format("{} is fixed by --preset {}; beside it only --layout (long-baseline layout files), "
                                   "--preset-fraction, --noise-rms, --sefd and --efficiency apply",
                                   opt, p.name));
  DsharpPresetOptions o;
  o.fraction = p.fraction;
  if (app.count("--layout") > 0) o.long_layouts = CLI::detail::split(p.layouts, ',');
  o.noise_rms = p.noise_rms;
  o.sefd = p.sefd;
  o.efficiency = p.efficiency;
  o.seed = ctx.seed();
  const DsharpPresetPlan plan = dsharp_as209_plan(o);
  RunFolder& run = ctx.run("simulate");
  nlohmann::json summary = simulate_dsharp_as209(plan, run.dir());
  write_text_atomic(run.path("summary.json"), summary.dump(2) + "\n");
  run.finish(summary);
  log().info("simulated AS 209 (true scale): {} execution blocks, {} visibilities, natural image rms {:.3g} µJy/beam, "
             "in {} → {}",
             plan.blocks.size(), plan.visibilities(), summary["image_rms_natural_jy_per_beam"].get<double>() * 1e6,
             format_seconds(summary["seconds"]["total"].get<double>()), run.dir().string());
}

}  // namespace penumbra::cli
