// penumbra bench nufft: throughput and accuracy of the planned NUFFT on random
// uv points (uniform over the square the image's cell resolves) and a random
// image, the numbers docs/benchmarks.md records. Logs progress on stderr and
// prints ONE JSON line last on stdout; with --out, also writes it into the run
// folder (run.json "results").
//
//   penumbra --threads T bench nufft --npix N --nvis M --epsilon E [--precision float|double] [--repeat R]
#include <fmt/format.h>

#include <algorithm>
#include <complex>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "instruments/dft.hpp"
#include "instruments/nufft.hpp"
#include "instruments/nufft_timing.hpp"
#include "src/cli/commands.hpp"
#include "src/cli/deprecated_flags.hpp"
#include "src/core/errors.hpp"
#include "src/core/log.hpp"
#include "src/core/rng.hpp"
#include "src/core/threads.hpp"

namespace penumbra::cli {
namespace {

struct NufftBenchOptions {
  int npix = 512;
  std::size_t nvis = 1000000;
  double epsilon = 1e-6;
  std::string precision = "double";
  int repeat = 5;
  std::size_t check = 1000;  // visibilities compared with the direct transform
};

template <class T>
nlohmann::json bench_nufft(const NufftBenchOptions& o, std::uint64_t seed) {
  using cd = std::complex<double>;
  ImageGrid grid;
  grid.nx = grid.ny = o.npix;
  grid.cell = 1e-7;  // any cell: the NUFFT sees u·cell only
  Rng rng = make_rng(seed, 0);
  std::uniform_real_distribution<double> uv(-grid.max_uv(), grid.max_uv());
  std::normal_distribution<double> gauss;
  std::vector<double> u(o.nvis), v(o.nvis);
  for (std::size_t k = 0; k < o.nvis; ++k) {
    u[k] = uv(rng);
    v[k] = uv(rng);
  }
  std::vector<T> image(grid.size());
  for (auto& x : image) x = static_cast<T>(gauss(rng));
  std::vector<std::complex<T>> yin(o.nvis);
  for (auto& y : yin) y = std::complex<T>(static_cast<T>(gauss(rng)), static_cast<T>(gauss(rng)));

  log().info("bench nufft: {}² image, {} random visibilities, epsilon {:g}, {} precision, {} thread(s)", o.npix,
             o.nvis, o.epsilon, o.precision, thread_count());
  double t0 = wall_seconds();
  NufftPlan<T> plan(u, v, grid, o.epsilon);
  double plan_s = wall_seconds() - t0;
  log().info("plan: {:.3f} s (W {}, sigma {}, FFT {}², {} kernels)", plan_s, plan.support(), plan.oversampling(),
             plan.padded_size(), plan.isa());

  std::vector<std::complex<T>> vis(o.nvis);
  std::vector<T> back(grid.size());
  const NufftTimes best = time_nufft<T>(plan, image, vis, yin, back, o.repeat, [&](int r, const NufftTimes& t) {
    log().info("run {}/{}: degrid {:.1f} ms (cpu {:.1f}), grid {:.1f} ms (cpu {:.1f})", r + 1, o.repeat,
               1e3 * t.degrid_s, 1e3 * t.degrid_cpu_s, 1e3 * t.grid_s, 1e3 * t.grid_cpu_s);
  });

  // Accuracy against the direct transform on a subsample: degrid on the first
  // `check` points of the full plan; grid through a plan of the subsample alone.
  const std::size_t ns = std::min(o.check, o.nvis);
  log().info("checking {} visibilities against the direct transform...", ns);
  std::vector<double> su(u.begin(), u.begin() + ns), sv(v.begin(), v.begin() + ns);
  std::vector<double> imaged(image.begin(), image.end());
  std::vector<cd> ref(ns), got(vis.begin(), vis.begin() + ns);
  dft_degrid(su, sv, grid, imaged, ref);
  double degrid_err = relative_l2_error(got, ref);
  NufftPlan<T> small(su, sv, grid, o.epsilon);
  std::vector<std::complex<T>> sy(yin.begin(), yin.begin() + ns);
  std::vector<T> gimg(grid.size());
  small.grid(sy, gimg);
  std::vector<cd> syd(sy.begin(), sy.end());
  std::vector<double> gref(grid.size()), gotd(gimg.begin(), gimg.end());
  dft_grid(su, sv, grid, syd, gref);
  double grid_err = relative_l2_error(gotd, gref);

  nlohmann::json j;
  j["npix"] = o.npix;
  j["nvis"] = o.nvis;
  j["epsilon"] = o.epsilon;
  j["precision"] = o.precision;
  j["threads"] = plan.threads();
  j["support"] = plan.support();
  j["sigma"] = plan.oversampling();
  j["padded"] = plan.padded_size();
  j["isa"] = plan.isa();
  j["plan_s"] = plan_s;
  j["degrid_s"] = best.degrid_s;
  j["grid_s"] = best.grid_s;
  j["degrid_cpu_s"] = best.degrid_cpu_s;
  j["grid_cpu_s"] = best.grid_cpu_s;
  j["degrid_vis_per_s"] = o.nvis / best.degrid_s;
  j["grid_vis_per_s"] = o.nvis / best.grid_s;
  j["checked_vis"] = ns;
  j["degrid_error"] = degrid_err;
  j["grid_error"] = grid_err;
  j["achieved_error"] = std::max(degrid_err, grid_err);
  return j;
}

}  // namespace

Runner add_bench(CLI::App& root) {
  auto* bench = root.add_subcommand("bench", "Benchmarks of Penumbra's kernels (numbers in docs/benchmarks.md)");
  bench->require_subcommand(1);
  auto o = std::make_shared<NufftBenchOptions>();
  auto* nufft = bench->add_subcommand(
      "nufft", "Planned NUFFT degrid/grid throughput on random uv points; one JSON line last on stdout");
  nufft->add_option("--npix", o->npix, "Image side in pixels")->capture_default_str()->check(CLI::Range(2, 65536));
  nufft->add_option("--nvis", o->nvis, "Number of random visibilities")->capture_default_str()->check(
      CLI::Range(std::size_t{1}, std::size_t{2000000000}));
  nufft->add_option("--nufft-epsilon", o->epsilon, "Requested relative L2 accuracy")->capture_default_str();
  add_deprecated_alias(nufft, "--epsilon", o->epsilon, "--nufft-epsilon");
  nufft->add_option("--precision", o->precision, "float or double")
      ->capture_default_str()
      ->check(CLI::IsMember({"float", "double"}));
  nufft->add_option("--repeat", o->repeat, "Timed repetitions (the best is reported)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  nufft->add_option("--check", o->check, "Visibilities compared with the direct transform")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{100000}));
  return [o, nufft](Context& ctx) {
    if (!nufft->parsed()) return;
    nlohmann::json j = o->precision == "float" ? bench_nufft<float>(*o, ctx.seed()) : bench_nufft<double>(*o, ctx.seed());
    if (!ctx.options().out.empty()) ctx.run("bench").finish(j);
    fmt::print("{}\n", j.dump());
  };
}

}  // namespace penumbra::cli
