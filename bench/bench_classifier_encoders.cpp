// Throughput of the ResNet-style encoders (src/nn/resnet.hpp) per width and
// depth at 64² and 128², 3 channels: training images/s (forward, a linear head
// and cross-entropy, backward, Adam) and inference images/s (features only, no
// gradients). Plain harness; numbers go to docs/benchmarks.md with the command.
//
//   bench_classifier_encoders [--sizes 64,128] [--models 8x1,16x1,16x2,32x2] [--batch 32] [--steps 3] [--threads 1]
#include <ATen/Parallel.h>
#include <fmt/format.h>
#include <torch/torch.h>

#include <chrono>
#include <sstream>
#include <string>
#include <vector>

#include "src/nn/encoder.hpp"

using namespace penumbra;

namespace {
std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');) out.push_back(item);
  return out;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

void bench_one(int size, int width, int depth, int batch, int steps) {
  EncoderConfig c;
  c.channels = 3, c.image_size = size, c.width = width, c.depth = depth;
  Encoder e(c, 1);
  MlpHead head(c.feature_dim(), 0, 2, false, 2);
  auto params = e.parameters();
  for (auto& p : head.parameters()) params.push_back(p);
  torch::optim::Adam opt(params, torch::optim::AdamOptions(1e-3));
  auto x = torch::rand({batch, 3, size, size});
  auto y = torch::randint(0, 2, {batch}, torch::kLong);
  auto train_step = [&] {
    auto loss = torch::nn::functional::cross_entropy(head.forward(e.forward(x)), y);
    opt.zero_grad();
    loss.backward();
    opt.step();
  };
  train_step();  // warm-up
  auto t0 = std::chrono::steady_clock::now();
  for (int s = 0; s < steps; ++s) train_step();
  const double train = steps * batch / seconds_since(t0);
  torch::NoGradGuard no_grad;
  e.set_train(false);
  auto xi = torch::rand({2 * batch, 3, size, size});
  e.forward(xi);
  t0 = std::chrono::steady_clock::now();
  for (int s = 0; s < steps; ++s) e.forward(xi);
  const double infer = steps * 2 * batch / seconds_since(t0);
  fmt::print("| {}² | w{} d{} | {} | {:.1f} | {:.1f} |\n", size, width, depth, e.parameter_count(), train, infer);
}
}  // namespace

int main(int argc, char** argv) {
  std::string sizes = "64,128", models = "8x1,16x1,16x2,32x2";
  int batch = 32, steps = 3, threads = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--sizes") sizes = v;
    else if (k == "--models") models = v;
    else if (k == "--batch") batch = std::stoi(v);
    else if (k == "--steps") steps = std::stoi(v);
    else if (k == "--threads") threads = std::stoi(v);
    else {
      fmt::print(stderr, "unknown option {}\n", k);
      return 64;
    }
  }
  at::set_num_threads(threads);
  fmt::print("| size | model | parameters | train img/s | inference img/s |\n|---|---|---|---|---|\n");
  for (const auto& s : split(sizes))
    for (const auto& m : split(models)) {
      const auto x = m.find('x');
      bench_one(std::stoi(s), std::stoi(m.substr(0, x)), std::stoi(m.substr(x + 1)), batch, steps);
    }
  return 0;
}
