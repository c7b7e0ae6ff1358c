// Classifier throughput: training steps (one minibatch: forward, the ELBO
// terms of src/nn/training with a Gaussian prior, backward, Adam) and
// inference (mean weights, no gradients; plain and with the 8-view dihedral
// test-time augmentation, --tta d4) per backbone, deterministic and Bayesian.
// Plain harness; numbers go to docs/benchmarks.md with the command line.
//
//   bench_classifier [--size 150] [--batch 16] [--steps 5] [--train-images 583] [--threads 1]
//                    [--backbones lenet,attention,equivariant:C4,equivariant:D4,equivariant:C8]
#include <ATen/Parallel.h>
#include <fmt/format.h>
#include <torch/torch.h>

#include <chrono>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "priors/weight_priors.hpp"
#include "src/datasets/labelled_images.hpp"
#include "src/pipelines/classifier_evaluation.hpp"
#include "samplers/variational.hpp"
#include "src/nn/classifier.hpp"
#include "src/nn/training.hpp"

using namespace penumbra;

int main(int argc, char** argv) {
  int size = 150, batch = 16, steps = 5, train_images = 583, threads = 1;
  std::string backbones = "lenet,attention,equivariant:C4,equivariant:D4,equivariant:C8";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--size") size = std::stoi(v);
    else if (k == "--batch") batch = std::stoi(v);
    else if (k == "--steps") steps = std::stoi(v);
    else if (k == "--train-images") train_images = std::stoi(v);
    else if (k == "--threads") threads = std::stoi(v);
    else if (k == "--backbones") backbones = v;
    else {
      fmt::print(stderr, "unknown option {}\n", k);
      return 64;
    }
  }
  at::set_num_threads(threads);
  fmt::print("# size {} batch {} steps {} threads {}; epoch = {} training images\n", size, batch, steps, threads,
             train_images);
  fmt::print("{:<16} {:<13} {:>9} {:>14} {:>12} {:>14} {:>12}\n", "backbone", "mode", "weights", "ms/train step",
             "s/epoch", "inference img/s", "tta d4 img/s");
  std::stringstream ss(backbones);
  std::string item;
  auto prior = make_weight_prior("gaussian");
  while (std::getline(ss, item, ',')) {
    for (bool bayes : {false, true}) {
      ClassifierConfig c;
      c.backbone = item.substr(0, item.find(':'));
      if (item.find(':') != std::string::npos) c.group = item.substr(item.find(':') + 1);
      c.bayesian = bayes;
      c.image_size = size;
      Classifier m(c, 1);
      auto x = torch::rand({batch, size, size});
      auto y = torch::randint(0, 2, {batch}, torch::kLong);
      auto terms = [&](std::int64_t) { return classifier_elbo_terms(m, x, y, *prior); };
      VariationalInference vi(m.parameters(), 1e-3, {train_images, 1.0, ElboTempering::kPartial}, terms);
      vi.step();  // warm-up
      auto t0 = std::chrono::steady_clock::now();
      for (int s = 0; s < steps; ++s) vi.step();
      double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / steps;
      double epoch_s = ms / 1000.0 * ((train_images + batch - 1) / batch);
      LabelledImages images;
      images.height = images.width = size;
      images.class_names = {"FRI", "FRII"};
      auto xi = torch::rand({32, size, size}).contiguous();
      images.pixels.assign(xi.data_ptr<float>(), xi.data_ptr<float>() + xi.numel());
      images.labels.assign(32, 0);
      auto images_per_s = [&](TestTimeAugmentation tta) {
        predict_probabilities(m, images, 1, false, tta);  // warm-up
        int reps = std::max(1, steps / 2);
        auto t1 = std::chrono::steady_clock::now();
        for (int r = 0; r < reps; ++r) predict_probabilities(m, images, 1, false, tta);
        return 32.0 * reps / std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
      };
      double plain = images_per_s(TestTimeAugmentation::kNone);
      double dihedral = images_per_s(TestTimeAugmentation::kDihedral);
      std::string name = c.backbone == "equivariant" ? "equivariant " + c.group : c.backbone;
      fmt::print("{:<16} {:<13} {:>9} {:>14.1f} {:>12.1f} {:>14.1f} {:>12.1f}\n", name,
                 bayes ? "bayesian" : "deterministic", m.weight_count(), ms, epoch_s, plain, dihedral);
      std::fflush(stdout);
    }
  }
  return 0;
}
