// Posterior-sampling cost against its floor, the score network's forward pass.
//
//   bench_sampler [--size 64] [--batch 16] [--steps 50] [--nvis 50000] [--width 32] [--threads 2]
//                 [--prior CKPT]
//
// Times, per sampler step at batch B (float32, N×N image):
//   net      the score network's forward pass alone (the floor)
//   kernel   a predictor–corrector step whose prior score costs nothing (the
//            sampler's own work: Gaussian draw, updates, norms, driver checks)
//   lik      the convolved-gridded likelihood score alone (uv points of an
//            ALMA-like earth-rotation coverage, gridded on 2N×2N)
//   exact    the exact (nufft-exact) likelihood score, by its Toeplitz FFT, against
//            the NUFFT pair Re AᴴW(y − Ax) it replaces (same uv points, ε = 1e-6)
//   prior    a predictor–corrector step with the prior only
//   post     a predictor–corrector step with prior + likelihood
// The overhead is reported twice: directly, (kernel + lik)/net — small numbers
// timed on their own, so robust on a loaded machine — and as the difference
// (post − net)/net of two large, noisier timings. Also the projected time for
// 16 samples of 1000 steps. The network is an untrained one of --width (same
// cost as a trained one), or the trained prior of --prior CKPT (its size wins).
#include <ATen/Parallel.h>
#include <fmt/format.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <string>

#include "instruments/gridded_visibilities.hpp"
#include "instruments/torch/convolved_likelihood.hpp"
#include "instruments/torch/exact_likelihood.hpp"
#include "instruments/torch/nufft_operator.hpp"
#include "priors/diffusion_prior.hpp"
#include "priors/score_network.hpp"
#include "samplers/diffusion_samplers.hpp"
#include "samplers/driver.hpp"
#include "src/core/threads.hpp"
#include "src/core/units.hpp"

using namespace penumbra;

namespace {

class NetworkPrior final : public Prior {
 public:
  explicit NetworkPrior(std::shared_ptr<ScoreNetwork> net, int n) : net_(std::move(net)), n_(n) {}
  at::Tensor score(const at::Tensor& x, const at::Tensor& sigma) const override { return net_->score(x, sigma); }
  int height() const override { return n_; }
  int width() const override { return n_; }
  double sigma_max() const override { return 50; }
  double sigma_min() const override { return 0.01; }
  std::string name() const override { return "network"; }

 private:
  std::shared_ptr<ScoreNetwork> net_;
  int n_;
};

// The sampler kernel's own cost: the cheapest proper prior, N(0, I), whose
// score −x/(1 + σ²) is one element-wise pass (a zero score would make the
// corrector's step size infinite).
class FreePrior final : public Prior {
 public:
  explicit FreePrior(int n) : n_(n) {}
  at::Tensor score(const at::Tensor& x, const at::Tensor& sigma) const override {
    return x / (-1 - sigma.to(x.scalar_type()).pow(2)).view({-1, 1, 1});
  }
  int height() const override { return n_; }
  int width() const override { return n_; }
  double sigma_max() const override { return 50; }
  double sigma_min() const override { return 0.01; }
  std::string name() const override { return "standard-normal"; }

