// NUFFT benchmarks and kernel calibration (plain harness; see docs/benchmarks.md).
//
//   bench_nufft [--npix N] [--nvis M] [--epsilon E] [--threads T] [--float] [--repeat R]
//       degrid/grid throughput of a planned NUFFT on M uniformly random uv points
//       over the resolvable square, plan time separately, error vs the direct
//       transform on a 1000-point subsample; one JSON line at the end.
//   bench_nufft --calibrate [--npix N] [--nvis M]
//       for every oversampling σ and support W (and polynomial degree), the
//       worst achieved relative L2 error (degrid and grid) against the direct
//       transform: the table in instruments/es_kernel.cpp comes from this.
//   bench_nufft --beta-scan: the same error for β factors around the default.
#include <fmt/format.h>

#include <algorithm>
#include <complex>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "instruments/dft.hpp"
#include "instruments/es_kernel.hpp"
#include "instruments/nufft.hpp"
#include "instruments/nufft_timing.hpp"

using namespace penumbra;
using cd = std::complex<double>;

namespace {

struct Args {
  int npix = 512;
  std::size_t nvis = 1000000;
  double eps = 1e-6;
  int threads = 1;
  int repeat = 5;
  bool single = false, calibrate = false, beta_scan = false, coherent = false;
  int support = 0, degree = 0, tile = 0;
  double sigma = 0;
};

struct Data {
  ImageGrid grid;
  std::vector<double> u, v, image;
  std::vector<cd> vis;
};

Data make_data(int npix, std::size_t nvis, unsigned seed) {
  Data d;
  d.grid.nx = d.grid.ny = npix;
  d.grid.cell = 1e-7;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uv(-d.grid.max_uv(), d.grid.max_uv());
  std::normal_distribution<double> g;
  d.u.resize(nvis);
  d.v.resize(nvis);
  for (std::size_t k = 0; k < nvis; ++k) {
    d.u[k] = uv(rng);
    d.v[k] = uv(rng);
  }
  d.image.resize(d.grid.size());
  for (auto& x : d.image) x = g(rng);
  d.vis.resize(nvis);
  for (auto& y : d.vis) y = cd(g(rng), g(rng));
  return d;
}

// Worst of the degrid and grid errors against the direct transform.
double plan_error(const Data& d, double eps, const NufftOptions& o, const std::vector<cd>& ref_a,
                  const std::vector<double>& ref_b) {
  NufftPlan<double> plan(d.u, d.v, d.grid, eps, o, 1);
  std::vector<cd> a(d.u.size());
  std::vector<double> b(d.grid.size());
  plan.degrid(d.image, a);
  plan.grid(d.vis, b);
  return std::max(relative_l2_error(a, ref_a), relative_l2_error(b, ref_b));
}

int calibrate(const Args& args) {
  // Several random problems: the table keeps the worst.
  std::vector<Data> probs;
  std::vector<std::vector<cd>> ra;
  std::vector<std::vector<double>> rb;
  for (unsigned s = 0; s < 3; ++s) {
    probs.push_back(make_data(args.npix, args.nvis, 100 + s));
    ra.emplace_back(args.nvis);
    rb.emplace_back(probs.back().grid.size());
    dft_degrid(probs.back().u, probs.back().v, probs.back().grid, probs.back().image, ra.back(), 0);
    dft_grid(probs.back().u, probs.back().v, probs.back().grid, probs.back().vis, rb.back(), 0);
  }
  fmt::print("# image {}², {} random points, 3 problems; error = max over problems of max(degrid, grid)\n",
             args.npix, args.nvis);
  if (args.beta_scan) {
    fmt::print("sigma W gamma error\n");
    for (double sigma : nufft_detail::calibrated_sigmas())
      for (int w : {4, 6, 8, 10, 12})
        for (double gamma : {0.85, 0.9, 0.94, 0.97, 1.0, 1.03, 1.06}) {
          NufftOptions o;
          o.support = w;
          o.sigma = sigma;
          o.beta = gamma / 0.97 * nufft_detail::default_beta(sigma);
          o.degree = 24;
          double e = 0;
          for (std::size_t i = 0; i < probs.size(); ++i) e = std::max(e, plan_error(probs[i], 1e-10, o, ra[i], rb[i]));
          fmt::print("{} {} {} {:.3e}\n", sigma, w, gamma, e);
          std::fflush(stdout);
        }
    return 0;
  }
  fmt::print("sigma W degree poly_max_error error\n");
  for (double sigma : nufft_detail::calibrated_sigmas())
    for (int w = 2; w <= 16; ++w)
      for (int deg : {w - 2, w - 1, w, w + 1, w + 2, w + 4, 24}) {
        if (deg < 4 || deg > 24) continue;
        NufftOptions o;
        o.support = w;
        o.sigma = sigma;
        o.degree = deg;
        auto poly = nufft_detail::fit_kernel_polynomial(w, nufft_detail::default_beta(sigma), (w + 3) / 4 * 4, 0,
                                                        deg, deg);
        double e = 0;
        for (std::size_t i = 0; i < probs.size(); ++i) e = std::max(e, plan_error(probs[i], 1e-10, o, ra[i], rb[i]));
        fmt::print("{} {} {} {:.3e} {:.3e}\n", sigma, w, deg, poly.max_error, e);
        std::fflush(stdout);
      }
  return 0;
}

template <class T>
int throughput(const Args& args) {
  fmt::print(stderr, "building {} random points, {}² image...\n", args.nvis, args.npix);
  Data d = make_data(args.npix, args.nvis, 1);
  if (args.coherent) {
    // Visibilities in uv order (rows of v, then u), as consecutive samples of
    // real uv tracks are: shows what the random order costs in memory traffic.
    std::vector<std::size_t> order(d.u.size());
    for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
    const double cell = 16.0 / (2 * d.grid.max_uv()) * 2;  // bands of a few grid tiles
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      double ra = std::floor(d.v[a] / cell * d.grid.nx), rb = std::floor(d.v[b] / cell * d.grid.nx);
      return ra != rb ? ra < rb : d.u[a] < d.u[b];
    });
    std::vector<double> u2(order.size()), v2(order.size());
    for (std::size_t k = 0; k < order.size(); ++k) {
      u2[k] = d.u[order[k]];
      v2[k] = d.v[order[k]];
    }
    d.u.swap(u2);
    d.v.swap(v2);
  }
  NufftOptions o;
  o.support = args.support;
  o.sigma = args.sigma;
  o.degree = args.degree;
  o.tile = args.tile;
  double t0 = wall_seconds();
  NufftPlan<T> plan(d.u, d.v, d.grid, args.eps, o, args.threads);
  double plan_wall = wall_seconds() - t0;
  std::vector<T> img(d.image.begin(), d.image.end()), back(d.grid.size());
  std::vector<std::complex<T>> vis(d.u.size()), yin(d.vis.begin(), d.vis.end());
  const NufftTimes best = time_nufft<T>(plan, img, vis, yin, back, args.repeat, [](int r, const NufftTimes& t) {
    fmt::print(stderr, "  run {}: degrid {:.1f} ms (cpu {:.1f}), grid {:.1f} ms (cpu {:.1f})\n", r, 1e3 * t.degrid_s,
               1e3 * t.degrid_cpu_s, 1e3 * t.grid_s, 1e3 * t.grid_cpu_s);
  });
  // Accuracy on a subsample against the direct transform.
  const std::size_t ns = std::min<std::size_t>(1000, d.u.size());
  std::vector<double> su(d.u.begin(), d.u.begin() + ns), sv(d.v.begin(), d.v.begin() + ns);
  std::vector<cd> ref(ns), got(vis.begin(), vis.begin() + ns);
  dft_degrid(su, sv, d.grid, std::vector<double>(img.begin(), img.end()), ref, args.threads);
  double err = relative_l2_error(got, ref);
  fmt::print(
      "{{\"npix\": {}, \"nvis\": {}, \"epsilon\": {:g}, \"precision\": \"{}\", \"threads\": {}, \"support\": {}, "
      "\"sigma\": {}, \"padded\": {}, \"isa\": \"{}\", \"plan_s\": {:.4f}, \"degrid_s\": {:.5f}, \"grid_s\": {:.5f}, "
      "\"degrid_vis_per_s\": {:.4g}, \"grid_vis_per_s\": {:.4g}, \"degrid_cpu_s\": {:.5f}, \"grid_cpu_s\": {:.5f}, "
      "\"achieved_error\": {:.3e}}}\n",
      args.npix, args.nvis, args.eps, sizeof(T) == 4 ? "float" : "double", plan.threads(), plan.support(),
      plan.oversampling(), plan.padded_size(), plan.isa(), plan_wall, best.degrid_s, best.grid_s,
      args.nvis / best.degrid_s, args.nvis / best.grid_s, best.degrid_cpu_s, best.grid_cpu_s, err);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        fmt::print(stderr, "{} needs a value\n", s);
        std::exit(64);
      }
      return argv[++i];
    };
    if (s == "--npix") a.npix = std::stoi(next());
    else if (s == "--nvis") a.nvis = std::stoull(next());
    else if (s == "--epsilon") a.eps = std::stod(next());
    else if (s == "--threads") a.threads = std::stoi(next());
    else if (s == "--repeat") a.repeat = std::stoi(next());
    else if (s == "--support") a.support = std::stoi(next());
    else if (s == "--sigma") a.sigma = std::stod(next());
    else if (s == "--degree") a.degree = std::stoi(next());
    else if (s == "--tile") a.tile = std::stoi(next());
    else if (s == "--float") a.single = true;
    else if (s == "--coherent") a.coherent = true;
    else if (s == "--calibrate") a.calibrate = true;
    else if (s == "--beta-scan") a.calibrate = a.beta_scan = true;
    else {
      fmt::print(stderr, "unknown option {}\n", s);
      return 64;
    }
  }
  try {
    if (a.calibrate) return calibrate(a);
    return a.single ? throughput<float>(a) : throughput<double>(a);
  } catch (const std::exception& e) {
    fmt::print(stderr, "bench_nufft: {}\n", e.what());
    return 1;
  }
}
