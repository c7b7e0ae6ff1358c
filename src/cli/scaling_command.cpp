// penumbra scaling: supervised scaling-law study on a vote dataset
// (src/pipelines/scaling_study.hpp). Trains the grid --data-sizes ×
// --model-sizes (× --seeds), each cell in DIR/cells/<cell>/, scores every cell
// by the Dirichlet-multinomial NLL per galaxy on the file's last --heldout
// galaxies, and fits L(N) = a·N^(−α) + c per model size and L(P) per data size.
//
// Outputs (run folder): scaling.csv, fits.json, scaling_data.png,
// scaling_parameters.png, study.json and cells/. --resume continues an
// interrupted study (finished cells are kept) or extends its grid. Under
// `mpirun -n K` the cells are dealt over the ranks and rank 0 writes the report.
#include <fmt/format.h>

#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>

#include "src/cli/commands.hpp"
#include "src/cli/shared_run_folder.hpp"
#include "src/core/run_folder.hpp"
#include "src/parallel/communicator.hpp"
#include "src/pipelines/scaling_study.hpp"
#include "src/pipelines/scaling_training.hpp"

namespace penumbra::cli::scaling_impl {

struct Options {
  ScalingStudyOptions study;
  bool resume = false;
};

void print_curves(const ScalingStudyResult& r) {
  for (const auto& c : r.curves) {
    auto what = c.versus_data ? fmt::format("L(N) at width {}", c.fixed) : fmt::format("L(P) at N = {}", c.fixed);
    if (!c.fit) {
      fmt::print("{}: no fit ({})\n", what, c.skipped);
      continue;
    }
    const auto& f = *c.fit;
    fmt::print("{}: alpha = {:.3f} +- {:.3f} (bootstrap 68%: [{:.3f}, {:.3f}]), a = {:.4g}, c = {:.4f}{}\n", what,
               f.alpha, f.sigma_alpha, f.alpha_lower, f.alpha_upper, f.a, f.c,
               f.alpha_at_bound ? " (alpha at the edge of its search range)" : "");
  }
}

void run(Context& ctx, Options& o) {
  auto& s = o.study;
  s.seed = ctx.seed();
  s.validate();
  // Reads the file once per process and checks the grid against it before any folder is made.
  ScalingCellTrainer train = vote_cell_trainer(s);
  if (!ctx.options().out.empty()) require_resumable(s, ctx.options().out, o.resume);
  const auto dir = shared_run_dir(ctx, "scaling");
  auto res = run_scaling_study(s, dir, o.resume, train, [&](const ScalingCellResult& c) {
    fmt::print("cell {}: held-out NLL {:.4f} +- {:.4f}, {} parameters, {:.1f} s\n", c.cell.name(), c.heldout_nll,
               c.heldout_nll_se, c.parameters, c.wall_seconds);
  });
  if (!parallel::is_root()) return;
  RunFolder& run = ctx.run("scaling");
  write_scaling_report(run.dir(), res);
  run.finish({{"cells", res.cells.size()},
              {"trained", res.trained},
              {"reused", res.reused},
              {"interrupted", res.interrupted},
              {"cell_seconds", res.cell_seconds}});
  fmt::print("scaling: {} cells ({} trained now, {} reused{}), {:.2f} CPU-hours of cell wall time in all\n",
             res.cells.size(), res.trained, res.reused,
             res.interrupted ? fmt::format(", {} interrupted and trained again", res.interrupted) : "",
             res.cell_seconds / 3600);
  print_curves(res);
  fmt::print("outputs in {}\n", run.dir().string());
}

}  // namespace penumbra::cli::scaling_impl

namespace penumbra::cli {

Runner add_scaling(CLI::App& root) {
  auto o = std::make_shared<scaling_impl::Options>();
  auto& s = o->study;
  auto* app = root.add_subcommand(
      "scaling", "Scaling-law study: train a grid of data sizes x model sizes on a vote dataset, fit L = a x^-alpha + c");
  app->add_option("--data", s.data, "Vote dataset (penumbra dataset gz-votes)")->required();
  app->add_option("--data-sizes", s.data_sizes, "Training galaxies per cell, comma-separated (the file's first N)")
      ->delimiter(',')
      ->required();
  app->add_option("--model-sizes", s.model_sizes, "ResNet widths (first-stage channels, 4..64), comma-separated")
      ->delimiter(',')
      ->required();
  app->add_option("--depth", s.depth, "Residual blocks per stage")->capture_default_str();
  app->add_option("--seeds", s.seeds, "Trainings per cell (other initialisation and batch order)")->capture_default_str();
  app->add_option("--epochs", s.epochs, "Passes over each cell's N galaxies (or --steps)");
  app->add_option("--steps", s.steps, "Optimiser steps per cell (or --epochs)");
  app->add_option("--batch", s.batch, "Batch size")->capture_default_str();
  app->add_option("--lr", s.lr, "Adam learning rate")->capture_default_str();
  app->add_option("--heldout", s.heldout, "Galaxies held out at the end of the file to score every cell")
      ->capture_default_str();
  app->add_option("--bootstrap", s.bootstrap, "Bootstrap replicates (over cells) of each fitted exponent (0: none)")
      ->capture_default_str();
  app->add_flag("--resume", o->resume,
                "Continue an interrupted study in the same --out (finished cells are kept), or extend its grid");
  return [o](Context& ctx) { scaling_impl::run(ctx, *o); };
}

}  // namespace penumbra::cli
