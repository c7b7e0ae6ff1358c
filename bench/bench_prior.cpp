// Score-network speed: forward pass per image at batch 1 and 16, one DSM
// training step (forward + backward + Adam) at batch 16, and the analytic FLOPs
// per evaluation. Plain harness (median of repeats), 64² by default.
//   bench_prior [--threads T] [--width W] [--mult 1,2,2] [--res-blocks R] [--size N] [--no-attention]
#include <ATen/Parallel.h>
#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "priors/score_network.hpp"

using namespace penumbra;

namespace {
template <class F>
double median_seconds(F&& f, int repeats) {
  f();  // warm-up
  std::vector<double> t;
  for (int i = 0; i < repeats; ++i) {
    auto a = std::chrono::steady_clock::now();
    f();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}
std::vector<int> parse_list(const std::string& s) {
  std::vector<int> out;
  std::size_t p = 0;
  while (p < s.size()) {
    auto q = s.find(',', p);
    out.push_back(std::stoi(s.substr(p, q - p)));
    if (q == std::string::npos) break;
    p = q + 1;
  }
  return out;
}
}  // namespace

int main(int argc, char** argv) {
  ScoreNetConfig cfg;
  int threads = 2, size = 64, repeats = 7;
  for (int i = 1; i + 1 < argc || (i < argc && std::string(argv[i]) == "--no-attention"); ++i) {
    std::string a = argv[i];
    if (a == "--no-attention") { cfg.attention = false; continue; }
    std::string v = argv[++i];
    if (a == "--threads") threads = std::stoi(v);
    else if (a == "--width") cfg.width = std::stoi(v);
    else if (a == "--mult") cfg.multipliers = parse_list(v);
    else if (a == "--res-blocks") cfg.res_blocks = std::stoi(v);
    else if (a == "--patch") cfg.patch = std::stoi(v);
    else if (a == "--size") size = std::stoi(v);
    else if (a == "--repeats") repeats = std::stoi(v);
    else { fmt::print(stderr, "unknown option {}\n", a); return 64; }
  }
  at::set_num_threads(threads);
  ScoreNetwork net(cfg);
  double flops = net.flops_per_image(size, size);
  fmt::print("network: patch {} width {} mult [{}] res_blocks {} attention {} | {} parameters | {:.3f} GFLOP per {}² image\n",
             cfg.patch, cfg.width, fmt::join(cfg.multipliers, ","), cfg.res_blocks, cfg.attention, net.parameter_count(),
             flops / 1e9, size);
  fmt::print("threads {}\n", threads);
  for (int b : {1, 16}) {
    auto x = torch::randn({b, size, size});
    auto s = torch::full({b}, 0.5);
    torch::NoGradGuard ng;
    net.set_training(false);
    double t = median_seconds([&] { net.score(x, s); }, repeats);
    fmt::print("forward batch {:2d}: {:8.2f} ms/batch {:8.2f} ms/image {:6.2f} GFLOP/s\n", b, t * 1e3, t * 1e3 / b,
               flops * b / t / 1e9);
  }
  {
    net.set_training(true);
    std::vector<torch::Tensor> params;
    for (auto& [n, p] : net.named_parameters()) params.push_back(p);
    torch::optim::Adam opt(params, torch::optim::AdamOptions(2e-4));
    int b = 16;
    auto x0 = torch::rand({b, size, size});
    double t = median_seconds(
        [&] {
          auto sigma = torch::exp(torch::rand({b}) * std::log(100.0 / 0.01) + std::log(0.01));
          auto z = torch::randn_like(x0);
          auto sc = net.score(x0 + sigma.reshape({-1, 1, 1}) * z, sigma);
          auto loss = (sc * sigma.reshape({-1, 1, 1}) + z).square().mean();
          opt.zero_grad();
          loss.backward();
          opt.step();
        },
        repeats);
    fmt::print("train step batch 16: {:8.2f} ms/step ({:.2f} steps/s, ~{:.1f} GFLOP/s at 3× forward cost)\n", t * 1e3,
               1 / t, 3 * flops * b / t / 1e9);
  }
  return 0;
}
