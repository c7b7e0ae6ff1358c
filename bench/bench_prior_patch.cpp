// Patch-prior score calls: where their time goes — the network on the tiles
// against everything around it (cutting the shifted tiles, position maps, the
// chunking, stitching the tile scores and averaging the overlaps) — for a patch
// checkpoint at several image sizes, with the network's FLOP rate from the cost
// model (PatchPrior::flops_per_score_call). The score calls are those `sample`
// makes: one per step for all chains, a fresh shift each time.
//   bench_prior_patch CHECKPOINT [--threads T] [--sizes 128,256,512] [--batch B] [--repeats R]
#include <ATen/Parallel.h>
#include <fmt/format.h>
#include <torch/torch.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "priors/diffusion_prior.hpp"
#include "priors/patch_prior.hpp"
#include "src/pipelines/sampling_time.hpp"

using namespace penumbra;

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::vector<int> parse_list(const std::string& s) {
  std::vector<int> out;
  for (std::size_t p = 0; p < s.size();) {
    const auto q = s.find(',', p);
    out.push_back(std::stoi(s.substr(p, q - p)));
    if (q == std::string::npos) break;
    p = q + 1;
  }
  return out;
}

void bench_size(const std::shared_ptr<DiffusionPrior>& dp, int n, int batch, int repeats) {
  auto plain = make_patch_prior(dp, n, n);
  auto clock = std::make_shared<CallClock>();
  auto prior = with_network_clock(plain, clock);  // the clock sees the network's calls, not the tiling
  auto sigma = torch::full({batch}, 0.1 * dp->physical_scale());
  torch::manual_seed(1);
  prior->score(torch::randn({batch, n, n}) * 0.1, sigma);  // warm-up
  clock->reset();
  double total = 0;
  for (int r = 0; r < repeats; ++r) {
    auto x = torch::randn({batch, n, n}) * 0.1;  // a fresh shift per call
    const auto t0 = Clock::now();
    prior->score(x, sigma);
    total += since(t0);
  }
  const double net = clock->seconds(), per_call = total / repeats;
  const double tiles_per_image = double(clock->images()) / (double(repeats) * batch);
  fmt::print("{:>4}² | {:>5.1f} (model {:>5.1f}) | {:>8.3f} s | {:>8.3f} s | {:>5.1f} % | {:>6.1f} | {:>6.1f}\n", n,
             tiles_per_image, plain->mean_tiles_per_image(), per_call, net / repeats, 100 * (total - net) / net,
             double(clock->images()) * plain->patch_score().flops_per_patch() / net / 1e9,
             batch * repeats / total);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: bench_prior_patch CHECKPOINT [--threads T] [--sizes 128,256] [--batch B] "
                       "[--repeats R]\n");
    return 64;
  }
  int threads = 2, batch = 16, repeats = 5;
  std::vector<int> sizes{128, 256, 512};
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--threads") threads = std::stoi(v);
    else if (a == "--sizes") sizes = parse_list(v);
    else if (a == "--batch") batch = std::stoi(v);
    else if (a == "--repeats") repeats = std::stoi(v);
    else { fmt::print(stderr, "unknown option {}\n", a); return 64; }
  }
  at::set_num_threads(threads);
  torch::NoGradGuard no_grad;
  auto dp = DiffusionPrior::load(argv[1]);
  fmt::print("{}: {:.3f} GFLOP per {}² tile, {} threads, batch {}, {} calls per size\n", argv[1],
             dp->network().flops_per_image(dp->data_info().patch_size, dp->data_info().patch_size) / 1e9,
             dp->data_info().patch_size, threads, batch, repeats);
  fmt::print("image | tiles/image (model) | per call | network | around the network | network GFLOP/s | "
             "image-scores/s\n");
  for (int n : sizes) bench_size(dp, n, batch, repeats);
  return 0;
}
