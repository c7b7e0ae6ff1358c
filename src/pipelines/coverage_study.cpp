#include "src/pipelines/coverage_study.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "instruments/array_layout.hpp"
#include "instruments/noise.hpp"
#include "instruments/uvw_simulation.hpp"
#include "src/core/checks.hpp"
#include "src/core/errors.hpp"
#include "src/core/log.hpp"
#include "src/core/rng.hpp"
#include "src/core/run_folder.hpp"
#include "src/core/threads.hpp"
#include "src/core/units.hpp"
#include "src/datasets/protoplanetary_disk.hpp"
#include "src/datasets/training_set.hpp"
#include "src/io/hdf5_store.hpp"
#include "src/parallel/communicator.hpp"
#include "src/parallel/job_checks.hpp"
#include "src/pipelines/prior_sampling.hpp"
#include "src/pipelines/observe.hpp"
#include "src/pipelines/planned_observation.hpp"
#include "src/pipelines/posterior_model.hpp"

namespace fs = std::filesystem;

namespace penumbra {
namespace coverage_impl {

constexpr std::uint64_t kNoiseStream = 0xC0FE0001ull;   // + j
constexpr std::uint64_t kTruthStream = 0xC0FE1000ull;   // gaussian-prior truths, + j
constexpr std::uint64_t kSamplerStream = 0xC0FE2000ull; // + j
constexpr std::uint64_t kTarpStream = 0xC0FE3000ull;
constexpr std::uint64_t kPriorTruthStream = 0xC0FE4000ull;  // prior-sample truths, + j
// The truths' model visibilities: far below the noise and the samplers' own ε.
constexpr double kStudyNufftEpsilon = 1e-9;

// MEAN, STD of a "gaussian:MEAN,STD" spec (the only prior the gaussian-prior sky can draw from).
std::pair<double, double> gaussian_spec(const std::string& spec) {
  if (spec.rfind("gaussian:", 0) != 0)
    throw UsageError(fmt::format("sky gaussian-prior needs the prior gaussian:MEAN,STD, got '{}'", spec));
  auto lp = load_pipeline_prior(spec, 0);  // validates the numbers
  auto rest = spec.substr(9);
  auto comma = rest.find(',');
  return {std::stod(rest.substr(0, comma)), std::stod(rest.substr(comma + 1))};
}

// A stored fingerprint in the form fingerprint() has now: studies written before
// N could be extended kept "n" in it.
std::string comparable_fingerprint(const std::string& stored) {
  auto j = nlohmann::json::parse(stored, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return stored;
  j.erase("n");
  return j.dump();
}

fs::path sim_path(const fs::path& dir, int j) { return dir / "simulations" / fmt::format("sim_{:05}.h5", j); }

}  // namespace coverage_impl

void CoverageStudyOptions::validate() const {
  require_at_least("n", n, 1);
  require_at_least("size", size, 4);
  require_positive("scale", cell);
  require_in("sky", sky, {"disk", "prior-disk", "prior-sample", "gaussian-prior"});
  if (sky == "prior-disk" || sky == "prior-sample") require_positive("flux scale", flux_scale);
  if (sky == "gaussian-prior") coverage_impl::gaussian_spec(prior);
  gaussian_limit.validate();
  require_at_least<std::int64_t>("nsamples", nsamples, 2);
  require_at_least<std::int64_t>("batch", batch, 1);
  require_non_negative("noise rms", noise_rms);
  require_positive("truth scale", truth_scale);
  require_positive("integration", integration);
  require_positive("freq", freq_hz);
  require_at_least("alpha levels", n_alpha, 2);
  require_at_least("bootstrap", n_bootstrap, 1);
  posterior.validate();
}

std::string CoverageStudyOptions::fingerprint() const {
  // Not n: simulation j depends on (seed, j) alone, so a resumed study may extend N.
  nlohmann::json j = {{"size", size}, {"cell", cell}, {"sky", sky}, {"prior", prior}, {"nsamples", nsamples},
                      {"batch", batch}, {"layout", layout}, {"freq_hz", freq_hz}, {"dec", dec}, {"ra", ra},
                      {"ha_start", ha_start}, {"ha_end", ha_end}, {"integration", integration},
                      {"noise_rms", noise_rms}, {"seed", seed}, {"truth_scale", truth_scale}};
  posterior.add_to_fingerprint(j);
  if (sky == "prior-disk" || sky == "prior-sample") j["flux_scale"] = flux_scale;  // absent before prior-disk existed
  if (gaussian_limit.kind != "none")  // absent without it, so older studies resume
    j["gaussian_limit"] = {gaussian_limit.kind, gaussian_limit.sigma_from, gaussian_limit.sigma_to, gaussian_limit.images};
  return j.dump();
}

StudyUv study_uv_coverage(const CoverageStudyOptions& o) {
  ArrayLayout layout = load_array_layout(o.layout);
  UvwSimulationConfig cfg;
  cfg.ra = o.ra;
  cfg.dec = o.dec;
  cfg.ha_start = o.ha_start;
  cfg.ha_end = o.ha_end;
  cfg.integration = o.integration;
  UvwTracks t = simulate_uvw(layout, cfg);
  StudyUv uv;
  const double lambda = kSpeedOfLight / o.freq_hz;
  const double limit = 0.49 / o.cell;
  for (std::size_t r = 0; r < t.rows(); ++r) {
    double u = t.uvw[3 * r] / lambda, v = t.uvw[3 * r + 1] / lambda;
    if (std::abs(u) >= limit || std::abs(v) >= limit) {
      ++uv.dropped;
      continue;
    }
    uv.u.push_back(u);
    uv.v.push_back(v);
  }
  if (uv.u.empty())
    throw UsageError(fmt::format("no baseline of {} fits a {} cell (all |uv| ≥ {:.4g} λ); use a smaller pixel size",
                                 o.layout, format_angle(o.cell), limit));
  // Radiometer noise of one dump over the full band, Stokes I (two hands).
  uv.noise_rms = o.noise_rms > 0 ? o.noise_rms : radiometer_sigma(2900.0, 7.5e9, o.integration) / std::sqrt(2.0);
  return uv;
}

SimulatedObservation simulate_study_observation(const CoverageStudyOptions& o, const StudyUv& uv, int j, int threads,
                                                const PipelinePrior* prior) {
  SimulatedObservation s;
  s.grid = ImageGrid{o.size, o.size, o.cell, o.ra, o.dec};
  const auto ju = static_cast<std::uint64_t>(j);
  if (o.sky == "disk") {
    auto disk = random_disk(derive_seed(o.seed, kHeldOutDiskSeedOffset + ju), s.grid);
    s.truth = render_disk(disk, s.grid);
    s.sky = "disk " + disk.describe();
  } else if (o.sky == "prior-disk") {
    GalaxyOptions go;  // the training set's defaults: peak U(0.5, 1), no PSF, no noise
    go.size = o.size;
    DiskImageGenerator gen(1, go, derive_seed(o.seed, kHeldOutDiskSeedOffset + ju));
    auto e = gen.get(0);
    s.truth.resize(e.image.size());
    for (std::size_t i = 0; i < e.image.size(); ++i) s.truth[i] = o.flux_scale * e.image[i];
    s.sky = fmt::format("prior-disk {}, peak {:.3f} × {:.3g} Jy/pixel", gen.disk(0).describe(), gen.peak(0),
                        o.flux_scale);
  } else if (o.sky == "prior-sample") {
    if (!prior) throw UsageError("sky prior-sample needs the prior to draw the truths from");
    PriorSamplingSettings ps;
    ps.steps = kPriorSampleSteps;
    auto gen = at::make_generator<at::CPUGeneratorImpl>(derive_seed(o.seed, coverage_impl::kPriorTruthStream + ju));
    const Prior& p = *prior->prior;
    auto x = draw_prior_samples(*make_prior_sampler(prior->prior, ps), PriorDraws{1, 1, o.size, o.size}, gen)
                 .to(torch::kFloat64)
                 .contiguous();
    s.truth.assign(x.data_ptr<double>(), x.data_ptr<double>() + x.numel());
    for (auto& v : s.truth) v = o.flux_scale * v + prior->units.offset;  // the sampler's units (run_coverage_study)
    s.sky = fmt::format("prior-sample of {} (em, {} steps) × {:.3g} Jy/pixel", p.name(), kPriorSampleSteps,
                        o.flux_scale);
  } else {
    auto [mean, std] = coverage_impl::gaussian_spec(o.prior);
    NormalStream z(derive_seed(o.seed, coverage_impl::kTruthStream + ju));
    s.truth.resize(s.grid.size());
    for (auto& p : s.truth) p = mean + o.truth_scale * std * z();
    s.sky = fmt::format("gaussian-prior draw N({}, {}²)", mean, std);
  }
  std::vector<std::complex<double>> m(uv.u.size());
  model_visibilities(uv.u, uv.v, s.grid, s.truth, "nufft", coverage_impl::kStudyNufftEpsilon, m, threads);
  NormalStream noise(derive_seed(o.seed, coverage_impl::kNoiseStream + ju));
  s.vis.u = uv.u;
  s.vis.v = uv.v;
  s.vis.vis.resize(uv.u.size());
  s.vis.weight.assign(uv.u.size(), 1.0 / (uv.noise_rms * uv.noise_rms));
  for (std::size_t k = 0; k < uv.u.size(); ++k) {
    double re = noise() * uv.noise_rms, im = noise() * uv.noise_rms;
    s.vis.vis[k] = {m[k].real() + re, m[k].imag() + im};
  }
  return s;
}

namespace coverage_impl {

// The study folder: study.json with the fingerprint; a resume must match it (but N).
void open_study(const CoverageStudyOptions& o, const fs::path& dir, bool resume) {
  fs::create_directories(dir);
  const fs::path study = dir / "study.json", sims_dir = dir / "simulations";
  const std::string fp = o.fingerprint();
  if (resume && fs::exists(study)) {
    auto st = nlohmann::json::parse(read_text(study));
    if (coverage_impl::comparable_fingerprint(st.value("fingerprint", "")) != fp)
      throw UsageError(fmt::format("resume: {} was made with other options or seed; start a new study or resume with "
                                   "the same options (only the number of simulations may change)",
                                   study.string()));
    const int before = st.value("n", o.n);
    if (before != o.n)
      log().info("coverage: resuming a study of {} simulations with --n {}: simulations 0..{} are reused", before, o.n,
                 std::min(before, o.n) - 1);
  } else {
    std::error_code ec;
    fs::remove_all(sims_dir, ec);
  }
  fs::create_directories(sims_dir);
  write_text_atomic(study, nlohmann::json{{"fingerprint", fp}, {"n", o.n}}.dump(2) + "\n");

}

// Runs simulations `todo` (P workers × T/P threads each), one result file each.
void run_simulations(const CoverageStudyOptions& o, const StudyUv& uv, const PipelinePrior& prior,
                     const std::vector<int>& todo, const fs::path& dir, CoverageStudyResult& res,
                     const std::function<void(int, int)>& on_done) {
  // Threads split between simulations in flight: P workers × T/P threads each.
  const int total_threads = std::max(1, thread_count());
  const int workers = std::max(1, std::min<int>(o.workers > 0 ? o.workers : total_threads, static_cast<int>(todo.size())));
  const int per = std::max(1, total_threads / workers);
  const int saved_torch_threads = at::get_num_threads();
  at::set_num_threads(per);
  PosteriorSettings ps = o.posterior;
  ps.likelihood.threads = per;

  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::mutex mu;
  int done = res.resumed;
  auto work = [&]() {
    try {
      torch::NoGradGuard ng;
      while (!failed) {
        std::size_t i = next++;
        if (i >= todo.size()) break;
        int j = todo[i];
        auto obs = simulate_study_observation(o, uv, j, per, &prior);
        PlannedObservation planned(obs.vis, obs.grid, ps.likelihood.nufft_epsilon, per);
        auto run = sample_observation(planned, prior, ps, o.nsamples, o.batch,
                                      derive_seed(o.seed, coverage_impl::kSamplerStream + static_cast<std::uint64_t>(j)));
        auto f = run.samples.to(torch::kFloat).contiguous();
        write_atomic(sim_path(dir, j), [&](const fs::path& tmp) {
          Hdf5Store s(tmp, Hdf5Store::Mode::kCreate);
          Array<float> a;
          a.data.assign(f.data_ptr<float>(), f.data_ptr<float>() + f.numel());
          a.shape = {static_cast<std::size_t>(f.size(0)), static_cast<std::size_t>(o.size),
                     static_cast<std::size_t>(o.size)};
          s.write("/samples", a, "Jy/pixel");
          Array<double> t;
          t.data = obs.truth;
          t.shape = {static_cast<std::size_t>(o.size), static_cast<std::size_t>(o.size)};
          s.write("/truth", t, "Jy/pixel");
          s.set_attr("/samples", "sky", obs.sky);
          s.set_attr("/samples", "pipeline", run.describe);
          s.set_attr("/samples", "scale_jy_per_pixel", run.units.scale);
        });
        std::lock_guard<std::mutex> lock(mu);
        ++done;
        ++res.simulated;
        if (on_done) on_done(done, res.resumed + static_cast<int>(todo.size()));
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu);
      if (!error) error = std::current_exception();
      failed = true;
    }
  };
  if (!todo.empty()) {
    log().info("coverage: {} simulations, {} in flight with {} thread(s) each", todo.size(), workers, per);
    std::vector<std::thread> pool;
    for (int w = 1; w < workers; ++w) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
  }
  at::set_num_threads(saved_torch_threads);
  if (error) std::rethrow_exception(error);

}

// Reads every simulation back and measures TARP and the per-pixel coverage.
void measure_study(const CoverageStudyOptions& o, const fs::path& dir, CoverageStudyResult& res) {
  // ---- gather and measure
  std::vector<CoverageSimulation> sims(static_cast<std::size_t>(o.n));
  for (int j = 0; j < o.n; ++j) {
    Hdf5Store s(sim_path(dir, j), Hdf5Store::Mode::kRead);
    auto a = s.read_float("/samples");
    auto t = s.read_double("/truth");
    const std::size_t d = static_cast<std::size_t>(o.size) * o.size;
    if (a.shape.size() != 3 || a.shape[1] * a.shape[2] != d || t.data.size() != d)
      throw DataError(fmt::format("{}: /samples or /truth has the wrong shape for {}x{} images",
                                  sim_path(dir, j).string(), o.size, o.size));
    auto& c = sims[static_cast<std::size_t>(j)];
    c.n = static_cast<int>(a.shape[0]);
    c.samples = std::move(a.data);
    c.truth.assign(t.data.begin(), t.data.end());
    double se = 0;
    for (std::size_t p = 0; p < d; ++p) {
      double m = 0;
      for (int k = 0; k < c.n; ++k) m += c.samples[static_cast<std::size_t>(k) * d + p];
      m /= c.n;
      se += (m - t.data[p]) * (m - t.data[p]);
    }
    res.rmse.push_back(std::sqrt(se / static_cast<double>(d)));
  }
  res.tarp = tarp_coverage(sims, derive_seed(o.seed, coverage_impl::kTarpStream), o.n_alpha, o.n_bootstrap);
  res.tarp_global = tarp_coverage(sims, derive_seed(o.seed, coverage_impl::kTarpStream), o.n_alpha, o.n_bootstrap,
                                  TarpNormalisation::kGlobal);
  for (int i = 1; i < 20; ++i) {
    double level = 0.05 * i;
    res.levels.push_back(level);
    res.pixel_coverage.push_back(credible_interval_coverage(sims, level));
  }
  res.coverage_test_68 = credible_interval_coverage_test(sims, 0.68);
  res.coverage_test_95 = credible_interval_coverage_test(sims, 0.95);
  res.coverage_68 = res.coverage_test_68.coverage;
  res.coverage_95 = res.coverage_test_95.coverage;
}

}  // namespace coverage_impl

namespace coverage_impl {

// Rank 0 opens the study folder (clears it, or checks a resume against it) and
// lists the simulations without a result file; every rank gets that list, or the
// same UsageError. One reader of the folder, so all ranks share one view of it.
std::vector<int> plan_simulations(const CoverageStudyOptions& o, const fs::path& dir, bool resume) {
  auto todo = parallel::decide_on_root([&] {
    open_study(o, dir, resume);
    std::vector<int> left;
    for (int j = 0; j < o.n; ++j)
      if (!fs::exists(sim_path(dir, j))) left.push_back(j);
    return nlohmann::json(left).dump();
  });
  return nlohmann::json::parse(todo).get<std::vector<int>>();
}

}  // namespace coverage_impl

CoverageStudyResult run_coverage_study(const CoverageStudyOptions& o, const fs::path& dir, bool resume,
                                       const std::function<void(int, int)>& on_done) {
  o.validate();
  if (parallel::size() > 1 && o.workers > 0)  // W simulations in flight on each of the node's ranks
    parallel::require_node_capacity(std::max(o.workers, thread_count()), "workers");
  PipelinePrior prior = load_pipeline_prior(o.prior, o.size, o.gaussian_limit);
  if (o.sky == "prior-disk" || o.sky == "prior-sample")
    prior.units.scale = o.flux_scale;  // known, as the truths were made
  StudyUv uv = study_uv_coverage(o);
  CoverageStudyResult res;
  res.nvis = uv.u.size();
  res.dropped = uv.dropped;
  res.noise_rms = uv.noise_rms;
  res.ranks = parallel::size();

  const std::vector<int> todo = coverage_impl::plan_simulations(o, dir, resume);
  res.resumed = o.n - static_cast<int>(todo.size());
  if (res.resumed) log().info("coverage: {} of {} simulations already finished", res.resumed, o.n);
  // Simulation j is seeded by (seed, j) alone, so any deal of `todo` over ranks
  // writes the same files; rank r takes todo[r], todo[r + K], ...
  const std::vector<int> mine = parallel::my_share(todo);
  if (res.ranks > 1)
    log().info("coverage: {} ranks; rank 0 runs {} of the {} simulations left", res.ranks, mine.size(), todo.size());
  auto t0 = std::chrono::steady_clock::now();
  coverage_impl::run_simulations(o, uv, prior, mine, dir, res, on_done);
  std::vector<double> simulated = {static_cast<double>(res.simulated)};
  parallel::allreduce_sum(simulated);  // also the point where every rank has written its files
  res.simulated = static_cast<int>(simulated[0]);
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (parallel::is_root()) coverage_impl::measure_study(o, dir, res);
  return res;
}

}  // namespace penumbra
