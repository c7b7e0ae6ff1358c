#include "src/pipelines/posterior_run.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include <chrono>
#include <memory>

#include "priors/diffusion_prior.hpp"
#include "priors/patch_prior.hpp"
#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/log.hpp"
#include "src/core/progress.hpp"
#include "src/core/run_folder.hpp"
#include "src/core/units.hpp"
#include "src/diagnostics/posterior_summary.hpp"
#include "src/io/hdf5_store.hpp"
#include "src/parallel/communicator.hpp"
#include "src/pipelines/planned_observation.hpp"
#include "src/pipelines/posterior_model.hpp"
#include "src/pipelines/posterior_outputs.hpp"
#include "src/pipelines/sampling_time.hpp"

namespace fs = std::filesystem;

namespace penumbra {

namespace {

std::string run_fingerprint(const PosteriorRunRequest& r) {
  nlohmann::json j = {{"input", r.input},         {"prior", r.prior.spec},   {"size", r.grid.nx},
                      {"scale", r.scale_spec},    {"nsamples", r.nsamples},  {"batch", r.batch},
                      {"flux_scale", r.flux_scale}, {"seed", r.seed}};
  r.settings.add_to_fingerprint(j);
  if (!r.prior.variant.empty()) j["prior_variant"] = r.prior.variant;  // absent otherwise: older runs resume
  return j.dump();
}

// One HDF5 file per finished batch: what --resume continues from, and what the
// summaries are computed from, so a resumed run summarises exactly what an
// uninterrupted one would.
class BatchCheckpoints {
 public:
  BatchCheckpoints(const fs::path& dir, int size) : dir_(dir / "batches"), state_(dir / "sample_state.json"), n_(size) {}