 private:
  int n_;
};

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
  int n = 64, batch = 16, steps = 50, nvis = 50000, width = 32, threads = 2;
  std::string prior_path;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--prior") {
      prior_path = argv[i + 1];
      continue;
    }
    int v = std::atoi(argv[i + 1]);
    if (k == "--size") n = v;
    else if (k == "--batch") batch = v;
    else if (k == "--steps") steps = v;
    else if (k == "--nvis") nvis = v;
    else if (k == "--width") width = v;
    else if (k == "--threads") threads = v;
  }
  set_thread_count(threads);
  at::set_num_threads(threads);
  torch::NoGradGuard ng;
  std::shared_ptr<const Prior> prior;
  std::string net_desc;
  if (!prior_path.empty()) {
    auto dp = DiffusionPrior::load(prior_path);
    n = dp->height();
    prior = dp;
    net_desc = "prior " + prior_path;
  } else {
    ScoreNetConfig cfg;
    cfg.width = width;
    auto net = std::make_shared<ScoreNetwork>(cfg);
    net->set_training(false);
    net_desc = fmt::format("untrained network width {} ({:.2f} M params)", width, net->parameter_count() / 1e6);
    prior = std::make_shared<NetworkPrior>(net, n);
  }

  // ALMA-like coverage: random antennas, ±2 h tracks, longest baseline at 0.9 of the grid limit.
  double cell = 0.008 * kArcsec;
  ImageGrid grid{n, n, cell};
  std::mt19937_64 rng(1);
  std::normal_distribution<double> nd(0, 1);
  int nant = 40;
  std::vector<double> ax(nant), ay(nant);
  for (int a = 0; a < nant; ++a) {
    ax[a] = nd(rng);
    ay[a] = nd(rng);
  }
  VisibilitySet vs;
  double maxr = 0;
  while (static_cast<int>(vs.u.size()) < nvis) {
    double h = (2 * std::uniform_real_distribution<double>(0, 1)(rng) - 1) * kPi / 6;
    for (int a = 0; a < nant && static_cast<int>(vs.u.size()) < nvis; ++a)
      for (int b = a + 1; b < nant && static_cast<int>(vs.u.size()) < nvis; ++b) {
        double lx = ax[b] - ax[a], ly = ay[b] - ay[a];
        vs.u.push_back(std::sin(h) * lx + std::cos(h) * ly);
        vs.v.push_back(std::sin(-0.4) * (-std::cos(h) * lx + std::sin(h) * ly));
        maxr = std::max(maxr, std::hypot(vs.u.back(), vs.v.back()));
      }
  }
  for (auto& u : vs.u) u *= 0.9 * grid.max_uv() / maxr;
  for (auto& v : vs.v) v *= 0.9 * grid.max_uv() / maxr;
  vs.vis.assign(vs.u.size(), {0.01, 0.0});
  vs.weight.assign(vs.u.size(), 1e4);
  auto g = grid_visibilities(vs, ImageGrid{2 * n, 2 * n, cell});
  auto lik = std::make_shared<ConvolvedGriddedLikelihood>(g, n, PixelUnits{1e-3, 0.0}, torch::kFloat);

  auto x = torch::randn({batch, n, n});
  auto sig = torch::full({batch}, 0.5f);
  prior->score(x, sig);  // warm-up
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < steps; ++i) prior->score(x, sig);
  double t_net = seconds_since(t0) / steps;

  auto run = [&](std::shared_ptr<const Likelihood> l, std::shared_ptr<const Prior> pr) {
    auto post = std::make_shared<Posterior>(pr, l);
    PredictorCorrectorOptions o;
    o.levels = steps / 2;
    o.corrector_steps = 1;
    PredictorCorrector s(post, o);
    auto gen = make_generator(1);
    auto st = s.init({batch, n, n, torch::kFloat}, gen);
    DriverOptions d;
    d.check_every = 10;  // as penumbra sample
    auto t = std::chrono::steady_clock::now();
    run_sampler(s, st, gen, d);
    return seconds_since(t) / s.total_steps();
  };
  double t_kernel = run(nullptr, std::make_shared<FreePrior>(n));
  double t_prior = run(nullptr, prior);
  double t_post = run(lik, prior);
  lik->score(x, sig);  // warm-up (FFT plans)
  t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < steps; ++i) lik->score(x, sig);
  double t_lik = seconds_since(t0) / steps;

  auto op = std::make_shared<NufftOperator>(vs.u, vs.v, grid, 1e-6, threads);
  NufftLikelihood exact(op, vs, PixelUnits{1e-3, 0.0});
  auto time_per_step = [&](auto&& f) {
    f();  // warm-up (plans, the Toeplitz kernel)
    auto t = std::chrono::steady_clock::now();
    for (int i = 0; i < steps; ++i) f();
    return seconds_since(t) / steps;
  };
  auto w = torch::tensor(vs.weight, torch::kFloat);
  auto y = torch::full({static_cast<std::int64_t>(vs.size())}, c10::complex<float>(0.01f, 0.0f));
  double t_exact = time_per_step([&] { exact.score(x, sig); });
  double t_pair = time_per_step([&] { op->adjoint((y - exact.model(x)) * w); });

  fmt::print("image {}x{}, batch {}, {} threads, {}, {} visibilities -> {} cells\n", n, n, batch, threads, net_desc,
             vs.size(), lik->occupied_cells());
  fmt::print("network forward        {:8.2f} ms/step\n", 1e3 * t_net);
  fmt::print("sampler kernel (pc)    {:8.2f} ms/step\n", 1e3 * t_kernel);
  fmt::print("likelihood score       {:8.2f} ms/step\n", 1e3 * t_lik);
  fmt::print("exact likelihood score {:8.2f} ms/step (Toeplitz FFT; the NUFFT pair it replaces: {:.2f} ms)\n",
             1e3 * t_exact, 1e3 * t_pair);
  fmt::print("overhead, direct       {:+8.1f} % of the network ((kernel + likelihood) / network)\n",
             100 * (t_kernel + t_lik) / t_net);
  fmt::print("pc step, prior only    {:8.2f} ms/step (overhead {:+.1f} %)\n", 1e3 * t_prior,
             100 * (t_prior - t_net) / t_net);
  fmt::print("pc step, posterior     {:8.2f} ms/step (overhead {:+.1f} %)\n", 1e3 * t_post,
             100 * (t_post - t_net) / t_net);
  fmt::print("projected: {} samples x 1000 steps = {:.1f} s\n", batch, 1000 * t_post);
  return 0;
}
