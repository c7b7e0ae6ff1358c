#include "src/pipelines/scaling_study.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/log.hpp"
#include "src/core/rng.hpp"
#include "src/core/run_folder.hpp"
#include "src/parallel/communicator.hpp"
#include "src/pipelines/distributed_items.hpp"

namespace penumbra {

namespace fs = std::filesystem;

void ScalingStudyOptions::validate() const {
  if (data_sizes.empty()) throw UsageError("data sizes must list at least one training-set size");
  if (model_sizes.empty()) throw UsageError("model sizes must list at least one model size");
  for (auto n : data_sizes) require_positive("data sizes", n);
  for (auto w : model_sizes) require_in_range("model sizes", w, 4, 64);
  if (std::set<std::int64_t>(data_sizes.begin(), data_sizes.end()).size() != data_sizes.size())
    throw UsageError("data sizes must not repeat a size");
  if (std::set<int>(model_sizes.begin(), model_sizes.end()).size() != model_sizes.size())
    throw UsageError("model sizes must not repeat a size");
  require_in_range("depth", depth, 1, 4);
  require_at_least("seeds", seeds, 1);
  require_non_negative("epochs", epochs);
  require_non_negative("steps", steps);
  if ((epochs > 0) == (steps > 0))
    throw UsageError(fmt::format("give exactly one of epochs and steps (> 0), got epochs {} and steps {}", epochs, steps));
  require_positive("batch", batch);
  require_positive("lr", lr);
  require_positive("heldout", heldout);
  require_at_least("bootstrap", bootstrap, 0);
}

std::string ScalingStudyOptions::fingerprint() const {
  // Not the grid lists: a cell depends on its own (N, w, seed index), so a resume may extend the grid.
  return nlohmann::json{{"data", fs::weakly_canonical(data).string()},
                        {"depth", depth},
                        {"epochs", epochs},
                        {"steps", steps},
                        {"batch", batch},
                        {"lr", lr},
                        {"heldout", heldout},
                        {"seed", seed}}
      .dump();
}

std::string ScalingCell::name() const { return fmt::format("n{}_w{}_s{}", data_size, model_size, seed_index); }

std::uint64_t ScalingCell::seed(std::uint64_t study_seed) const {
  std::uint64_t key = static_cast<std::uint64_t>(data_size) * 1000003ull + static_cast<std::uint64_t>(model_size);
  return derive_seed(study_seed, splitmix64(key) ^ static_cast<std::uint64_t>(seed_index));
}

void require_resumable(const ScalingStudyOptions& o, const fs::path& dir, bool resume) {
  const fs::path study = dir / "study.json";
  if (!fs::exists(study)) return;
  if (!resume)
    throw UsageError(fmt::format("{} already holds a scaling study; pass --resume to continue it, or choose another "
                                 "--out", dir.string()));
  auto stored = nlohmann::json::parse(read_text(study)).value("fingerprint", "");
  if (stored != o.fingerprint())
    throw UsageError(fmt::format("resume: {} was made with other training settings, data or seed; resume with the "
                                 "same ones (only --data-sizes, --model-sizes and --seeds may change)",
                                 study.string()));
}

namespace scaling_impl {

nlohmann::json to_json(const ScalingCellResult& r) {
  return {{"data_size", r.cell.data_size}, {"model_size", r.cell.model_size}, {"seed_index", r.cell.seed_index},
          {"parameters", r.parameters},    {"heldout_nll", r.heldout_nll},    {"heldout_nll_se", r.heldout_nll_se},
          {"steps", r.steps},              {"wall_seconds", r.wall_seconds}};
}

ScalingCellResult from_json(const nlohmann::json& j) {
  ScalingCellResult r;
  r.cell = {j.at("data_size").get<std::int64_t>(), j.at("model_size").get<int>(), j.at("seed_index").get<int>()};
  r.parameters = j.at("parameters").get<std::int64_t>();
  r.heldout_nll = j.at("heldout_nll").get<double>();
  r.heldout_nll_se = j.at("heldout_nll_se").get<double>();
  r.steps = j.at("steps").get<std::int64_t>();
  r.wall_seconds = j.at("wall_seconds").get<double>();
  return r;
}

std::vector<ScalingCell> grid(const ScalingStudyOptions& o) {
  std::vector<ScalingCell> cells;
  for (auto n : o.data_sizes)
    for (int w : o.model_sizes)
      for (int s = 0; s < o.seeds; ++s) cells.push_back({n, w, s});
  return cells;
}

fs::path cell_dir(const fs::path& dir, const ScalingCell& c) { return dir / "cells" / c.name(); }
fs::path result_path(const fs::path& dir, const ScalingCell& c) { return cell_dir(dir, c) / "result.json"; }

// Rank 0 checks the folder against --resume and lists the cells still to train.
struct Plan {
  std::vector<std::size_t> todo;  // indices into the grid
  int reused = 0, interrupted = 0;
};

Plan plan(const ScalingStudyOptions& o, const std::vector<ScalingCell>& cells, const fs::path& dir, bool resume) {
  require_resumable(o, dir, resume);
  const fs::path study = dir / "study.json";
  fs::create_directories(dir / "cells");
  write_text_atomic(study, nlohmann::json{{"fingerprint", o.fingerprint()}}.dump(2) + "\n");
  Plan p;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (fs::exists(result_path(dir, cells[i]))) {
      ++p.reused;
      continue;
    }
    if (fs::exists(cell_dir(dir, cells[i]))) {
      ++p.interrupted;
      log().warn("scaling: cell {} was interrupted; training it again", cells[i].name());
    }
    p.todo.push_back(i);
  }
  return p;
}

std::string cell_config(const ScalingStudyOptions& o, const ScalingCell& c) {
  return fmt::format(
      "# penumbra scaling: one cell of the grid\ndata = \"{}\"\ndata_size = {}\nmodel_size = {}\ndepth = {}\n"
      "seed_index = {}\nseed = {}\nepochs = {}\nsteps = {}\nbatch = {}\nlr = {}\nheldout = {}\n",
      o.data, c.data_size, c.model_size, o.depth, c.seed_index, c.seed(o.seed), o.epochs, o.steps, o.batch, o.lr,
      o.heldout);
}

ScalingCellResult train_cell(const ScalingStudyOptions& o, const ScalingCell& c, const fs::path& dir,
                             const ScalingCellTrainer& train) {
  const fs::path cd = cell_dir(dir, c);
  fs::create_directories(cd);
  write_text_atomic(cd / "config.toml", cell_config(o, c));
  log().info("scaling: training cell {}", c.name());
  ScalingCellResult r = train(c, cd);
  r.cell = c;
  write_text_atomic(result_path(dir, c), to_json(r).dump(2) + "\n");
  return r;
}

}  // namespace scaling_impl