  // The batches still to draw: all, or those without a file after a resumed run of
  // the same fingerprint (whatever number of ranks drew the others).
  std::vector<std::int64_t> open(bool resume, const std::string& fingerprint, std::int64_t nbatch) const {
    if (resume && fs::exists(state_)) {
      auto st = nlohmann::json::parse(read_text(state_));
      if (st.value("fingerprint", "") != fingerprint)
        throw UsageError(fmt::format("resume: {} was made with other options or seed; start a new run or resume "
                                     "with the same options",
                                     state_.string()));
    } else {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
    fs::create_directories(dir_);
    write_text_atomic(state_, nlohmann::json{{"fingerprint", fingerprint}}.dump(2) + "\n");
    std::vector<std::int64_t> todo;
    for (std::int64_t b = 0; b < nbatch; ++b)
      if (!fs::exists(file(b))) todo.push_back(b);
    if (resume) log().info("sample: resuming with {} of {} batches finished", nbatch - std::ssize(todo), nbatch);
    return todo;
  }

  void write(std::int64_t b, const at::Tensor& samples) const {
    auto jy = samples.to(torch::kFloat).contiguous();
    write_atomic(file(b), [&](const fs::path& tmp) {
      Hdf5Store s(tmp, Hdf5Store::Mode::kCreate);
      Array<float> a;
      a.data.assign(jy.data_ptr<float>(), jy.data_ptr<float>() + jy.numel());
      a.shape = {static_cast<std::size_t>(jy.size(0)), static_cast<std::size_t>(n_), static_cast<std::size_t>(n_)};
      s.write("/samples", a, "Jy/pixel");
    });
  }

  at::Tensor gather(std::int64_t nbatch) const {  // [K, N, N] float64 Jy/pixel
    std::vector<at::Tensor> parts;
    for (std::int64_t b = 0; b < nbatch; ++b) {
      Hdf5Store s(file(b), Hdf5Store::Mode::kRead);
      auto a = s.read_float("/samples");
      parts.push_back(
          torch::from_blob(a.data.data(), {static_cast<std::int64_t>(a.shape[0]), n_, n_}, torch::kFloat).clone());
    }
    return torch::cat(parts, 0).to(torch::kFloat64);
  }

 private:
  fs::path file(std::int64_t b) const { return dir_ / fmt::format("batch_{:05}.h5", b); }
  fs::path dir_, state_;
  std::int64_t n_;
};

// The prior's units → Jy/pixel: a given flux scale, the prior's own, or the dirty-image estimate.
std::string resolve_units(PipelinePrior& prior, const PosteriorRunRequest& r, const DirtyImage& dirty) {
  if (r.flux_scale > 0) {
    prior.units.scale = r.flux_scale;
    return "--flux-scale";
  }
  return set_units_from_dirty(prior.units, dirty.dirty, dirty.psf, r.input);
}

struct DrawResult {
  bool interrupted = false;
  std::int64_t finished_before = 0;    // batches a previous run had drawn (resume)
  std::int64_t solver_iterations = 0;  // this run's batches only (not those before a resume)
  std::int64_t steps = 0;              // sampler steps of this rank's batches
  double seconds = 0;
};

// Rank 0 opens the checkpoints and lists the batches to draw; every rank gets the
// list, or the same UsageError.
std::vector<std::int64_t> plan_batches(const BatchCheckpoints& checkpoints, const PosteriorRunRequest& r,
                                       std::int64_t nbatch) {
  auto todo = parallel::decide_on_root(
      [&] { return nlohmann::json(checkpoints.open(r.resume, run_fingerprint(r), nbatch)).dump(); });
  return nlohmann::json::parse(todo).get<std::vector<std::int64_t>>();
}

// Draws this rank's share of the batches still to draw (all of them with one
// rank), one checkpoint file each. Batch b is seeded by (seed, b) alone
// (sample_batches), so the files do not depend on which rank drew them.
DrawResult draw_with_checkpoints(const PosteriorModel& model, const PosteriorRunRequest& r, const fs::path& dir) {
  auto t0 = std::chrono::steady_clock::now();
  const std::int64_t nbatch = batch_count(r.nsamples, r.batch);
  const std::int64_t steps_per_batch = model.sampler->total_steps();
  BatchCheckpoints checkpoints(dir, r.grid.nx);
  const auto todo = plan_batches(checkpoints, r, nbatch);
  const auto mine = parallel::my_share(todo);
  DrawResult d;
  d.finished_before = nbatch - std::ssize(todo);
  std::unique_ptr<Progress> bar;  // rank 0's batches
  if (parallel::is_root()) bar = std::make_unique<Progress>("sample", std::ssize(mine) * steps_per_batch, "step");
  std::int64_t drawn = 0;
  model.posterior->timing().reset();
  for (std::int64_t b : mine) {
    if (r.stop_after > 0 && drawn >= r.stop_after) {
      d.interrupted = true;
      break;
    }
    BatchHooks hooks;  // exactly batch b: start there, stop after it
    hooks.first_batch = b;
    hooks.progress = bar.get();
    hooks.solver_iterations = &d.solver_iterations;
    hooks.on_batch = [&](std::int64_t batch, const at::Tensor& x) {
      checkpoints.write(batch, x);
      return false;
    };
    sample_batches(model, r.nsamples, r.batch, r.seed, hooks);
    ++drawn;
    d.steps += steps_per_batch;
  }
  // Every rank has written its files here; the counts are the job's.
  std::vector<double> counts = {d.interrupted ? 1.0 : 0.0, static_cast<double>(d.solver_iterations)};
  parallel::allreduce_sum(counts);
  d.interrupted = counts[0] > 0;
  d.solver_iterations = static_cast<std::int64_t>(counts[1]);
  if (d.interrupted) {
    log().info("sample: stopping after {} batches (--stop-after)", r.stop_after);
    return d;
  }
  if (bar) bar->finish();
  d.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return d;
}

}  // namespace

void PosteriorRunRequest::validate() const {
  settings.validate();
  batch_count(nsamples, batch);
  validate_units();
  grid.validate();
  if (grid.nx != grid.ny) throw UsageError(fmt::format("square images only, got {}x{}", grid.nx, grid.ny));
  if (prior.prior && prior.prior->height() > 0 &&
      (prior.prior->height() != grid.ny || prior.prior->width() != grid.nx))
    throw UsageError(fmt::format("prior {} is defined on {}x{} images but the grid is {}x{}", prior.spec,
                                 prior.prior->width(), prior.prior->height(), grid.nx, grid.ny));
  if (!truth.empty() && truth.size() != grid.size())
    throw UsageError(fmt::format("truth image {} has {} pixels for a {}x{} grid", truth_path, truth.size(), grid.nx,
                                 grid.ny));
}

void PosteriorRunRequest::validate_units() const {
  require_non_negative("flux scale", flux_scale);
  if (flux_scale > 0 && !std::dynamic_pointer_cast<const DiffusionPrior>(prior.prior) &&
      !std::dynamic_pointer_cast<const PatchPrior>(prior.prior))
    throw UsageError(fmt::format("flux scale applies to checkpoint priors; {} is already in Jy/pixel", prior.spec));
}

PosteriorRunReport run_posterior(const PosteriorRunRequest& r, const fs::path& dir) {
  r.validate();
  const LikelihoodSettings& ls = r.settings.likelihood;
  PlannedObservation obs(r.vis, r.grid, ls.nufft_epsilon, ls.threads);
  DirtyImage dirty = obs.dirty_image(obs.vis().weight);
  PipelinePrior prior = r.prior;
  const std::string scale_source = resolve_units(prior, r, dirty);
  log().info("sample: prior units -> Jy/pixel: x = {:.5g} * u + {:.3g} ({})", prior.units.scale, prior.units.offset,
             scale_source);
  log().info("sample: {} visibilities from {}, grid {}x{} of {}, prior {} ({})", r.vis.size(), r.input, r.grid.nx,
             r.grid.ny, format_angle(r.grid.cell), prior.spec, prior.prior->name());
  auto network_clock = std::make_shared<CallClock>();
  prior.prior = with_network_clock(prior.prior, network_clock);
  PosteriorModel model = make_posterior_model(obs, prior, r.settings);
  network_clock->set_paused_by(&model.posterior->timing().final_draw);
  log().info("sample: {}", model.describe());

  DrawResult drawn = draw_with_checkpoints(model, r, dir);
  const SamplingTime time = sampling_time(*model.posterior, drawn.seconds, drawn.steps, network_clock.get());
  PosteriorRunReport report;
  report.interrupted = drawn.interrupted;
  report.written = parallel::is_root() && !drawn.interrupted;
  if (!report.written) return report;  // rank 0 alone reads the batches back and writes the outputs

  const std::int64_t nbatch = batch_count(r.nsamples, r.batch);
  at::Tensor samples = BatchCheckpoints(dir, r.grid.nx).gather(nbatch);
  PosteriorOutputs out{r, obs, model, prior, dirty, samples};
  out.write_files(dir);
  report.summary = out.summary(scale_source);
  if (!out.checks().fits)
    log().warn("sample: the posterior does not fit the data: mean reduced χ² of the samples {:.3f} is outside "
               "[{}, {}] (chi2_uv.csv says where in the uv plane)",
               out.checks().chi2_mean, kChi2FitLow, kChi2FitHigh);
  report.summary["seconds_sampling"] = drawn.seconds;
  report.summary["seconds_per_sample"] = drawn.seconds / static_cast<double>(samples.size(0));
  report.summary["resumed_after_batches"] = drawn.finished_before;
  report.summary["solver_iterations_per_batch"] =  // CG iterations (split-gibbs), mean over this run's batches
      nbatch > drawn.finished_before
          ? static_cast<double>(drawn.solver_iterations) / static_cast<double>(nbatch - drawn.finished_before)
          : 0.0;
  report.summary["timing"] = time.to_json();  // rank 0's batches
  log().info("sample: {}", time.describe());
  write_text_atomic(dir / "summary.json", report.summary.dump(2) + "\n");
  return report;
}

}  // namespace penumbra