ScalingStudyResult run_scaling_study(const ScalingStudyOptions& o, const fs::path& dir, bool resume,
                                     const ScalingCellTrainer& train,
                                     const std::function<void(const ScalingCellResult&)>& on_cell) {
  using namespace scaling_impl;
  o.validate();
  const auto cells = grid(o);
  auto decided = parallel::decide_on_root([&] {
    Plan p = plan(o, cells, dir, resume);
    return nlohmann::json{{"todo", p.todo}, {"reused", p.reused}, {"interrupted", p.interrupted}}.dump();
  });
  auto j = nlohmann::json::parse(decided);
  const auto todo = j.at("todo").get<std::vector<std::size_t>>();
  ScalingStudyResult res;
  res.reused = j.at("reused").get<int>();
  res.interrupted = j.at("interrupted").get<int>();
  if (res.reused) log().info("scaling: {} of {} cells already finished", res.reused, cells.size());
  run_distributed_items(
      todo.size(), [&](std::size_t i) { return to_json(train_cell(o, cells[todo[i]], dir, train)).dump(); },
      [&](std::size_t, const std::string& blob) {
        ++res.trained;
        if (on_cell) on_cell(from_json(nlohmann::json::parse(blob)));
      });
  if (!parallel::is_root()) return res;
  for (const auto& c : cells) {
    res.cells.push_back(from_json(nlohmann::json::parse(read_text(result_path(dir, c)))));
    res.cell_seconds += res.cells.back().wall_seconds;
  }
  res.curves = fit_scaling_curves(o, res.cells);
  return res;
}

namespace scaling_impl {

ScalingCurve fit_curve(const ScalingStudyOptions& o, ScalingCurve curve, const std::string& axis) {
  const auto distinct = std::set<double>(curve.points.x.begin(), curve.points.x.end()).size();
  if (distinct < 3) {
    curve.skipped = fmt::format("a power law needs 3 or more {}, the grid has {}", axis, distinct);
    return curve;
  }
  PowerLawOptions po;
  po.bootstrap = o.bootstrap > 1 ? PowerLawBootstrap::kGroups : PowerLawBootstrap::kNone;
  po.replicates = std::max(2, o.bootstrap);
  po.seed = derive_seed(o.seed, static_cast<std::uint64_t>(curve.fixed) * 2 + (curve.versus_data ? 0 : 1));
  curve.fit = fit_power_law(curve.points, po);
  return curve;
}

}  // namespace scaling_impl

// Equal weights, α's error scaled by the residuals: every cell is scored on the
// same held-out galaxies, so their sampling error (heldout_nll_se) moves all
// points of a curve together, shifts c rather than α, and would overstate σ_α
// if taken as independent per-point errors; the residual scatter holds the
// training noise that does move α.
std::vector<ScalingCurve> fit_scaling_curves(const ScalingStudyOptions& o, const std::vector<ScalingCellResult>& cells) {
  std::vector<ScalingCurve> curves;
  for (bool versus_data : {true, false}) {
    std::map<std::int64_t, ScalingCurve> by_fixed;
    std::map<std::pair<std::int64_t, int>, int> group_of;  // (N, w) → one bootstrap group for its seeds
    for (const auto& r : cells) {
      std::int64_t fixed = versus_data ? r.cell.model_size : r.cell.data_size;
      auto& c = by_fixed[fixed];
      c.versus_data = versus_data;
      c.fixed = fixed;
      c.points.x.push_back(versus_data ? static_cast<double>(r.cell.data_size) : static_cast<double>(r.parameters));
      c.points.y.push_back(r.heldout_nll);
      auto key = std::make_pair(r.cell.data_size, r.cell.model_size);
      c.points.group.push_back(group_of.emplace(key, static_cast<int>(group_of.size())).first->second);
    }
    for (auto& [fixed, c] : by_fixed)
      curves.push_back(scaling_impl::fit_curve(o, c, versus_data ? "data sizes" : "model sizes"));
  }
  return curves;
}

}  // namespace penumbra
